"""A summary goes from the moderator's editor to a regional focal point, in a real browser.

The moderator writes the summary, cites comments, publishes and forwards it to
the OSCE. The digest run (``flask digests send-due``: the same service) and
the worker deliver the digest e-mail; the focal point opens its link in a
browser of their own, reads the digest, downloads the PDF, follows it to the
forwarded summary and acknowledges; the moderator then sees the
acknowledgement. axe-core checks every page on the way.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser import journey_support as js
from tests.browser.conftest import check_a11y

pytestmark = pytest.mark.browser


@pytest.fixture()
def world(live_server):
    def seed(session):
        from app.accounts.models import Role
        from app.digests.services import save_subscription

        tag = js.suffix()
        moderator = js.account(session, "Marco Moderator", roles=((Role.MODERATOR, "global", ""),))
        author = js.account(session, "Elena Author", roles=((Role.AUTHOR, "country", "AT"),))
        focal = js.account(session, "Katrin Focal", roles=((Role.FOCAL_POINT, "region", "OSCE"),))
        nadia, tomas = js.account(session, "Nadia Expert"), js.account(session, "Tomas Exporter")
        draft = js.consultation(session, author, title=f"Draft Law on Brokering {tag}", moderation="post")
        first = js.comment(session, draft, nadia, "Free economic zones must stay under customs supervision.")
        second = js.comment(session, draft, tomas, "Transit bans need a clear legal basis and a time limit.")
        # The focal point reads daily digests (the default is weekly).
        save_subscription(session, js.user_of(session, focal), regions=["OSCE"], countries=[], obligations=[],
                          frequency="daily", language="en", actor=js.user_of(session, focal))
        return dict(moderator=moderator, focal=focal, draft=draft, first=first, second=second)

    return js.in_app(live_server, seed)


def send_due_digests(live_server) -> None:
    """What the daily digest run does tomorrow (it sends the last complete day)."""
    from app.core.db import db, utcnow
    from app.digests.services import queue_due_digests

    with live_server.app.app_context():
        queue_due_digests(db.session, now=utcnow() + timedelta(days=1))


def test_a_summary_is_forwarded_and_a_focal_point_reads_the_digest_and_acknowledges(
        page, browser, live_server, world):
    draft: js.Draft = world["draft"]
    focal: js.Account = world["focal"]
    editor = f"/manage/consultations/{draft.id}/summary"
    js.sign_in(page, world["moderator"])

    # --- write the summary -------------------------------------------------------------------
    js.visit(page, editor)
    expect(page.get_by_role("heading", level=1)).to_have_text("Summary editor")
    expect(page.get_by_text("Not published yet: only moderators see this draft.")).to_be_visible()
    page.get_by_label("Overall summary").fill(
        "Participants asked for **customs supervision** of free economic zones and limits on transit bans.")
    js.submit(page, "Save the draft")
    assert "The draft summary is saved." in js.flash(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Add a point").click()
    check_a11y(page)
    provision = page.get_by_label("Provision")
    provision.select_option(provision.locator("option", has_text="Article 5").get_attribute("value"))
    js.submit(page, "Show its comments")
    page.get_by_label(f"Comment {world['first']} —").check()
    page.get_by_label(f"Comment {world['second']} —").check()
    page.get_by_label("The point").fill("Customs should supervise free economic zones; transit bans need limits.")
    js.submit(page, "Save the point")
    assert "The point is added to the draft summary." in js.flash(page)
    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Customs should supervise free economic zones")

    js.submit(page, "Publish revision 1")
    assert "Revision 1 of the summary is published." in js.flash(page)

    # --- forward it to the OSCE ----------------------------------------------------------------
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("link", name="Forward it to focal points").click()
    check_a11y(page)
    regions = page.get_by_role("group", name="Regional organisations")
    preselected = regions.get_by_role("checkbox", checked=True)  # the State's own organisations
    while preselected.count():
        preselected.first.uncheck()
    regions.get_by_label(re.compile(r"^OSCE\b")).check()
    page.get_by_label("Note to the focal points (optional)").fill("For the meeting of the Forum next month.")
    js.submit(page, "Forward revision 1")
    assert "The summary is forwarded to" in js.flash(page)
    history = page.get_by_role("table", name="Forwarded so far")
    expect(history).to_contain_text(f"{focal.name} — not acknowledged yet")

    # --- the digest e-mail --------------------------------------------------------------------
    js.mail_to(live_server, focal.email, f"Summary forwarded to OSCE: “{draft.title}”")
    send_due_digests(live_server)
    digest_mail = js.mail_to(live_server, focal.email, re.compile(r"^Agora 1540 digest: \d+ consultation"))
    assert draft.title in live_server.mail.text_of(digest_mail)
    digest_link = js.link_in(live_server, digest_mail, r"^/digests/\d+$")

    focal_context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="UTC",
                                        accept_downloads=True)
    try:
        fp = focal_context.new_page()
        js.sign_in(fp, focal)
        js.visit(fp, digest_link)
        digest = fp.get_by_role("article")
        expect(digest).to_contain_text(draft.title)
        expect(digest).to_contain_text("Summary forwarded to you (revision 1).")
        expect(digest).to_contain_text("2 published comments")

        # The PDF, for the meeting.
        with fp.expect_download() as download_info:
            fp.get_by_role("link", name="Download as PDF").click()
        download = download_info.value
        assert re.fullmatch(r"agora1540-digest-D\d{4}-\d{2}-\d{2}\.pdf", download.suggested_filename)
        with open(download.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"

        # The digest page is marked read in the list.
        js.visit(fp, "/digests")
        listed = fp.locator("li", has=fp.get_by_role("link", name=re.compile("Agora 1540 digest")))
        expect(listed.first).to_contain_text("Read")

        # From the digest to the forwarded summary, and acknowledge.
        js.visit(fp, digest_link)
        with fp.expect_navigation():
            fp.get_by_role("link", name="Read, acknowledge and reply").click()
        check_a11y(fp)
        expect(fp.get_by_role("heading", level=1)).to_have_text(draft.title)
        expect(fp.get_by_role("main")).to_contain_text("For the meeting of the Forum next month.")
        expect(fp.get_by_role("region", name="Points raised")).to_contain_text(
            "Customs should supervise free economic zones")
        js.submit(fp, "Acknowledge receipt")
        assert "You acknowledged receipt of this summary." in js.flash(fp)
        expect(fp.get_by_role("region", name="Acknowledge receipt")).to_contain_text("You acknowledged receipt on")
    finally:
        focal_context.close()

    # --- the moderator sees who acknowledged ----------------------------------------------------
    js.visit(page, f"{editor}/forward")
    expect(page.get_by_role("table", name="Forwarded so far")).to_contain_text(f"{focal.name} — acknowledged")

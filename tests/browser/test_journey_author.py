"""A government author revises the draft in a real browser.

Starts version 2, rewrites Article 5, publishes it with a change note, checks
the public comparison, then answers the summary's point on Article 5 with a
disposition that the public resolution table links to the changed wording.
axe-core checks every page on the way.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import journey_support as js
from tests.browser.conftest import check_a11y

pytestmark = pytest.mark.browser

NEW_ARTICLE_5 = (
    "1. The transit and trans-shipment of strategic goods through the territory, including its ports, airports and "
    "free economic zones, may be prohibited where there are grounds to suspect diversion.\n\n"
    "2. Goods placed in a free economic zone remain under the supervision of the Customs Service, which may inspect "
    "them, and subject to the controls of this Law.")


@pytest.fixture()
def world(live_server):
    def seed(session):
        from app.accounts.models import Role
        from app.consultations.models import Consultation
        from app.summaries import services as summaries

        tag = js.suffix()
        author = js.account(session, "Elena Author", roles=((Role.AUTHOR, "country", "AT"),))
        moderator = js.account(session, "Marco Moderator", roles=((Role.MODERATOR, "global", ""),))
        nadia, tomas = js.account(session, "Nadia Expert"), js.account(session, "Tomas Exporter")
        draft = js.consultation(session, author, title=f"Draft Law on Transit Controls {tag}", moderation="post")
        first = js.comment(session, draft, nadia, "Say who supervises goods in free economic zones: customs?")
        second = js.comment(session, draft, tomas, "Zone operators cannot carry out customs controls.")
        row, actor = session.get(Consultation, draft.id), js.user_of(session, moderator)
        summaries.save_summary_text(session, row, overall="Most comments were about free economic zones.",
                                    restricted=False, actor=actor)
        summaries.add_point(session, row, summaries.PointInput(
            section_id=draft.article_5_id, text="Name the Customs Service as the supervisor in free zones.",
            comment_ids=[first, second]), actor=actor)
        summaries.publish_summary(session, row, actor=actor)
        return dict(author=author, draft=draft, first=first, second=second, nadia=nadia.name)

    return js.in_app(live_server, seed)


def test_an_author_publishes_version_2_and_enters_a_disposition(page, live_server, world):
    draft: js.Draft = world["draft"]
    manage = f"/manage/consultations/{draft.id}"
    js.sign_in(page, world["author"])

    # --- start version 2 and rewrite Article 5 -----------------------------------------------------
    js.visit(page, manage)
    expect(page.get_by_role("heading", level=1)).to_have_text(draft.title)
    js.submit(page, "Start version 2")
    expect(page.locator("#text-title")).to_contain_text("In preparation")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(r"^Edit Article 5")).click()
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit section")
    expect(page.get_by_label("Anchor")).to_have_value("article-5")
    page.get_by_label("Text", exact=True).fill(NEW_ARTICLE_5)
    js.submit(page, "Save section")
    assert "Section saved." in js.flash(page)

    # --- publish it, after a confirmation page: the change note is required -----------------------
    with page.expect_navigation():
        page.get_by_role("link", name="Publish version 2…").click()
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish version 2?")
    expect(page.get_by_role("main")).to_contain_text("it can no longer change")
    expect(page.get_by_role("link", name="Cancel — keep preparing it")).to_be_visible()
    js.submit(page, "Publish version 2")
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_contain_text(
        "Explain what changed in this version.")
    page.get_by_label("What changed in this version").fill(
        "Article 5(2): the Customs Service supervises and may inspect goods in free economic zones.")
    js.submit(page, "Publish version 2")
    expect(page.locator("#text-title")).to_contain_text("Published — cannot change")

    # --- the public comparison ---------------------------------------------------------------
    js.visit(page, draft.url)
    with page.expect_navigation():
        page.get_by_role("link", name="Compare versions").click()
    check_a11y(page)
    expect(page.get_by_label("Earlier version")).to_have_value("1")
    expect(page.get_by_label("Later version")).to_have_value("2")
    expect(page.get_by_role("main")).to_contain_text("Change note of version 2:")
    changed = page.locator("section.diff-changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("Article 5")
    expect(changed.locator("ins", has_text="Customs Service")).to_be_visible()
    expect(changed.locator("del", has_text="to customs")).to_be_visible()

    # --- a disposition for the summary's point on Article 5 -------------------------------------
    js.visit(page, f"{manage}/resolution")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dispositions: the government’s answer to each point")
    provision = page.get_by_label("Provision")
    value = provision.locator("option", has_text=re.compile(r"Article 5.*\(version 1\)")).get_attribute("value")
    provision.select_option(value)
    js.submit(page, "Show its comments")
    page.get_by_label(f"Comment {world['first']}").check()
    page.get_by_label(f"Comment {world['second']}").check()
    page.get_by_label("Point raised").fill("Name the Customs Service as the supervisor in free economic zones.")
    page.get_by_label("Partly accepted").check()
    js.submit(page, "Save the disposition")  # partly accepted needs a reason
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_contain_text("Give the reason")
    expect(page.get_by_label(f"Comment {world['first']}")).to_be_checked()  # input kept on error
    page.get_by_label("Reason", exact=True).fill(
        "Customs supervise the zones; zone operators keep their record-keeping duties.")
    js.submit(page, "Save the disposition")

    # --- the public resolution table links to the changed wording -----------------------------------
    js.visit(page, f"{draft.url}/resolution")
    table = page.get_by_role("table", name="Points raised and the government’s decisions")
    expect(table).to_contain_text("Partly accepted")
    expect(table).to_contain_text("zone operators keep their record-keeping duties")
    # citations name their author with an excerpt; the row links to the summary point it answers
    expect(table.get_by_role("link", name=world["nadia"])).to_be_visible()
    expect(table).to_contain_text("Say who supervises goods in free economic zones")
    expect(table.get_by_role("link", name=re.compile(r"^Summary point: Name the Customs Service"))).to_be_visible()
    with page.expect_navigation():
        table.get_by_role("link", name="See the wording in version 2").click()
    check_a11y(page)
    assert page.url.endswith("#article-5"), page.url
    target = page.locator("section:target")
    expect(target).to_contain_text("Article 5")
    expect(target.locator("ins", has_text="Customs Service")).to_be_visible()

"""Names in the discussion keep their own direction: on an Arabic page a Latin
name (and on an English page an Arabic one) is isolated, so punctuation does
not jump across it, and a name is still escaped.

Beyond the discussion: on Arabic pages every text people wrote (consultation
and section titles, organisation and person names, summaries, forwarding
notes and replies, change notes, dispositions, moderators' words) sits in a
``<bdi>`` or in an element with ``dir="auto"``, on every page that shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app.accounts.models import Role, Scope
from app.consultations.models import ModerationMode, SectionObligation
from app.core.i18n import LOCALE_COOKIE
from app.digests.models import Digest
from app.digests.services import queue_due_digests, save_subscription
from app.moderation import services as moderation
from app.summaries import services as summaries
from app.summaries.models import Forwarding
from tests.factories import grant, login, make_organisation, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation, publish_new_version


def test_author_and_organisation_names_are_isolated_and_escaped(client, session):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    author = make_user(session, display_name="Nadia <Haddad>")
    organisation = make_organisation(session, name="مركز قانون التجارة (CSTL)", members=(author,))
    add_comment(session, consultation, author, section=section, organisation_id=organisation.id)
    session.flush()

    for language in ("ar", "en"):
        page = client.get(f"/consultations/{consultation.id}/sections/{section.anchor}",
                          headers={"Accept-Language": language}).text
        assert f'<html lang="{language}"' in page
        assert '<bdi class="fw-semibold">Nadia &lt;Haddad&gt;</bdi>' in page
        assert "<bdi>مركز قانون التجارة (CSTL)</bdi>" in page


# --- every page that shows what people wrote ----------------------------------------------

PERIOD = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SEND_AT = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
# Latin texts ending in brackets and punctuation: on a right-to-left page, without
# isolation, the closing bracket and the full stop jump to the wrong end.
WRITTEN = {
    "title": "Draft Law on Strategic Goods (2027)",
    "heading": "Licensing 1",
    "organisation": "Centre for Trade Law (CTL)",
    "author": "Nadia Haddad",
    "moderator": "Marco Ferreira",
    "overall": "Participants asked for a wider transit definition (Article 2).",
    "point": "Widen brokering (Article 1).",
    "note": "For the OSCE focal points.",
    "reply": "Noted by the OSCE (thank you).",
    "change_note": "Revised after comments (v2).",
    "disposition": "Brokering is defined in Article 1 (new).",
    "flag": "Looks like advertising (shop link).",
}
# Elements whose text a browser shows as plain text, where neither <bdi> nor
# dir="auto" can go, and the document title.
PLAIN = {"title", "option", "script", "style"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Isolation(HTMLParser):
    """Each text node, and whether something between it and the page isolates it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[tuple[str, bool, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        isolates = tag == "bdi" or (tag not in ("html", "body") and dict(attrs).get("dir") in ("auto", "ltr"))
        self.stack.append((tag, isolates))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if data.strip():
            tags = [t for t, _ in self.stack]
            self.texts.append((data, any(i for _, i in self.stack), tags[-1] if tags else ""))


def not_isolated(html: str, texts: dict[str, str]) -> list[str]:
    parser = _Isolation()
    parser.feed(html)
    parser.close()
    return sorted({f"{name} in <{tag}>: {data.strip()[:80]!r}" for data, isolated, tag in parser.texts
                   if not isolated and tag not in PLAIN for name, text in texts.items() if text in data})


def test_the_checker_finds_text_that_is_not_isolated():
    html = ('<html dir="rtl"><body><h1>Draft (2027)</h1><p dir="auto">Draft (2027)</p>'
            '<p>المشروع <bdi>Draft (2027)</bdi>.</p><title>Draft (2027)</title>'
            '<p dir="rtl">Draft (2027)</p><select><option>Draft (2027)</option></select></body></html>')
    assert not_isolated(html, {"title": "Draft (2027)"}) == [
        "title in <h1>: 'Draft (2027)'", "title in <p>: 'Draft (2027)'"]


@pytest.fixture()
def written_world(session):
    w = WRITTEN
    people = {key: make_user(session, display_name=name) for key, name in
              (("author", w["author"]), ("moderator", w["moderator"]), ("government", "Elena Varga"),
               ("focal", "Katrin Moser"), ("admin", "Ada Lindqvist"), ("flagger", "Tomás Ruiz"))}
    grant(session, people["government"], Role.AUTHOR, Scope.COUNTRY, "AT")
    grant(session, people["moderator"], Role.MODERATOR)
    grant(session, people["focal"], Role.FOCAL_POINT, Scope.REGION, "OSCE")
    grant(session, people["admin"], Role.ADMIN)
    organisation = make_organisation(session, name=w["organisation"], members=(people["author"],))
    consultation = make_consultation(session, country="AT", regions=("OSCE",), opens_in=-timedelta(days=40),
                                     closes_in=timedelta(days=20))
    consultation.title, consultation.opens_at = w["title"], PERIOD - timedelta(days=1)
    section = consultation.current_version.sections[0]
    session.add(SectionObligation(section_id=section.id, obligation_code="OP3c.brokering"))
    comment = add_comment(session, consultation, people["author"], section=section, organisation_id=organisation.id,
                          body="The definition of brokering is too narrow.")
    moderation.flag_comment(session, comment, reason="other", text=w["flag"], actor=people["flagger"])
    summaries.save_summary_text(session, consultation, overall=w["overall"], restricted=False,
                                actor=people["moderator"])
    summaries.add_point(session, consultation, summaries.PointInput(section_id=section.id, text=w["point"],
                                                                    comment_ids=[comment.id]),
                        actor=people["moderator"])
    summaries.publish_summary(session, consultation, actor=people["moderator"], now=PERIOD)
    summaries.save_disposition(session, consultation, summaries.DispositionInput(
        section_id=section.id, point_raised=w["point"], decision="accepted", reason=w["disposition"]),
        actor=people["government"])
    summaries.forward_summary(session, consultation, regions=["OSCE"], countries=[], note=w["note"],
                              actor=people["moderator"], now=PERIOD)
    forwarding = session.scalar(select(Forwarding))
    summaries.respond_to_forwarding(session, forwarding, body=w["reply"], publish=False, actor=people["focal"])
    version = publish_new_version(session, consultation)
    version.change_note = w["change_note"]
    held = make_consultation(session, country="AT", moderation=ModerationMode.PRE)
    pending = add_comment(session, held, people["author"], body="Held for review.", organisation_id=organisation.id)
    save_subscription(session, people["focal"], regions=["OSCE"], countries=[], obligations=[],
                      frequency="weekly", language="ar", actor=people["focal"])
    queue_due_digests(session, now=SEND_AT)
    session.flush()
    c = consultation.id
    pages = {
        None: ["/", "/consultations", f"/consultations/{c}", f"/consultations/{c}/sections/{section.anchor}",
               f"/consultations/{c}/summary", f"/consultations/{c}/resolution", f"/consultations/{c}/compare",
               "/organisations", f"/organisations/{organisation.id}", f"/consultations/{c}/obligations",
               "/regions/OSCE/coverage", "/regions/OSCE/coverage/AT"],
        "moderator": ["/manage/moderation/", f"/manage/moderation/comments/{pending.id}",
                      f"/manage/moderation/comments/{comment.id}", f"/manage/consultations/{c}/summary",
                      f"/manage/moderation/users/{people['author'].id}"],
        "focal": ["/forwarded", f"/forwarded/{forwarding.id}", "/digests",
                  f"/digests/{session.scalar(select(Digest.id))}", "/regions/OSCE/overview"],
        "government": ["/manage/consultations", f"/manage/consultations/{c}",
                       f"/manage/consultations/{c}/resolution"],
        "admin": ["/manage/admin/users", "/manage/admin/organisations", f"/manage/admin/users/{people['author'].id}"],
    }
    return people, pages


def test_what_people_wrote_is_isolated_on_arabic_pages(written_world, client):
    people, pages = written_world
    client.set_cookie(LOCALE_COOKIE, "ar")
    problems, seen = [], set()
    for role, urls in pages.items():
        if role is not None:
            assert login(client, people[role]).status_code == 302
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (role, url, response.status_code)
            html = response.text
            assert '<html lang="ar" dir="rtl"' in html
            seen |= {name for name, text in WRITTEN.items() if text in html}
            problems += [f"{url} ({role or 'visitor'}): {p}" for p in not_isolated(html, WRITTEN)]
        client.post("/logout")
    assert seen == set(WRITTEN), sorted(set(WRITTEN) - seen)  # every text was shown somewhere
    assert not problems, "\n".join(problems)

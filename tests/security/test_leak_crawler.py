"""The leak crawler: canary strings planted in every kind of content and state
that a role must not read, then, as each such role, every reachable page
(breadth-first over same-origin links from / and the known entry points), the
API with ids enumerated, the Atom feeds, the exports the role may download,
digests and their PDFs (text extracted), and every e-mail queued for the role.
Any canary, or another person's e-mail address, anywhere is a failure.

One seeded world, one bounded crawl per role."""

from __future__ import annotations

import io
import re
import zipfile
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import or_, select

from app.accounts.models import Role, Scope, User
from app.comments.models import Comment, CommentStatus
from app.comments.services import withdraw_comment
from app.consultations.models import Consultation, ModerationMode, Status
from app.core.models import OutboxMessage
from app.digests.models import Digest
from app.digests.services import queue_due_digests, save_subscription
from app.moderation import services as moderation
from app.summaries import services as summaries
from tests.factories import grant, login, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation

PERIOD = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SEND_AT = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
PAGE_LIMIT = 400
LINK = re.compile(r'(?:href|action|src)="(/[^"#]*)')
# Pages that change state on GET or leave the site's HTML: not followed.
SKIP = ("/static/", "/logout", "/login", "/register", "/password", "/verify", "/healthz", "/readyz")
# The coverage PDF is the coverage SVG laid out by WeasyPrint, and the SVG and the
# page (both crawled everywhere) carry every word it does; its drill-downs and other
# regions are read once per role, since extracting their text costs seconds each.
SAME_DOCUMENT = re.compile(r"^/regions/[^/?]+/coverage\.pdf")

CANARIES = {
    "restricted": "CANARY-restricted-comment-a91",
    "restricted_reply": "CANARY-restricted-reply-b72",
    "hidden": "CANARY-hidden-comment-c53",
    "rejected": "CANARY-rejected-comment-d34",
    "withdrawn": "CANARY-withdrawn-comment-e15",
    "redacted": "CANARY-redacted-passage-f96",
    "pending": "CANARY-pending-comment-g27",
    "spam": "CANARY-spam-comment-h58",
    "unpublished_consultation": "CANARY-unpublished-consultation-i39",
    "invited_consultation": "CANARY-invited-consultation-j40",
    "invited_comment": "CANARY-invited-comment-k41",
    "restricted_summary": "CANARY-restricted-summary-l42",
    "draft_summary": "CANARY-draft-summary-m43",
    "decision_reason": "CANARY-decision-reason-n44",
    "sanction_reason": "CANARY-sanction-reason-o45",
    "forwarding_note": "CANARY-forwarding-note-p46",
}


def _seed(session):
    """The world; returns (people, consultations)."""
    people = {name: make_user(session, display_name=name.replace("_", " ").title(),
                              email=f"{name.replace('_', '.')}.mailbox@example.org")
              for name in ("writer", "participant", "admin", "moderator", "moderator_elsewhere", "government",
                           "focal_here", "focal_elsewhere", "invitee")}
    grant(session, people["admin"], Role.ADMIN)
    grant(session, people["moderator"], Role.MODERATOR)
    grant(session, people["government"], Role.AUTHOR, Scope.COUNTRY, "AT")
    grant(session, people["focal_here"], Role.FOCAL_POINT, Scope.REGION, "OSCE")
    grant(session, people["focal_elsewhere"], Role.FOCAL_POINT, Scope.REGION, "AU")

    main = make_consultation(session, country="AT", regions=("OSCE",), opens_in=-timedelta(days=40),
                             closes_in=timedelta(days=20))
    main.opens_at = PERIOD - timedelta(days=1)
    other = make_consultation(session, country="DE", regions=("EU",))
    grant(session, people["moderator_elsewhere"], Role.MODERATOR, Scope.CONSULTATION, str(other.id))
    section = main.current_version.sections[0]
    c = CANARIES
    mod, writer = people["moderator"], people["writer"]

    public = add_comment(session, main, people["participant"], section=section, body="A public point on licensing.")
    add_comment(session, main, writer, section=section, audience="restricted", body=f"Site detail {c['restricted']}.")
    add_comment(session, main, people["government"], parent=public, audience="restricted",
                body=f"Answer {c['restricted_reply']}.")
    hidden = add_comment(session, main, writer, body=f"To hide {c['hidden']}.")
    moderation.decide(session, hidden, moderation.DecisionInput(action="hide", reason_text=c["decision_reason"]),
                      expected_version=hidden.version, actor=mod)
    rejected = add_comment(session, main, writer, body=f"To reject {c['rejected']}.")
    moderation.decide(session, rejected, moderation.DecisionInput(action="reject", reason_text="Off topic."),
                      expected_version=rejected.version, actor=mod)
    spam = add_comment(session, main, writer, body=f"Buy now {c['spam']}.")
    moderation.decide(session, spam, moderation.DecisionInput(action="spam", reason_text="Advertising."),
                      expected_version=spam.version, actor=mod)
    redacted = add_comment(session, main, writer, section=section,
                           body=f"The depot route is {c['redacted']} at night.")
    moderation.decide(session, redacted, moderation.DecisionInput(action="redact", passage=c["redacted"],
                                                                  reason_text="Security detail."),
                      expected_version=redacted.version, actor=mod)
    withdrawn = add_comment(session, main, writer, body=f"Second thoughts {c['withdrawn']}.")
    withdraw_comment(session, withdrawn, actor=writer)
    moderation.sanction_user(session, writer, kind="warning", reason_text=c["sanction_reason"], comment=hidden,
                             actor=mod)

    pre = make_consultation(session, country="AT", moderation=ModerationMode.PRE)
    add_comment(session, pre, writer, body=f"Held {c['pending']}.")

    draft = make_consultation(session, country="AT", status=Status.DRAFT)
    draft.title = f"Draft title {c['unpublished_consultation']}"
    invited = make_consultation(session, country="AT", visibility="invited")
    invited.title = f"Invited title {c['invited_consultation']}"
    from app.consultations.models import Invitation

    session.add(Invitation(consultation_id=invited.id, user_id=people["invitee"].id))
    session.flush()
    add_comment(session, invited, people["invitee"], body=f"Invited input {c['invited_comment']}.")

    # A restricted summary, forwarded in scope with a note, then a public draft that is never published.
    summaries.save_summary_text(session, main, overall=f"Overview {c['restricted_summary']}.", restricted=True,
                                actor=mod)
    summaries.publish_summary(session, main, actor=mod, now=PERIOD)
    summaries.forward_summary(session, main, regions=["OSCE"], countries=[], note=c["forwarding_note"], actor=mod,
                              now=PERIOD)
    summaries.save_summary_text(session, main, overall=f"Next {c['draft_summary']}.", restricted=False, actor=mod)
    # A summary the public may read, so public summary pages and feeds have content to crawl.
    summaries.save_summary_text(session, other, overall="Public overview of the German draft.", restricted=False,
                                actor=mod)
    summaries.publish_summary(session, other, actor=mod, now=PERIOD)

    for name in ("focal_here", "focal_elsewhere"):
        save_subscription(session, people[name], regions=["OSCE", "AU"], countries=["AT"], obligations=[],
                          frequency="weekly", language="en", actor=people[name])
    queue_due_digests(session, now=SEND_AT)
    return people, {"main": main, "other": other, "draft": draft, "invited": invited, "pre": pre}


def _text_of(response) -> str:
    data = response.data
    kind = response.mimetype or ""
    if kind == "application/pdf":
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    if data[:2] == b"PK":  # xlsx
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return data.decode("utf-8", "replace")


def _crawl(client, start: list[str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    documents: set[str] = set()
    queue = deque(start)
    while queue and len(seen) < PAGE_LIMIT:
        url = queue.popleft().replace("&amp;", "&")
        if url in seen or url.startswith(SKIP):
            continue
        if SAME_DOCUMENT.match(url):
            if "coverage.pdf" in documents:
                continue
            documents.add("coverage.pdf")
        response = client.get(url)
        if response.status_code in (301, 302, 303) and response.location:
            location = response.location.replace("http://localhost", "")
            seen[url] = ""
            if location.startswith("/"):
                queue.appendleft(location)
            continue
        seen[url] = _text_of(response)
        if (response.mimetype or "").startswith("text/html"):
            for link in LINK.findall(seen[url]):
                link = link.replace("&amp;", "&")
                if link not in seen and not link.startswith(SKIP) and "lang=" not in link:
                    queue.append(link)
    return seen


def _entry_points(session) -> list[str]:
    every = sorted(session.scalars(select(Consultation.id)))
    comments = session.execute(select(Comment.consultation_id, Comment.id).order_by(Comment.id)).all()
    digests = sorted(session.scalars(select(Digest.id)))
    users = sorted(session.scalars(select(User.id)))
    urls = ["/", "/consultations", "/forwarded", "/notifications", "/my/activity", "/my/moderation", "/digests",
            "/manage/moderation/", "/manage/consultations", "/regions/OSCE", "/regions/AU",
            "/regions/OSCE/summaries.atom", "/regions/AU/summaries.atom", "/regions/EU/summaries.atom",
            "/api/v1/consultations", "/api/v1/me/digests", "/api/v1/regions/OSCE/coverage",
            "/api/v1/regions/AU/coverage"]
    for cid in every:
        urls += [f"/consultations/{cid}", f"/consultations/{cid}/summary", f"/consultations/{cid}/resolution",
                 f"/consultations/{cid}/resolution.csv", f"/consultations/{cid}/resolution.xlsx",
                 f"/manage/consultations/{cid}/comments.csv", f"/manage/consultations/{cid}/summary",
                 f"/api/v1/consultations/{cid}", f"/api/v1/consultations/{cid}/comments",
                 f"/api/v1/consultations/{cid}/summary"]
    urls += [f"/digests/{d}" for d in digests] + [f"/digests/{d}.pdf" for d in digests]
    urls += [f"/api/v1/me/digests/{d}" for d in digests]
    urls += [f"/consultations/{cid}/comments/{i}/thread" for cid, i in comments]
    urls += [f"/manage/moderation/users/{u}" for u in users] + [f"/manage/moderation/comments/{i}" for _, i in comments]
    return urls


DENIED = ["visitor", "participant", "moderator_elsewhere", "focal_elsewhere"]


def test_no_role_finds_a_canary_anywhere(session, client):
    people, _consultations = _seed(session)
    start = _entry_points(session)
    addresses = {u.email for u in people.values()}
    leaks: list[str] = []
    crawled = {}
    for role in DENIED:
        if role != "visitor":
            login(client, people[role])
        pages = _crawl(client, start)
        crawled[role] = len(pages)
        own = {people[role].email} if role in people else set()
        for url, text in pages.items():
            leaks += [f"{role}: {name} on {url}" for name, canary in CANARIES.items() if canary in text]
            leaks += [f"{role}: address {a} on {url}" for a in addresses - own if a in text]
        if role in people:
            user = people[role]
            for message in session.scalars(select(OutboxMessage).where(
                    or_(OutboxMessage.to_address == user.email))):
                text = " ".join(filter(None, (message.subject, message.body_text, message.body_html)))
                leaks += [f"{role}: {name} in e-mail {message.subject!r}" for name, canary in CANARIES.items()
                          if canary in text]
        client.post("/logout")
        client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
    assert not leaks, "\n".join(leaks)
    assert min(crawled.values()) > 60, crawled
    print("pages crawled per role:", crawled)


@pytest.mark.parametrize("who, must_see", [
    ("admin", ["restricted", "hidden", "decision_reason", "sanction_reason", "restricted_summary"]),
    ("focal_here", ["restricted", "restricted_summary", "forwarding_note"]),
])
def test_the_canaries_are_there_for_those_allowed(session, client, who, must_see):
    """Without this, a crawler that reached nothing would pass."""
    people, consultations = _seed(session)
    login(client, people[who])
    main = consultations["main"]
    texts = [client.get(url).get_data(as_text=True) for url in (
        f"/consultations/{main.id}/sections/{main.current_version.sections[0].anchor}",
        f"/consultations/{main.id}/summary", "/forwarded",
        f"/manage/moderation/users/{people['writer'].id}")]
    forwarded = re.findall(r'href="(/forwarded/\d+)"', texts[2])
    texts += [client.get(url).get_data(as_text=True) for url in forwarded]
    texts += [client.get(f"/manage/moderation/comments/{c.id}").get_data(as_text=True)
              for c in session.scalars(select(Comment).where(Comment.consultation_id == main.id,
                                                              Comment.status == CommentStatus.HIDDEN))]
    for name in must_see:
        assert any(CANARIES[name] in text for text in texts), name
    assert session.scalar(select(User.id).where(User.email == people[who].email))

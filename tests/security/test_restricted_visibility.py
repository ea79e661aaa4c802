"""Restricted comments reach moderators, the drafting government, focal points
in scope and their own author — and nobody else, on any page they can reach."""

from __future__ import annotations

import re
from collections import deque

import pytest
from sqlalchemy import select

from app.accounts.models import Role, Scope
from app.comments.policy import can_see_restricted
from app.core.models import OutboxMessage
from tests.factories import grant, login, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation

CANARY = "CANARY-restricted-7f3a9c"
LINK = re.compile(r'href="(/[^"#]*)')


def _world(session):
    consultation = make_consultation(session, country="AT", regions=("OSCE",))
    other = make_consultation(session, country="DE", regions=("EU",))
    section = consultation.current_version.sections[0]
    people = {name: make_user(session, display_name=name.replace("_", " ").title())
              for name in ("writer", "participant", "admin", "moderator", "moderator_here", "moderator_elsewhere",
                           "government", "other_government", "focal_region", "focal_country", "focal_elsewhere")}
    grant(session, people["admin"], Role.ADMIN)
    grant(session, people["moderator"], Role.MODERATOR)
    grant(session, people["moderator_here"], Role.MODERATOR, Scope.CONSULTATION, str(consultation.id))
    grant(session, people["moderator_elsewhere"], Role.MODERATOR, Scope.CONSULTATION, str(other.id))
    grant(session, people["government"], Role.AUTHOR, Scope.COUNTRY, "AT")
    grant(session, people["other_government"], Role.AUTHOR, Scope.COUNTRY, "DE")
    grant(session, people["focal_region"], Role.FOCAL_POINT, Scope.REGION, "OSCE")
    grant(session, people["focal_country"], Role.FOCAL_POINT, Scope.COUNTRY, "AT")
    grant(session, people["focal_elsewhere"], Role.FOCAL_POINT, Scope.REGION, "AU")

    public = add_comment(session, consultation, people["participant"], section=section, body="A public point.")
    restricted = add_comment(session, consultation, people["writer"], section=section, audience="restricted",
                             body=f"Sensitive site detail {CANARY}.")
    # A restricted reply to the participant's public comment, and restricted input on the whole draft.
    add_comment(session, consultation, people["government"], parent=public, audience="restricted",
                body=f"Government answer {CANARY}.")
    add_comment(session, consultation, people["writer"], audience="restricted", kind="question",
                body=f"General question {CANARY}.")
    return consultation, section, people, restricted


ALLOWED = ["writer", "admin", "moderator", "moderator_here", "government", "focal_region", "focal_country"]
DENIED = ["visitor", "participant", "moderator_elsewhere", "other_government", "focal_elsewhere"]


def test_the_predicate_matches_the_roles(session):
    consultation, _section, people, _restricted = _world(session)
    for name in ["admin", "moderator", "moderator_here", "government", "focal_region", "focal_country"]:
        assert can_see_restricted(people[name], consultation), name
    for name in ["writer", "participant", "moderator_elsewhere", "other_government", "focal_elsewhere"]:
        assert not can_see_restricted(people[name], consultation), name


@pytest.mark.parametrize("who", ALLOWED)
def test_people_in_scope_see_restricted_comments_labelled(client, session, who):
    consultation, section, people, restricted = _world(session)
    login(client, people[who])
    page = client.get(f"/consultations/{consultation.id}/sections/{section.anchor}").get_data(as_text=True)
    assert f"Sensitive site detail {CANARY}" in page
    assert "Visible to moderators, the drafting government and focal points" in page
    assert client.get(f"/consultations/{consultation.id}/comments/{restricted.id}").status_code == 302


def _crawl(client, start: list[str], prefixes: tuple[str, ...], limit: int = 150) -> dict[str, str]:
    seen: dict[str, str] = {}
    queue = deque(start)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url, follow_redirects=True)
        seen[url] = response.get_data(as_text=True)
        for link in LINK.findall(seen[url]):
            link = link.replace("&amp;", "&")
            if link.startswith(prefixes) and link not in seen and "/static/" not in link:
                queue.append(link)
    return seen


@pytest.mark.parametrize("who", DENIED)
def test_nobody_else_finds_the_canary_anywhere(client, session, who):
    consultation, section, people, restricted = _world(session)
    if who != "visitor":
        login(client, people[who])
    base = f"/consultations/{consultation.id}"
    start = [base, f"{base}/sections/{section.anchor}", f"{base}?sort=supported", f"{base}?kind=question",
             f"{base}/sections/{section.anchor}?sort=newest", "/consultations", "/"]
    if who != "visitor":
        start += ["/notifications", "/my/activity"]
    pages = _crawl(client, start, (base, "/notifications", "/my/"))
    assert len(pages) > 8
    for url, html in pages.items():
        assert CANARY not in html, f"restricted text leaked on {url}"
    for url in (f"{base}/comments/{restricted.id}", f"{base}/comments/{restricted.id}/thread",
                f"{base}/comments/new?parent={restricted.id}"):
        assert client.get(url).status_code in (404, 302 if who == "visitor" else 404), url
    # Counts: the section shows only the public comment.
    toc = client.get(base).get_data(as_text=True)
    assert "(1 comment)" in toc
    # E-mails: only the writer's own receipts and the government's carry the text.
    addresses = [user.email for user in people.values()]
    leaked = session.scalars(select(OutboxMessage.to_address).where(
        OutboxMessage.body_text.contains(CANARY), OutboxMessage.to_address.in_(addresses))).all()
    assert set(leaked) <= {people["writer"].email, people["government"].email}


def test_counts_include_restricted_comments_for_those_allowed(client, session):
    consultation, _section, people, _restricted = _world(session)
    login(client, people["moderator"])
    assert "(3 comments)" in client.get(f"/consultations/{consultation.id}").get_data(as_text=True)

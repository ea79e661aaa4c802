"""Helpers of the role journeys (tests/browser/test_journey_*.py).

Seeding goes through the app's own services, in the live server's app
context, and commits: the browser then sees exactly what a user would have
created through the pages. Every seeded name carries a fresh suffix because
the live server's database is shared by the whole browser package.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tests.browser.conftest import check_a11y
from tests.factories import DEFAULT_PASSWORD, make_user

T = TypeVar("T")
_seq = itertools.count(1)
ARTICLE_5 = "article-5"


def suffix() -> str:
    """A short string unique within this run (names, e-mails, titles)."""
    return f"{int(time.time() * 1000) % 10_000_000}{next(_seq)}"


def in_app(live_server: Any, work: Callable[[Any], T]) -> T:
    """Run ``work(session)`` in the live server's app context and commit, like one command would.

    Links in e-mails are built on BASE_URL: point it at the live server so a
    test can follow them as the recipient would.
    """
    from app.core.db import db

    live_server.app.config["BASE_URL"] = live_server.url
    with live_server.app.app_context():
        result = work(db.session)
        db.session.commit()
        return result


# --- seeding (called inside in_app) -----------------------------------------------------------

@dataclass(frozen=True)
class Account:
    id: int
    email: str
    name: str
    password: str = DEFAULT_PASSWORD


def account(session: Any, name: str, *, roles: tuple[tuple[str, str, str], ...] = ()) -> Account:
    """A verified, active account with its role grants (role, scope type, scope key)."""
    from app.accounts.roles import grant_role

    tag = suffix()
    user = make_user(session, email=f"{name.lower().replace(' ', '.')}.{tag}@example.org",
                     display_name=f"{name} {tag}")
    for role, scope_type, scope_key in roles:
        grant_role(session, user, role=role, scope_type=scope_type, scope_key=scope_key, actor=None,
                   reason="browser journey")
    return Account(id=user.id, email=user.email, name=user.display_name)


def user_of(session: Any, who: Account) -> Any:
    from app.accounts.models import User

    return session.get(User, who.id)


DRAFT_TEXT = """\
## Article 1 — General provisions and definitions

1. This Law governs the export, transit, trans-shipment and brokering of strategic goods and technology.

## Article 4 — Export, re-export and intangible transfers

1. The export or re-export of listed strategic goods requires an individual, global or general licence.

## Article 5 — Transit and trans-shipment, including free economic zones

1. The transit and trans-shipment of strategic goods through the territory, including its ports, airports and \
free economic zones, may be prohibited where there are grounds to suspect diversion.

2. Goods placed in a free economic zone remain subject to customs supervision and to the controls of this Law.

## Article 8 — Customs powers, offences and penalties

1. Customs officers may stop, inspect and detain goods in transit that they reasonably suspect to be exported \
in breach of this Law.
"""

TAGS = {"article-5": ["OP3d.transit", "OP3d.transshipment"], "article-8": ["OP3d.penalties"]}


@dataclass(frozen=True)
class Draft:
    id: int
    title: str
    article_5_id: int

    @property
    def url(self) -> str:
        return f"/consultations/{self.id}"

    @property
    def article_5_url(self) -> str:
        return f"/consultations/{self.id}/sections/{ARTICLE_5}"


def consultation(session: Any, author: Account, *, title: str, moderation: str = "post",
                 country: str = "AT") -> Draft:
    """A public consultation, open since yesterday for 30 more days, version 1 published."""
    from app.consultations import services
    from app.consultations.importers import parse_markdown
    from app.core.db import utcnow

    actor = user_of(session, author)
    now = utcnow()
    created = now - timedelta(days=1, hours=2)  # prepared before it opened yesterday
    details = services.ConsultationDetails(
        country_code=country, title=title, instrument_type="law",
        drafting_authority="Ministry of Economy — Strategic Trade Licensing Office",
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30),
        summary="The draft adds controls on **transit, trans-shipment and brokering**.",
        questions="1. Should free economic zones be treated differently?", languages=["en", "ar", "ru"],
        moderation_mode=moderation, obligations=sorted({c for codes in TAGS.values() for c in codes}))
    draft = services.create_consultation(session, details, actor=actor, now=created)
    services.replace_sections(session, draft, parse_markdown(DRAFT_TEXT), actor=actor)
    for section in list(draft.working_version.sections):
        if section.anchor in TAGS:
            services.update_section(session, section, services.SectionInput(
                level=section.level, number=section.number, heading=section.heading, anchor=section.anchor,
                body=section.body_source, obligations=TAGS[section.anchor]), actor=actor)
    services.publish_version(session, draft, actor=actor, now=created)
    article_5 = next(s for s in draft.current_version.sections if s.anchor == ARTICLE_5)
    return Draft(id=draft.id, title=title, article_5_id=article_5.id)


def comment(session: Any, draft: Draft, who: Account, body: str, *, parent_id: int | None = None) -> int:
    """A comment on Article 5 (published at once in a post-moderated consultation, else pending)."""
    from app.comments.services import CommentInput, post_comment
    from app.consultations.models import Consultation

    row = session.get(Consultation, draft.id)
    data = CommentInput(body=body, section_id=draft.article_5_id, parent_id=parent_id,
                        idempotency_key=uuid.uuid4().hex)
    posted, _created = post_comment(session, row, data, actor=user_of(session, who))
    return posted.id


# --- browser steps --------------------------------------------------------------------------

def visit(page: Any, path: str) -> None:
    """Go to a page and check it with axe-core."""
    page.goto(path)
    check_a11y(page)


def sign_in(page: Any, who: Account, *, check: bool = True) -> None:
    page.goto("/login")
    if check:
        check_a11y(page)
    page.get_by_label("E-mail address").fill(who.email)
    page.get_by_label("Password").fill(who.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.locator(".flash-messages").get_by_text("You are signed in.").is_visible()


def submit(page: Any, name: str, *, scope: Any = None) -> None:
    """Press a submit button and wait for the page that answers, then check it with axe-core."""
    with page.expect_navigation():
        (scope or page).get_by_role("button", name=name, exact=True).click()
    check_a11y(page)


def flash(page: Any) -> str:
    """The flash messages (announced by screen readers: role=status)."""
    box = page.get_by_role("status")
    return box.inner_text() if box.count() else ""


def mail_to(live_server: Any, address: str, subject: str | re.Pattern[str]) -> Any:
    """Deliver the outbox (as the worker would) and return the newest message to ``address``."""
    live_server.deliver_mail()
    found = [m for m in live_server.mail.to(address)
             if (subject.search(m["Subject"]) if isinstance(subject, re.Pattern) else subject in m["Subject"])]
    assert found, f"no e-mail {subject!r} to {address}; got {[m['Subject'] for m in live_server.mail.to(address)]}"
    return found[-1]


def link_in(live_server: Any, message: Any, path_pattern: str) -> str:
    """The link of an e-mail whose path matches ``path_pattern``; it must point at the live server."""
    links = [link.rstrip(".,)>") for link in live_server.mail.links_in(message)]
    for link in links:
        if re.search(path_pattern, urlsplit(link).path):
            assert link.startswith(live_server.url), f"{link} does not point at the site"
            return link
    raise AssertionError(f"no link matching {path_pattern!r} in {links}")

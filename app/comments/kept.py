"""Discussions kept for signed-in participants, with each reader's own parts filled in.

Most signed-in readers of a discussion see what every other participant sees:
the same comments, threads, pages and citations; only a few things are theirs
(the "new since my last visit" marks, their support on each comment, their
own comments' actions, their flags, the follow button, the posting form's
token). A participant who holds no role in the consultation (no moderator,
drafting government or focal point there: ``can_see_restricted``) and wrote no
comment there that only they may read (pending or restricted) reads exactly
that discussion. For them the rendered discussion is kept like the visitors'
(app/core/cache.py ``for_readers``: under the content tokens, the language,
the time zone and the address), with slots where the reader's parts go
(app/comments/presenter.py: ``PageReader`` while ``keeping``), and ``fill``
puts in this reader's parts: a comment's actions were rendered with and
without the reader's support for someone who wrote none of the comments and
flagged none; for the reader's own comments and those they flagged they are
rendered again from the kept facts. Anyone else gets the discussion rendered
for them (``serve`` answers None).

What it costs per request, whatever the number of comments: the tokens and one
query for what the reader is (``Facts``: pending or restricted comments of
their own, their follow, last visit, supports, memberships and whether they
flagged anything there), and one for their flags when they did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import String, bindparam, cast, func, or_, select, true

from app.accounts.models import Membership
from app.accounts.policy import is_signed_in
from app.comments import hooks
from app.comments.models import Audience, Comment, CommentStatus, ConsultationVisit, Follow, Support
from app.comments.policy import can_see_restricted
from app.comments.presenter import PageReader, Shown
from app.comments.services import VISIT_GAP
from app.core.cache import consultation_scope, page_cache
from app.core.db import db, utcnow
from app.core.slots import split


def serve(consultation: Any, parts: tuple, render: Callable[[bool], dict], *, edit_window: timedelta,
          posting_form: Callable[[Facts], str] | None = None) -> dict | None:
    """The discussion ``render(True)`` renders (a dict whose ``html`` is the rendered discussion
    and whose ``reader`` is the keeping PageReader) kept for every participant, filled in for
    the signed-in reader; None when this reader's discussion is their own."""
    session, user = db.session, current_user._get_current_object()
    facts = Facts.of(session, user, consultation)
    if facts is None:
        return None

    def produce() -> dict:
        value = render(True)
        reader = value.pop("reader")
        mod = reader.mod
        return {**value, "html": split(value["html"]), "comments": reader.comments, "choices": reader.choices,
                "locked": sorted(mod.locked_roots) if mod is not None else []}

    kept = page_cache().for_readers(
        ("participant", bool(user.is_active), request.path, sorted(request.args.items(multi=True)), *parts),
        produce, scopes=(consultation_scope(consultation.id),))
    html = fill(kept, consultation, user, facts, edit_window=edit_window, posting_form=posting_form)
    return {**kept, "html": html}


@dataclass(frozen=True)
class Facts:
    """What a participant's own parts of a discussion need to know about them, in one query."""

    following: bool
    last_seen_at: datetime | None
    previous_seen_at: datetime | None
    supported: frozenset[int]  # the comments of the consultation the reader supports
    member: bool  # of some organisation (else they speak for none: their memberships need no loading)
    flagged: bool  # a comment of the consultation (else their flags need no loading)

    @classmethod
    def of(cls, session: Any, user: Any, consultation: Any) -> Facts | None:
        """None unless ``user`` reads the discussion every participant without a role reads."""
        if not is_signed_in(user) or (user.grants and can_see_restricted(user, consultation)):
            return None  # (every way to read restricted comments is a role grant)
        # On the session's connection: a row of plain values needs none of the ORM's work.
        unlisted, following, last_seen, previous_seen, supported, member, flagged = session.connection().execute(
            _facts_statement(), {"c": consultation.id, "u": user.id}).one()
        if unlisted:
            return None
        g.comment_visit_seen = last_seen  # app.comments.views._record_visit need not read it again
        return cls(bool(following), last_seen, previous_seen,
                   frozenset(int(i) for i in supported.split(",")) if supported else frozenset(), bool(member),
                   bool(flagged))

    def since(self, now: datetime) -> datetime | None:
        """What "new since my last visit" compares with (as ``queries.last_visit``)."""
        if self.last_seen_at is None:
            return None
        return self.last_seen_at if now - self.last_seen_at > VISIT_GAP else self.previous_seen_at


@lru_cache(maxsize=1)
def _facts_statement() -> Any:
    """The statement of ``Facts.of``, built once (building it costs more than running it)."""
    c, u = bindparam("c"), bindparam("u")
    visit = select(ConsultationVisit).where(ConsultationVisit.user_id == u, ConsultationVisit.consultation_id == c)
    return select(
        select(Comment.id).where(
            Comment.consultation_id == c, Comment.author_id == u,
            or_(Comment.status == CommentStatus.PENDING, Comment.audience != Audience.PUBLIC)).exists(),
        select(Follow.user_id).where(Follow.user_id == u, Follow.consultation_id == c).exists(),
        visit.with_only_columns(ConsultationVisit.last_seen_at).scalar_subquery(),
        visit.with_only_columns(ConsultationVisit.previous_seen_at).scalar_subquery(),
        # From the reader's supports to their comments (a join lets SQLite walk the consultation's comments).
        select(func.aggregate_strings(cast(Support.comment_id, String), ",")).where(
            Support.user_id == u,
            select(Comment.consultation_id).where(Comment.id == Support.comment_id).scalar_subquery() == c)
        .scalar_subquery(),
        select(Membership.id).where(Membership.user_id == u).exists(),
        hooks.HOOKS.flagged_in(u, c) if hooks.HOOKS.flagged_in else true())


def fill(kept: dict, consultation: Any, user: Any, facts: Facts, *, edit_window: timedelta,
         posting_form: Callable[[Facts], str] | None) -> Markup:
    """The kept discussion with ``user``'s own parts in its slots."""
    pieces = kept["html"]
    kinds = set(pieces[1::3])
    session, token = db.session, generate_csrf()
    supported = facts.supported
    mod = None
    if "t" in kinds:
        mod = hooks.load_thread_moderation(session, user, consultation, [], flags_only=True, flagged=facts.flagged)
        if mod is not None:
            mod.locked_roots = set(kept["locked"])
    since = facts.since(utcnow())
    answers = {"f": facts.following}
    actions = _Actions(kept, consultation, user, mod, supported, token, edit_window)
    new_mark = kept["choices"]["n"][0][0] if "n" in kinds else ""
    comments = kept["comments"]
    out = [pieces[0]]
    for i in range(1, len(pieces), 3):
        kind, index = pieces[i], pieces[i + 1]
        if kind == "t":
            out.append(actions(int(index)))
        elif kind == "n":
            if since is not None and datetime.fromisoformat(comments[int(index)][0][1]) > since:
                out.append(new_mark)
        elif kind == "c":
            out.append(token)
        elif kind == "p":
            out.append(str(posting_form(facts)) if posting_form is not None else "")
        else:
            out.append(token.join(kept["choices"][kind][int(answers[kind])]))
        out.append(pieces[i + 2])
    return Markup("".join(out))  # noqa: S704 - our templates' output


class _Actions:
    """A comment's actions for the reader: kept ones when they fit, else rendered again."""

    def __init__(self, kept: dict, consultation: Any, user: Any, mod: Any, supported: set[int], token: str,
                 edit_window: timedelta) -> None:
        self.comments, self.consultation, self.user_id = kept["comments"], consultation, user.id
        self.mod, self.supported, self.token, self.edit_window = mod, supported, token, edit_window
        self.my_flags = mod.my_flags if mod is not None else {}
        self._reader: PageReader | None = None

    def __call__(self, index: int) -> str:
        facts, plain, backed = self.comments[index]
        comment_id, author_id = facts[0], facts[2]
        if author_id != self.user_id and comment_id not in self.my_flags:
            return self.token.join(backed if comment_id in self.supported else plain)
        if self._reader is None:
            self._reader = PageReader(self.consultation, self.mod, self.supported, edit_window=self.edit_window)
        shown = Shown(*facts)
        shown.created_at = datetime.fromisoformat(facts[1])
        footer = current_app.jinja_env.get_template("comments/_reader.html").module.comment_footer
        return str(footer(shown, self._reader.offer(shown), self._reader))

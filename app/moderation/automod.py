"""Automatic help for moderators: rules that hold a new comment for review.

Explainable and never final: a rule only keeps a comment pending and names
itself in the queue ("held: 5 links, the limit is 3"); a moderator decides.

The comment service calls ``record_hold_reasons(session, comment)`` right after it
has flushed a new comment; a non-empty answer keeps the comment pending.
``evaluate`` is the pure part (unit-tested without a database).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.comments.models import Comment, CommentStatus
from app.moderation.models import HoldReason, WatchWord

LINK = re.compile(r"(?i)(?:\bhttps?://|\bwww\.)[^\s<>()\[\]]+")
# Identical short texts ("I agree.") are normal, not spam.
DUPLICATE_MIN_LENGTH = 40
DUPLICATE_LOOKBACK = 200


@dataclass(frozen=True)
class Hold:
    rule: str
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "detail": self.detail}

    def __str__(self) -> str:
        return f"{self.rule}:{self.detail}" if self.detail else self.rule


def normalise(text: str) -> str:
    """Case-, width- and space-insensitive form for comparisons."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def count_links(text: str) -> int:
    return len(LINK.findall(text or ""))


def matching_words(text: str, words: list[str]) -> list[str]:
    """Watch-list entries that occur in ``text`` as whole words or phrases."""
    norm = normalise(text)
    found = []
    for word in words:
        needle = normalise(word)
        if needle and re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", norm):
            found.append(word)
    return found


def evaluate(text: str, *, earlier_published: int, new_account_limit: int, link_limit: int,
             watch_words: list[str], duplicate: bool) -> list[Hold]:
    holds: list[Hold] = []
    if earlier_published < new_account_limit:
        holds.append(Hold(HoldReason.NEW_ACCOUNT, str(earlier_published + 1)))
    links = count_links(text)
    if links > link_limit:
        holds.append(Hold(HoldReason.LINKS, str(links)))
    if duplicate:
        holds.append(Hold(HoldReason.DUPLICATE))
    holds.extend(Hold(HoldReason.WATCH_WORD, word) for word in matching_words(text, watch_words))
    return holds


def describe(hold: dict[str, Any]) -> str:
    """A moderator-facing explanation of one hold."""
    rule, detail = hold.get("rule"), hold.get("detail", "")
    limits = _limits()
    if rule == HoldReason.NEW_ACCOUNT:
        return str(_l("New account: %(published)d of the author's comments published so far; comments are "
                      "checked until %(limit)d have been published.",
                      published=_published_before(detail), limit=limits[HoldReason.NEW_ACCOUNT]))
    if rule == HoldReason.LINKS:
        return str(_l("%(n)s links; more than %(limit)d are held for review.", n=detail,
                      limit=limits[HoldReason.LINKS]))
    if rule == HoldReason.DUPLICATE:
        return str(_l("The same text was posted by this author in another consultation."))
    if rule == HoldReason.WATCH_WORD:
        return str(_l("Contains “%(word)s” from the watch list.", word=detail))
    if rule == HoldReason.FLAGS:
        return str(_l("Hidden after %(n)s flags.", n=detail))
    return str(rule)


def describe_for_author(hold: dict[str, Any]) -> str:
    """The same rule as the author of the held comment is told it (watch-list words are not named)."""
    rule, detail = hold.get("rule"), hold.get("detail", "")
    limits = _limits()
    if rule == HoldReason.NEW_ACCOUNT:
        return str(_l("A moderator checks the first %(limit)d comments of every account before they appear; "
                      "%(published)d of yours have been published so far.",
                      limit=limits[HoldReason.NEW_ACCOUNT], published=_published_before(detail)))
    if rule == HoldReason.LINKS:
        return str(_l("It contains %(n)s links; comments with more than %(limit)d are checked by a moderator "
                      "before they appear.", n=detail, limit=limits[HoldReason.LINKS]))
    if rule == HoldReason.DUPLICATE:
        return str(_l("You posted the same text in another consultation; repeated texts are checked by a "
                      "moderator before they appear."))
    if rule == HoldReason.WATCH_WORD:
        return str(_l("It contains a term on the moderators' watch list; such comments are checked by a "
                      "moderator before they appear."))
    if rule == HoldReason.FLAGS:
        return str(_l("Several readers flagged it; a moderator will look at it."))
    return str(_l("A moderator will check it before it appears."))


def describe_holds_for_author(holds: list[str]) -> list[str]:
    """``record_hold_reasons``' answer ("links:5", …) as the author is told it."""
    described = []
    for hold in holds:
        rule, _sep, detail = hold.partition(":")
        described.append(describe_for_author({"rule": rule, "detail": detail}))
    return described


def _published_before(detail: str) -> int:
    """The hold records the number of the comment among the author's ("earlier published + 1")."""
    try:
        return max(int(detail) - 1, 0)
    except (TypeError, ValueError):
        return 0


def _limits() -> dict[str, int]:
    config = current_app.config
    return {HoldReason.NEW_ACCOUNT: int(config["NEW_ACCOUNT_PREMODERATED_COMMENTS"]),
            HoldReason.LINKS: int(config["LINK_LIMIT"])}


def _is_duplicate(session: Session, comment: Comment) -> bool:
    text = normalise(comment.body_source)
    if len(text) < DUPLICATE_MIN_LENGTH:
        return False
    earlier = session.scalars(
        select(Comment.body_source).where(Comment.author_id == comment.author_id,
                                          Comment.consultation_id != comment.consultation_id,
                                          Comment.id != comment.id)
        .order_by(Comment.id.desc()).limit(DUPLICATE_LOOKBACK))
    return any(normalise(body) == text for body in earlier)


def record_hold_reasons(session: Session, comment: Comment) -> list[str]:
    """Rules that hold ``comment`` for review (e.g. ["links:5", "watch_word:anthrax"]).

    When any applies, they are recorded for the review queue; the caller keeps
    the comment pending.
    """
    limits = _limits()
    earlier_published = session.scalar(select(func.count(Comment.id)).where(
        Comment.author_id == comment.author_id, Comment.status == CommentStatus.PUBLISHED,
        Comment.id != comment.id)) or 0
    words = list(session.scalars(select(WatchWord.word).order_by(WatchWord.word)))
    text = "\n".join(filter(None, [comment.body_source, comment.proposed_wording]))
    holds = evaluate(text, earlier_published=earlier_published, new_account_limit=limits[HoldReason.NEW_ACCOUNT],
                     link_limit=limits[HoldReason.LINKS], watch_words=words, duplicate=_is_duplicate(session, comment))
    if holds:
        from app.moderation.services import moderation_state

        state = moderation_state(session, comment, create=True)
        state.hold([h.as_dict() for h in holds])
        session.flush()
    return [str(h) for h in holds]

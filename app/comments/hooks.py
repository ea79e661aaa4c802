"""Rules that packages above comments add to posting and reading, filled at start-up.

Comments sit below moderation in the layer order (docs/ARCHITECTURE.md): the
comment services cannot import moderation, yet posting must ask it whether the
author is suspended, whether the thread is locked, and whether automatic rules
hold the new comment. Moderation plugs those answers in here when the
application starts (``app.moderation.hooks.install``); the comment services
call the hooks without knowing who answers.

Deny by default: until moderation has installed its rules, ``installed()`` is
false and ``create_app`` refuses to finish (a platform whose sanctions are not
enforced must not start).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import Conflict


class ThreadLocked(Conflict):
    """The thread accepts no more replies."""


@dataclass
class CommentHooks:
    # (session, actor, now) → None, or raises a PermissionDenied: may this account take part?
    participation: list[Callable[..., None]] = field(default_factory=list)
    # (session, parent) → None, or raises ThreadLocked: does the thread take replies?
    reply: list[Callable[..., None]] = field(default_factory=list)
    # (session, comment) → the reasons automatic rules hold it for review (writes them)
    hold: Callable[..., list[str]] | None = None
    # the reasons as the author is told them, for the receipt e-mail
    describe_holds: Callable[[list[str]], list[Any]] | None = None
    # (session, user, consultation, comments) → the page's moderation facts
    load_thread_moderation: Callable[..., Any] | None = None
    # (user id, consultation id: SQL values) → SQL: the user flagged a comment of the consultation
    flagged_in: Callable[..., Any] | None = None


HOOKS = CommentHooks()


def installed() -> bool:
    return bool(HOOKS.participation and HOOKS.reply and HOOKS.hold and HOOKS.describe_holds
                and HOOKS.load_thread_moderation)


def check_may_participate(session: Any, actor: Any, *, now: Any = None) -> None:
    for check in HOOKS.participation:
        check(session, actor, now=now)


def check_may_reply(session: Any, parent: Any) -> None:
    for check in HOOKS.reply:
        check(session, parent)


def hold_for_review(session: Any, comment: Any) -> list[str]:
    """Writes the hold reasons automatic rules find, and answers them."""
    return HOOKS.hold(session, comment) if HOOKS.hold else []


def describe_holds_for_author(holds: list[str]) -> list[Any]:
    return HOOKS.describe_holds(holds) if HOOKS.describe_holds else []


def load_thread_moderation(session: Any, user: Any, consultation: Any, comments: list, **options: Any) -> Any:
    return HOOKS.load_thread_moderation(session, user, consultation, comments, **options) \
        if HOOKS.load_thread_moderation else None

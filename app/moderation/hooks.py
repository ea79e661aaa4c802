"""Moderation's answers to the comment hooks (app/comments/hooks.py), installed by ``create_app``."""

from __future__ import annotations

from app.comments.hooks import HOOKS


def install() -> None:
    """Plug sanctions, thread locks and automatic hold rules into posting and reading.
    Idempotent: a second application in the same process installs the same functions.
    Importing ``tally`` listens to every session's flushes: the queue's counts follow comments."""
    from app.moderation import automod, reader_queries, services, tally  # noqa: F401 - tally: listens

    HOOKS.participation[:] = [services.check_may_participate]
    HOOKS.reply[:] = [services.check_may_reply]
    HOOKS.hold = automod.record_hold_reasons
    HOOKS.describe_holds = automod.describe_holds_for_author
    HOOKS.load_thread_moderation = reader_queries.load_thread_moderation
    HOOKS.flagged_in = reader_queries.flagged_in

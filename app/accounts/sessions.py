"""Sessions checked on the server side.

The session cookie carries ``<user id>:<session generation>``. Logout,
password change, suspension and ban bump the user's generation, so every
copy of an older cookie is refused on its next request. Idle and absolute
time-outs are enforced here too.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask import Flask, current_app, g, session
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app.core.db import db, utcnow
from app.extensions import login_manager

LOGIN_AT = "_agora_login_at"
SEEN_AT = "_agora_seen_at"


class Anonymous(AnonymousUserMixin):
    """A real object with no roles, so predicates need no special case."""

    id = None
    display_name = ""
    preferred_language = None
    timezone = None
    grants: list = []
    memberships: list = []
    status = "anonymous"


@lru_cache(maxsize=1)
def _user_statement():
    """The signed-in user with their role grants (every page asks what they may do), built once."""
    from app.accounts.models import User

    return select(User).where(User.id == bindparam("id")).options(joinedload(User.grants))


@login_manager.user_loader
def load_user(token: str):
    user_id, _, generation = token.partition(":")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    if g.get("database_unavailable"):  # the 503 page is rendered for nobody in particular
        return None
    user = db.session.scalars(_user_statement(), {"id": int(user_id)}).unique().first()
    if user is None or user.session_generation != int(generation) or not user.is_active:
        return None
    return user


def start_session(user, now: datetime | None = None) -> None:
    """A new session on login: the old cookie's contents are dropped."""
    session.clear()
    login_user(user)
    stamp = (now or utcnow()).timestamp()
    session[LOGIN_AT] = stamp
    session[SEEN_AT] = stamp
    session.permanent = True


def renew_session(user) -> None:
    """A new session for the same sign-in (after a password change bumped the
    generation): the absolute time-out still counts from the original login."""
    login_at = session.get(LOGIN_AT)
    start_session(user)
    if login_at is not None:
        session[LOGIN_AT] = login_at


def end_session() -> None:
    logout_user()
    session.clear()


def _check_timeouts() -> None:
    if "_user_id" not in session:
        return
    now = utcnow().timestamp()
    login_at = session.get(LOGIN_AT, 0)
    seen_at = session.get(SEEN_AT, 0)
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()
    if now - seen_at > idle or now - login_at > absolute:
        session.clear()
        session["_flashes"] = [("info", str(_l("Your session ended. Please sign in again.")))]
        return
    if now - seen_at > 60:  # avoid rewriting the cookie on every request
        session[SEEN_AT] = now


def init_app(app: Flask) -> None:
    login_manager.anonymous_user = Anonymous
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = None  # the generation check does this job
    app.before_request(_check_timeouts)

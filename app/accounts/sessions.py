"""Sessions checked on the server side.

The session cookie carries ``<user id>:<session generation>``. Logout,
password change, suspension and ban bump the user's generation, so every
copy of an older cookie is refused on its next request. Idle and absolute
time-outs are enforced here too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import Flask, current_app, g, has_app_context, session
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


# Figures about the signed-in user that every page shows (the unread count in the
# navigation), read in the user's own statement: name -> a builder of a scalar
# subquery correlated with the user's row. Modules above this one register theirs.
_USER_FIGURES: dict[str, Callable[[], Any]] = {}
_FIGURES_KEY = "agora_user_figures"  # g: (user id, {name: value}) for this request


def user_figure(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    def register(build: Callable[[], Any]) -> Callable[[], Any]:
        _USER_FIGURES[name] = build
        _user_statement.cache_clear()
        return build

    return register


def figure_of(user: Any, name: str) -> Any:
    """The figure read with ``user`` in this request, or None when it was not
    (another user, or forgotten after a change)."""
    loaded = g.get(_FIGURES_KEY)
    if loaded is None or loaded[0] != getattr(user, "id", None):
        return None
    return loaded[1].get(name)


def forget_figures() -> None:
    """This request changed what the figures count: the next reading asks the database."""
    if has_app_context():
        g.pop(_FIGURES_KEY, None)


@lru_cache(maxsize=1)
def _user_statement():
    """The signed-in user with their role grants (every page asks what they may do)
    and the registered figures, built once."""
    from app.accounts.models import User

    figures = [build().label(name) for name, build in _USER_FIGURES.items()]
    return select(User, *figures).where(User.id == bindparam("id")).options(joinedload(User.grants))


@login_manager.user_loader
def load_user(token: str):
    user_id, _, generation = token.partition(":")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    if g.get("database_unavailable"):  # the 503 page is rendered for nobody in particular
        return None
    row = db.session.execute(_user_statement(), {"id": int(user_id)}).unique().first()
    if row is None:
        return None
    user = row[0]
    if user.session_generation != int(generation) or not user.is_active:
        return None
    g.setdefault(_FIGURES_KEY, (user.id, dict(zip(_USER_FIGURES, row[1:], strict=True))))
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

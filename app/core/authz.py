"""Default-deny authorisation.

Every endpoint declares who may reach it: ``@public`` (anyone),
``@login_required`` (any signed-in account), or ``@requires(predicate)`` (a
named policy predicate of the signed-in user). An endpoint that declares
nothing is refused to everyone; a test walks the URL map to keep it so.

Views then call ``authorize(predicate, user, obj)`` for checks that need the
object; templates call the same predicates through ``can``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])
Predicate = Callable[..., bool]

ACCESS_ATTR = "_agora_access"


def public(view: F) -> F:
    setattr(view, ACCESS_ATTR, ("public", None))
    return view


def login_required(view: F) -> F:
    setattr(view, ACCESS_ATTR, ("login", None))
    return view


def requires(predicate: Predicate) -> Callable[[F], F]:
    """The signed-in user must satisfy ``predicate(user)``; else 403."""

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTR, ("predicate", predicate))
        return view

    return decorate


def access_of(view: Callable[..., Any]) -> tuple[str, Predicate | None] | None:
    return getattr(view, ACCESS_ATTR, None)


def authorize(predicate: Predicate, user: Any, *args: Any, hide: bool = False) -> None:
    """Abort with 403 (or 404 when ``hide`` — the object's existence is secret)."""
    if not predicate(user, *args):
        abort(404 if hide else 403)


def _enforce() -> Any:
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404/405 handled by the router
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    access = access_of(view)
    if access is None:
        if endpoint == "static":
            return None
        current_app.logger.error("endpoint %s declares no access rule; refused", endpoint)
        abort(403)
    kind, predicate = access
    if kind == "public":
        return None
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            abort(401)
        from app.core.security import relative_request_path

        return redirect(url_for("accounts.login", next=relative_request_path()))
    if kind == "predicate" and predicate is not None and not predicate(current_user):
        abort(403)
    return None


def can(predicate: Predicate, *args: Any) -> bool:
    return bool(predicate(current_user, *args))


def init_app(app: Flask) -> None:
    app.before_request(_enforce)
    app.jinja_env.globals["can"] = can

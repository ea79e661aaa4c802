"""Domain errors and generic error pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.core.outage import is_database_unavailable


class DomainError(Exception):
    """A rule of the domain refused the action; the message is shown to the user.

    ``field`` names the form field the error belongs to, if any.
    """

    status_code = 400

    def __init__(self, message: Any, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class PermissionDenied(DomainError):
    status_code = 403


ERROR_TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please sign in"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    409: _l("This item changed while you were working"),
    413: _l("The upload is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is briefly unavailable"),
}

ERROR_HINTS = {
    400: _l("Check what you entered and try again."),
    401: _l("Sign in to continue."),
    403: _l("If you think you should have access, contact the platform administrators."),
    404: _l("The address may be mistyped, or the page may have moved or been withdrawn."),
    405: _l("Go back and use the buttons on the page."),
    409: _l("Reload the page to see the latest version, then try again."),
    413: _l("Choose a smaller file and try again."),
    429: _l("For your protection, this action is paused for a while."),
    500: _l("The error has been recorded. Please try again in a few minutes."),
    503: _l("Nothing you sent was lost. Please try again shortly."),
}

# Seconds a client is told to wait when the database cannot be reached.
UNAVAILABLE_RETRY_AFTER = 30


def _forget_failed_transaction() -> None:
    """A failed flush leaves the session unusable; the error page must still render."""
    try:
        from app.core.db import db

        db.session.rollback()
    except Exception:  # noqa: BLE001 - the page must still render
        current_app.logger.warning("rollback after an error failed", exc_info=True)


def _render(status: int, detail: Any = None, retry_after: int | None = None):
    if status >= 500:
        _forget_failed_transaction()
    if request.path.startswith("/api/"):
        return jsonify(error=str(ERROR_TITLES.get(status, status)), status=status), status
    response = (_render_page(status, detail, retry_after), status)
    return response


def _render_page(status: int, detail: Any = None, retry_after: int | None = None) -> str:
    return render_template(
        "errors/error.html",
        status=status,
        title=ERROR_TITLES.get(status, ERROR_TITLES[500]),
        hint=detail or ERROR_HINTS.get(status, ""),
        retry_minutes=(max(1, -(-retry_after // 60)) if retry_after else None),
    )


def _retry_after(exc: HTTPException) -> int | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if value is None:
        value = getattr(exc, "retry_after", None)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def database_unavailable(exc: Exception):
    """503 with Retry-After, rendered without a single query: the signed-in
    user is forgotten for this response (the user loader answers "nobody"
    once ``g.database_unavailable`` is set), so the page cannot look them up."""
    g.database_unavailable = True
    g.pop("_login_user", None)  # Flask-Login's per-request user; reloaded as anonymous
    current_app.logger.warning("database unavailable on %s %s: %s", request.method, request.path,
                               " ".join(str(getattr(exc, "orig", None) or exc).split())[:200])
    retry = UNAVAILABLE_RETRY_AFTER
    if request.path.startswith("/api/"):
        body, code = jsonify(error=str(ERROR_TITLES[503]), status=503), 503
    else:
        body, code = _render_page(503, retry_after=retry), 503
    return body, code, {"Retry-After": str(retry)}


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        from flask_babel import gettext

        return _render(400, gettext("The form expired or was sent from another site. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if status not in ERROR_TITLES:
            status = 400 if 400 <= status < 500 else 500
        retry = _retry_after(exc) if status == 429 else None
        body, code = _render(status, retry_after=retry)
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)
        if retry:
            headers["Retry-After"] = str(retry)
        return body, code, headers

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return _render(exc.status_code, exc.message)

    @app.errorhandler(Exception)
    def unhandled(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        if is_database_unavailable(exc):
            return database_unavailable(exc)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500)

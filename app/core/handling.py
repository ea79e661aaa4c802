"""The two steps every view repeats: load a row or answer 404, and handle a form post.

A view reads in one order (docs/ARCHITECTURE.md): load or 404 → authorize →
validate the form → call one service → commit once → flash and redirect, or
re-render the page with the form's errors and a 4xx status. ``get_or_404`` is
the first step; ``handle_form`` is the last four.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash, redirect
from flask_wtf import FlaskForm

from app.core.db import db
from app.core.errors import DomainError

T = TypeVar("T")

# A form that was sent but did not validate: the request was understood, its content was not.
INVALID_FORM = 422


def get_or_404(model: type[T], ident: Any, *, options: tuple = (), check: Callable[[T], bool] | None = None,
               **match: Any) -> T:
    """The row of ``model`` with primary key ``ident``, or a 404.

    Keyword arguments are attributes the row must have (``consultation_id=7``:
    a child reached through the wrong parent is as absent as a missing one);
    ``check`` is a predicate for anything an attribute cannot say.
    """
    row = db.session.get(model, ident, options=list(options)) if ident is not None else None
    if row is None or any(getattr(row, name) != value for name, value in match.items()):
        abort(404)
    if check is not None and not check(row):
        abort(404)
    return row


def refusal_status(error: DomainError) -> int:
    """The status a refused service is answered with: the error's own (always a 4xx)."""
    status = getattr(error, "status_code", 400)
    return status if 400 <= status < 500 else 400


def handle_form(form: FlaskForm, call: Callable[[], Any], *, render: Callable[[int], Any],
                success: str | Callable[[Any], str] | None, redirect_to: str | Callable[[Any], str],
                validated: bool | None = None):
    """Validate ``form``, call one service, commit, flash ``success`` and redirect.

    The status rule, one for every form of the application:

    - a page shown without a submission answers 200;
    - a submitted form that does not validate (a missing field, a value out of
      range, an expired CSRF token) answers **422** with the errors on the form;
    - a service that refuses raises a ``DomainError``, and the answer is **the
      error's own status**: 400 for a plain ``DomainError`` (the request asks for
      something the rules forbid: "the consultation is closed"), 403 for
      ``PermissionDenied``, 404 for ``NotFound``, 409 for ``Conflict``. The
      message goes onto the field the error names, or onto the form, the
      transaction is rolled back (nothing half-written survives a refusal) and the
      page is rendered again with ``render(status)``.

    ``call`` is the one service call (it may return the object the redirect and
    the message need: ``redirect_to`` and ``success`` may be functions of it).
    ``validated`` replaces ``form.validate_on_submit()`` when a view validates
    with its own form data; ``success=None`` flashes nothing.
    """
    ok = form.validate_on_submit() if validated is None else validated
    if not ok:
        return render(INVALID_FORM if form.is_submitted() else 200)
    try:
        result = call()
    except DomainError as error:
        db.session.rollback()
        form.add_domain_error(error)
        return render(refusal_status(error))
    db.session.commit()
    message = success(result) if callable(success) else success
    if message:
        flash(message, "success")
    return redirect(redirect_to(result) if callable(redirect_to) else redirect_to)


def handle_button(form: FlaskForm, call: Callable[[], Any], *, success: str | Callable[[Any], str],
                  redirect_to: str):
    """A button with no fields of its own (confirm, join, revoke): one service, one
    commit, then back to ``redirect_to`` in every case.

    The button has no page of its own to show again, so a refusal is the
    exception to ``handle_form``'s rule: its message is flashed as an error on the
    page the redirect leads to, and nothing is committed. A post that is not a
    valid button press (no CSRF token, a forged field) answers 400 before any
    service runs.
    """
    if not form.validate_on_submit():
        abort(400)
    try:
        result = call()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(success(result) if callable(success) else success, "success")
    return redirect(redirect_to)


def or_404(row: T | None) -> T:
    """``row`` as found by a query of its own (one that loads what the page needs), or a 404."""
    if row is None:
        abort(404)
    return row

"""Home, about, and the language switcher."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request

from app.core.authz import public
from app.core.i18n import LOCALE_COOKIE
from app.core.security import safe_next

bp = Blueprint("site", __name__)


@bp.get("/")
@public
def home():
    from flask_login import current_user

    from app.consultations.queries import closing_soon
    from app.core.db import db

    return render_template("site/home.html", closing_soon=closing_soon(db.session, current_user))


@bp.get("/about")
@public
def about():
    return render_template("site/about.html")


@bp.post("/language")
@public
def set_language():
    """Remember an explicit language choice in a cookie (works without JavaScript)."""
    language = request.form.get("language", "")
    response = redirect(safe_next(request.form.get("next"), "/"))
    if language in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LOCALE_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True,
        )
    return response

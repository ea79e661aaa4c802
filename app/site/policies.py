"""Policy pages (privacy notice, terms of participation, accessibility
statement), their history, the administrators' editor, and the page that asks
for consent to new terms at sign-in.

The texts, their versions and the consent rules live in
``app/accounts/policy_pages.py``; this module only shows and edits them.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, user_logged_in
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.accounts import policy_pages as pages
from app.accounts.policy import is_admin
from app.core.authz import login_required, public, requires
from app.core.db import db
from app.core.forms import Form
from app.core.handling import handle_form
from app.core.i18n import viewer_locale
from app.core.security import relative_request_path, safe_next

bp = Blueprint("policies", __name__)

SLUG_RULE = "<any(privacy, terms, accessibility):slug>"
CONSENT_PENDING = "terms_pending"  # session key set at sign-in while new terms await acceptance

# The pages a person may still reach while new terms await their answer: the
# terms themselves, their data (to take it with them or leave), and signing out.
_REACHABLE_WHILE_PENDING = frozenset({
    "static", "policies.accept_terms", "policies.show_page", "policies.page_history", "policies.show_version",
    "accounts.logout", "site.set_language", "health.healthz", "health.readyz",
})
_REACHABLE_PREFIXES = ("privacy.", "api.")


def page_titles() -> dict[str, str]:
    return {pages.PRIVACY: _("Privacy notice"), pages.TERMS: _("Terms of participation"),
            pages.ACCESSIBILITY: _("Accessibility statement")}


def reader_language() -> str:
    language = viewer_locale().split("_")[0]
    return language if language in current_app.config["LANGUAGES"] else pages.ORIGINAL_LANGUAGE


# --- reading ------------------------------------------------------------------------------

@bp.get("/" + SLUG_RULE)
@public
def show_page(slug: str):
    text = pages.current_text(db.session, slug, reader_language())
    if text is None:
        abort(404)
    return render_template("site/policy.html", slug=slug, title=page_titles()[slug], text=text,
                           history_view=False)


@bp.get("/" + SLUG_RULE + "/history")
@public
def page_history(slug: str):
    return render_template("site/policy_history.html", slug=slug, title=page_titles()[slug],
                           versions=pages.history(db.session, slug))


@bp.get("/" + SLUG_RULE + "/history/<language>/<int:number>")
@public
def show_version(slug: str, language: str, number: int):
    if language not in current_app.config["LANGUAGES"]:
        abort(404)
    text = pages.version_text(db.session, slug, language, number)
    if text is None:
        abort(404)
    return render_template("site/policy.html", slug=slug, title=page_titles()[slug], text=text,
                           history_view=True)


# --- consent to new terms -------------------------------------------------------------------

class AcceptTermsForm(Form):
    accept = BooleanField(
        _l("I accept the terms of participation and have read the privacy notice"),
        validators=[DataRequired(message=_l("Tick the box to accept the terms, or sign out."))])
    next = HiddenField()


@bp.route("/terms/accept", methods=["GET", "POST"])
@login_required
def accept_terms():
    form = AcceptTermsForm(next=request.args.get("next", ""))
    target = safe_next(form.next.data, url_for("site.home"))
    if not pages.needs_consent(db.session, current_user):
        session.pop(CONSENT_PENDING, None)
        return redirect(target)
    text = pages.current_text(db.session, pages.TERMS, reader_language())

    def render(status: int):
        return render_template("site/policy_accept.html", form=form, text=text,
                               accepted=current_user.terms_version), status

    def accept():
        version = pages.accept_terms(db.session, current_user, actor=current_user)
        session.pop(CONSENT_PENDING, None)
        return version

    return handle_form(form, accept, render=render, success=_("Thank you. You accepted the terms of participation."),
                       redirect_to=target)


@user_logged_in.connect
def _ask_for_consent_at_sign_in(_app, user, **_extra) -> None:
    """At each sign-in, remember in the session whether the current terms await acceptance."""
    if pages.needs_consent(db.session, user):
        session[CONSENT_PENDING] = True
    else:
        session.pop(CONSENT_PENDING, None)


@bp.before_app_request
def _hold_until_terms_accepted():
    if not session.get(CONSENT_PENDING) or not current_user.is_authenticated:
        return None
    endpoint = request.endpoint or ""
    if endpoint in _REACHABLE_WHILE_PENDING or endpoint.startswith(_REACHABLE_PREFIXES):
        return None
    return redirect(url_for("policies.accept_terms", next=relative_request_path()))


# --- editing (administrators) -----------------------------------------------------------------

class PolicyPageForm(Form):
    body = TextAreaField(_l("Text of the page"), validators=[
        DataRequired(message=_l("Write the text of the page.")), Length(max=pages.MAX_SOURCE)])
    change_note = StringField(_l("What changed (optional)"), validators=[Length(max=500)])


@bp.get("/manage/admin/pages")
@requires(is_admin)
def manage_pages():
    return render_template("site/policy_manage.html", titles=page_titles(), slugs=pages.SLUGS,
                           numbers=pages.latest_numbers(db.session), languages=current_app.config["LANGUAGES"])


@bp.route("/manage/admin/pages/" + SLUG_RULE + "/<language>", methods=["GET", "POST"])
@requires(is_admin)
def edit_page(slug: str, language: str):
    if language not in current_app.config["LANGUAGES"]:
        abort(404)
    current = pages.current_text(db.session, slug, language)
    form = PolicyPageForm()
    if not form.is_submitted() and current is not None:
        form.body.data = current.source

    def render(status: int):
        return render_template("site/policy_edit.html", form=form, slug=slug, language=language,
                               title=page_titles()[slug], current=current), status

    return handle_form(
        form,
        lambda: pages.save_page_version(db.session, slug, language, form.body.data,
                                        change_note=form.change_note.data or "", actor=current_user),
        render=render,
        success=lambda version: _("Version %(number)s of the page is published.", number=version.number),
        redirect_to=lambda version: url_for("policies.show_version", slug=slug, language=language,
                                            number=version.number))

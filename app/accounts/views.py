"""Account pages: sign-in and out, registration, e-mail verification,
password reset and change, profile."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.accounts import policy_pages, services
from app.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
)
from app.accounts.sessions import end_session, renew_session, start_session
from app.accounts.tokens import TokenExpired, TokenInvalid
from app.core.authz import login_required, public
from app.core.db import db
from app.core.errors import DomainError
from app.core.security import safe_next
from app.extensions import limiter

bp = Blueprint("accounts", __name__)


# --- rate limits ---------------------------------------------------------------------
# Per client address and per account (the submitted e-mail, lower-cased), POSTs only.
# Limits are read from the current app's config, so one app in a process can have
# them on while another (the test suite's) has them off.


def _limits_off() -> bool:
    return not current_app.config["RATELIMIT_ENABLED"]


def _account_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


def _user_key() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def _retry_after(limit: RequestLimit) -> Response:
    """Give the 429 page its "try again in N minutes" (errors.py reads Retry-After)."""
    # reset_at is rounded up to the next second already: floor, or a 15-minute
    # window reads "16 minutes".
    seconds = max(1, int(limit.reset_at - time.time()))
    return Response(status=429, headers={"Retry-After": str(seconds)})


def rate_limited(setting: str, *key_funcs: Callable[[], str]) -> Callable[[Any], Any]:
    def decorate(view: Any) -> Any:
        for key_func in key_funcs or (get_remote_address,):
            view = limiter.limit(
                lambda: current_app.config[setting],
                key_func=key_func,
                methods=["POST"],
                exempt_when=_limits_off,
                on_breach=_retry_after,
            )(view)
        return view

    return decorate


# --- helpers ---------------------------------------------------------------------------


def _locale() -> str:
    return str(get_locale())


def _status(_form: Any) -> int:
    """A form that comes back is a 400; the first display is a 200."""
    return 400 if request.method == "POST" else 200


def _fail(form: Any, err: DomainError) -> None:
    # No rollback needed: services check before they change anything, and a
    # request that does not commit leaves nothing behind when its session closes.
    form.add_domain_error(err)


# --- sign in and out -----------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    # Not behind the request limiter: the sign-in throttle (app/accounts/throttle.py)
    # counts failed attempts only, so a shared office address is never paused by
    # its colleagues' successful sign-ins.
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    target = safe_next(form.next.data or request.args.get("next"), url_for("site.home"))
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(target)
    if form.validate_on_submit():
        try:
            user = services.authenticate(db.session, email=form.email.data, password=form.password.data,
                                         address=get_remote_address())
        except services.SignInPaused as err:
            _fail(form, err)
            return (render_template("accounts/login.html", form=form), 429,
                    {"Retry-After": str(err.seconds)})
        except services.InvalidCredentials as err:
            db.session.commit()  # the failure counts although the sign-in did not happen
            _fail(form, err)
        except DomainError as err:
            _fail(form, err)
        else:
            db.session.commit()
            start_session(user)
            if not user.is_verified:
                return redirect(url_for(".verify_pending", next=target))
            flash(_("You are signed in."), "success")
            return redirect(target)
    return render_template("accounts/login.html", form=form), _status(form)


@bp.post("/logout")
@login_required
def logout():
    services.sign_out(db.session, current_user._get_current_object(), actor=current_user)
    db.session.commit()
    end_session()
    flash(_("You are signed out."), "success")
    return redirect(url_for("site.home"))


# --- registration and verification ---------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@public
@rate_limited("RATELIMIT_REGISTER", get_remote_address, _account_key)
def register():
    if current_user.is_authenticated:
        return redirect(url_for(".profile"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            services.register_user(
                db.session,
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
                locale=_locale(),
                accepted_terms=policy_pages.current_terms_version(db.session),
                actor=current_user,
            )
        except DomainError as err:
            _fail(form, err)
        else:
            db.session.commit()
            return redirect(url_for(".check_email", sent="registration"))
    return render_template("accounts/register.html", form=form), _status(form)


@bp.get("/check-email")
@public
def check_email():
    sent = request.args.get("sent")
    return render_template("accounts/check_email.html", sent=sent if sent in ("registration", "reset") else None)


@bp.get("/verify-email/<token>")
@public
def verify_email(token: str):
    try:
        user = services.verify_email(db.session, token, actor=current_user)
    except TokenInvalid as err:
        return render_template(
            "accounts/verify_result.html", verified=False, message=err.message,
            expired=isinstance(err, TokenExpired),
        ), 400
    db.session.commit()
    return render_template("accounts/verify_result.html", verified=True, user=user)


@bp.get("/account/verify-email")
@login_required
def verify_pending():
    target = safe_next(request.args.get("next"), url_for("site.home"))
    if current_user.is_verified:
        return redirect(target)
    return render_template("accounts/verify_pending.html", next=target)


@bp.post("/account/verify-email/resend")
@login_required
@rate_limited("RATELIMIT_REGISTER", _user_key)
def resend_verification():
    target = safe_next(request.form.get("next"), url_for(".profile"))
    try:
        queued = services.resend_verification(
            db.session, current_user._get_current_object(), locale=_locale(), actor=current_user
        )
    except services.AlreadyVerified as err:
        flash(str(err.message), "info")
        return redirect(target)
    db.session.commit()
    if queued:
        flash(_("We sent a new link to %(email)s. It can take a few minutes to arrive.",
                email=current_user.email), "success")
    else:
        flash(_("We sent you a link a few minutes ago. Look for it in your inbox and your spam folder."), "info")
    return redirect(target)


# --- passwords -------------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@rate_limited("RATELIMIT_RESET", get_remote_address)  # per address only: nobody can use up an owner's resets
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(db.session, email=form.email.data, locale=_locale(), actor=current_user)
        db.session.commit()
        return redirect(url_for(".check_email", sent="reset"))
    return render_template("accounts/forgot_password.html", form=form), _status(form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
@rate_limited("RATELIMIT_RESET", get_remote_address)
def reset_password(token: str):
    try:
        user = services.check_reset_token(db.session, token)
    except TokenInvalid as err:
        return render_template(
            "accounts/reset_password.html", form=None, token_error=err.message,
            expired=isinstance(err, TokenExpired),
        ), 400
    form = ResetPasswordForm().for_user(user)
    if form.validate_on_submit():
        try:
            services.reset_password(db.session, token, new_password=form.new_password.data,
                                    locale=_locale(), actor=current_user)
        except DomainError as err:
            _fail(form, err)
        else:
            db.session.commit()
            if current_user.is_authenticated:
                end_session()
            flash(_("Your password has been changed and you were signed out everywhere. "
                    "Sign in with your new password."), "success")
            return redirect(url_for(".login"))
    return render_template("accounts/reset_password.html", form=form, token=token, user=user), _status(form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm().for_user(user)
    if form.validate_on_submit():
        try:
            services.change_password(db.session, user, current_password=form.current_password.data,
                                     new_password=form.new_password.data, locale=_locale(), actor=user)
        except DomainError as err:
            _fail(form, err)
        else:
            db.session.commit()
            renew_session(user)
            flash(_("Your password has been changed. Any other sessions were signed out."), "success")
            return redirect(url_for(".profile"))
    return render_template("accounts/change_password.html", form=form), _status(form)


# --- profile ---------------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if request.method == "GET":
        form.preferred_language.data = user.preferred_language or ""
    if form.validate_on_submit():
        try:
            services.update_profile(db.session, user, display_name=form.display_name.data,
                                    preferred_language=form.preferred_language.data or None,
                                    timezone=form.timezone.data, actor=user)
        except DomainError as err:
            _fail(form, err)
        else:
            db.session.commit()
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for(".profile"))
    return render_template("accounts/profile.html", form=form, user=user), _status(form)

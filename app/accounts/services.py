"""User services: registration, e-mail verification, sign-in, passwords, profile.

Over 400 lines: the account's life from registration to sign-in is one story (the
same tokens, the same answers that never reveal an account); split by step, each
part would have to import the others.

Each function flushes and never commits; the view, the CLI or the test that
calls it commits once. E-mails go into the outbox in the same transaction.

Answers never reveal whether an address has an account: registering a taken
address sends its owner a notice instead, a reset for an unknown address
does nothing, and a failed sign-in costs the same hashing work either way.
"""

from __future__ import annotations

import unicodedata
import zoneinfo
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts import throttle, tokens
from app.accounts.models import Role, RoleGrant, Scope, User
from app.accounts.passwords import hash_password, is_common, needs_rehash, verify_password
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.mail import queue_email, sealed
from app.core.urls import external_url  # noqa: F401 - also imported from here

# Resent links within this many seconds share a dedupe key: one e-mail, not ten.
RESEND_WINDOW_SECONDS = 600
# Bidirectional overrides and isolates let a name display as something else.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


class InvalidCredentials(DomainError):  # noqa: N818 - named like core.errors.NotFound
    def __init__(self) -> None:
        super().__init__(_l("The e-mail address or password is not correct."))


class SignInPaused(DomainError):  # noqa: N818
    """Too many failed attempts for this e-mail address from here, or from this address."""

    status_code = 429

    def __init__(self, until: datetime, now: datetime | None = None) -> None:
        self.until = until
        self.seconds = max(1, int((until - (now or utcnow())).total_seconds() + 0.999))
        minutes = max(1, -(-self.seconds // 60))
        super().__init__(lazy_ngettext(
            "Too many failed attempts to sign in from your network. Try again in %(num)d minute, "
            "or choose a new password with “Forgot your password?”: that is never paused.",
            "Too many failed attempts to sign in from your network. Try again in %(num)d minutes, "
            "or choose a new password with “Forgot your password?”: that is never paused.", minutes))


class AccountNotActive(DomainError):  # noqa: N818
    status_code = 403


class AlreadyVerified(DomainError):  # noqa: N818
    pass


# --- helpers ---------------------------------------------------------------------


def normalise_email(email: str) -> str:
    """Trimmed, domain lower-cased. Look-ups compare the whole address lower-cased."""
    email = (email or "").strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or len(email) > 320 or any(ch.isspace() for ch in email):
        raise DomainError(_l("Enter an e-mail address like name@example.org."), field="email")
    return f"{local}@{domain.lower()}"


def find_user_by_email(session: Session, email: str) -> User | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    return session.scalar(select(User).where(func.lower(User.email) == email))


@lru_cache(maxsize=1)
def available_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone_choices() -> list[str]:
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return ["UTC", *zones]


_dummy_hashes: dict[tuple[Any, ...], str] = {}


def _dummy_hash() -> str:
    """A hash with the current parameters, verified when no account matches."""
    cfg = current_app.config
    key = (cfg.get("ARGON2_TIME_COST"), cfg.get("ARGON2_MEMORY_COST"), cfg.get("ARGON2_PARALLELISM"))
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hash_password("agora-1540 timing equaliser, not a password")
    return _dummy_hashes[key]


def password_problem(password: str, *, email: str | None = None, display_name: str | None = None) -> str | None:
    """Why ``password`` is refused, or None. Length and common passwords only: no composition rules."""
    cfg = current_app.config
    password = password or ""
    if len(password) < cfg["PASSWORD_MIN_LENGTH"]:
        return _("Use at least %(num)d characters.", num=cfg["PASSWORD_MIN_LENGTH"])
    if len(password) > cfg["PASSWORD_MAX_LENGTH"]:
        return _("Use at most %(num)d characters.", num=cfg["PASSWORD_MAX_LENGTH"])
    if is_common(password):
        return _("This password is too common and easy to guess. Try a few unrelated words.")
    lowered = password.strip().lower()
    if lowered and lowered in {(email or "").lower(), (display_name or "").strip().lower()}:
        return _("Do not use your e-mail address or your name as your password.")
    return None


def _check_password(password: str, field: str, **context: Any) -> None:
    problem = password_problem(password, **context)
    if problem:
        raise DomainError(problem, field=field)


def display_name_problem(name: str) -> str | None:
    name = (name or "").strip()
    if not name:
        return _("Enter the name other participants will see.")
    if len(name) > 120:
        return _("Use at most %(num)d characters.", num=120)
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in name):
        return _("Remove line breaks and invisible control characters from the name.")
    return None


def _check_display_name(name: str) -> str:
    problem = display_name_problem(name)
    if problem:
        raise DomainError(problem, field="display_name")
    return name.strip()


def _bucket(now: datetime | None = None) -> int:
    return int((now or utcnow()).timestamp()) // RESEND_WINDOW_SECONDS


def _hours(delta: Any) -> int:
    return max(1, int(delta.total_seconds() // 3600))


def _locale_for(user: User, fallback: str | None) -> str | None:
    return user.preferred_language or fallback


def _queue_verification(session: Session, user: User, *, key: str, locale: str | None) -> bool:
    queued = queue_email(
        session,
        to=user.email,
        template="accounts/verify_email",
        dedupe_key=f"accounts:verify-email:{user.id}:{key}",
        locale=_locale_for(user, locale),
        sealed_values={"token": tokens.email_verification_token(user)},
        user=user,
        link=external_url("accounts.verify_email", token=sealed("token")),
        valid_hours=_hours(current_app.config["EMAIL_VERIFY_MAX_AGE"]),
    )
    return queued is not None


def _queue_password_changed(session: Session, user: User, *, locale: str | None) -> None:
    queue_email(
        session,
        to=user.email,
        template="accounts/password_changed",
        dedupe_key=f"accounts:password-changed:{user.id}:{user.session_generation}",
        locale=_locale_for(user, locale),
        user=user,
        reset_link=external_url("accounts.forgot_password"),
    )


def _bump_generation(user: User) -> None:
    user.session_generation = (user.session_generation or 0) + 1


# --- registration and verification -------------------------------------------------


def register_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    locale: str | None = None,
    accepted_terms: int | None = None,
    actor: Any = None,
) -> User | None:
    """Create an unverified account and queue its verification e-mail.

    ``accepted_terms`` is the version of the terms of participation the person
    accepted on the form; it is recorded on the new account with the time.

    A taken address gets no second account: its owner is told that someone
    tried to register, and the caller learns nothing (returns None).
    """
    email = normalise_email(email)
    display_name = _check_display_name(display_name)
    _check_password(password, "password", email=email, display_name=display_name)

    existing = find_user_by_email(session, email)
    if existing is None:
        user = User(email=email, display_name=display_name, password_hash=hash_password(password))
        if accepted_terms is not None:
            user.terms_version, user.terms_accepted_at = accepted_terms, utcnow()
        try:
            with session.begin_nested():
                session.add(user)
                session.flush()
        except IntegrityError:  # registered concurrently
            existing = find_user_by_email(session, email)
            if existing is None:
                raise
        else:
            record(session, actor=user, action="user.register", target=user,
                   after={"email": user.email, "display_name": user.display_name})
            _queue_verification(session, user, key="registered", locale=locale)
            return user
    else:
        hash_password(password)  # the same work as a new account: no timing oracle

    queue_email(
        session,
        to=existing.email,
        template="accounts/register_attempt",
        dedupe_key=f"accounts:register-attempt:{existing.id}:{_bucket()}",
        locale=_locale_for(existing, locale),
        user=existing,
        login_link=external_url("accounts.login"),
        reset_link=external_url("accounts.forgot_password"),
    )
    return None


def resend_verification(session: Session, user: User, *, locale: str | None = None,
                        actor: Any = None, now: datetime | None = None) -> bool:
    """Queue a new verification link; False when one was sent in the last minutes."""
    if user.is_verified:
        raise AlreadyVerified(_l("Your e-mail address is already verified."))
    return _queue_verification(session, user, key=f"resend-{_bucket(now)}", locale=locale)


def verify_email(session: Session, token: str, *, actor: Any = None, now: datetime | None = None) -> User:
    """Mark the address verified. Opening the link twice is fine."""
    payload = tokens.read(tokens.VERIFY_EMAIL, token, current_app.config["EMAIL_VERIFY_MAX_AGE"], now=now)
    user_id = payload.get("u")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.email.lower() != payload.get("e"):
        raise tokens.TokenInvalid()
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        record(session, actor=user, action="user.verify_email", target=user, after={"email": user.email})
        session.flush()
    return user


# --- sign-in and sessions ----------------------------------------------------------


def authenticate(session: Session, *, email: str, password: str, address: str | None = None,
                 now: datetime | None = None) -> User:
    """The account for these credentials; rehashes the password when parameters changed.

    With the client's ``address`` the sign-in throttle applies: a paused
    attempt raises ``SignInPaused`` before any password is checked, and a
    failure is counted (flushed; the caller commits it although sign-in failed).
    """
    password = password or ""
    if address is not None:
        until = throttle.wait_until(session, email=email, address=address, now=now)
        if until is not None:
            raise SignInPaused(until, now)
    try:
        user = _check_credentials(session, email=email, password=password)
    except InvalidCredentials:
        if address is not None:
            throttle.record_failure(session, email=email, address=address, now=now)
        raise
    if address is not None:
        throttle.clear_pair(session, email=email, address=address)
    if user.status == User.SUSPENDED:  # the right password: not a guess, not counted
        raise AccountNotActive(
            _l("This account is suspended. Contact the platform administrators if you think this is a mistake."))
    if user.status != User.ACTIVE:
        raise AccountNotActive(_l("This account is closed."))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def _check_credentials(session: Session, *, email: str, password: str) -> User:
    if len(password) > current_app.config["PASSWORD_MAX_LENGTH"]:
        raise InvalidCredentials()
    user = find_user_by_email(session, email)
    if user is None:
        verify_password(_dummy_hash(), password)
        raise InvalidCredentials()
    if not verify_password(user.password_hash, password):
        raise InvalidCredentials()
    return user


def sign_out(session: Session, user: User, *, actor: Any = None) -> None:
    """End every session of ``user``: cookies carrying the old generation are refused."""
    _bump_generation(user)
    session.flush()


def end_all_sessions(session: Session, user: User, *, actor: Any, reason: str | None = None) -> None:
    """For suspensions and admin actions: sign the user out everywhere, audited."""
    _bump_generation(user)
    record(session, actor=actor, action="user.end_sessions", target=user, reason=reason)
    session.flush()


# --- passwords ---------------------------------------------------------------------


def change_password(session: Session, user: User, *, current_password: str, new_password: str,
                    locale: str | None = None, actor: Any = None) -> None:
    """Needs the current password; ends every other session (the caller starts a new one)."""
    if not verify_password(user.password_hash, current_password or ""):
        raise DomainError(_l("Your current password is not correct."), field="current_password")
    _check_password(new_password, "new_password", email=user.email, display_name=user.display_name)
    if new_password == current_password:
        raise DomainError(_l("Choose a password different from your current one."), field="new_password")
    user.password_hash = hash_password(new_password)
    _bump_generation(user)
    record(session, actor=actor or user, action="user.change_password", target=user)
    _queue_password_changed(session, user, locale=locale)
    session.flush()


def request_password_reset(session: Session, *, email: str, locale: str | None = None,
                           actor: Any = None, now: datetime | None = None) -> None:
    """Queue a reset link if an active account has this address; silently nothing otherwise."""
    user = find_user_by_email(session, email)
    if user is None or user.status != User.ACTIVE:
        return
    fingerprint = tokens.password_fingerprint(user.password_hash)[:12]
    queue_email(
        session,
        to=user.email,
        template="accounts/reset_password",
        dedupe_key=f"accounts:reset-password:{user.id}:{fingerprint}:{_bucket(now)}",
        locale=_locale_for(user, locale),
        sealed_values={"token": tokens.password_reset_token(user, now=now)},
        user=user,
        link=external_url("accounts.reset_password", token=sealed("token")),
        valid_hours=_hours(current_app.config["PASSWORD_RESET_MAX_AGE"]),
    )


def check_reset_token(session: Session, token: str, *, now: datetime | None = None) -> User:
    """The user a reset link is for, if it is valid, unexpired and unused."""
    payload = tokens.read(tokens.RESET_PASSWORD, token, current_app.config["PASSWORD_RESET_MAX_AGE"], now=now)
    user_id = payload.get("u")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.status != User.ACTIVE:
        raise tokens.TokenInvalid()
    if payload.get("f") != tokens.password_fingerprint(user.password_hash):
        raise tokens.TokenInvalid(_l("This link has been used already, or the password was changed since it was sent."))
    return user


def reset_password(session: Session, token: str, *, new_password: str, locale: str | None = None,
                   actor: Any = None, now: datetime | None = None) -> User:
    """Set a new password from a reset link; the link stops working and every session ends."""
    user = check_reset_token(session, token, now=now)
    _check_password(new_password, "new_password", email=user.email, display_name=user.display_name)
    user.password_hash = hash_password(new_password)
    _bump_generation(user)
    if user.email_verified_at is None:  # the link reached the mailbox: that proves it
        user.email_verified_at = utcnow()
    throttle.clear_account(session, email=user.email)  # the owner proved it: no wait from anywhere
    record(session, actor=user, action="user.reset_password", target=user)
    _queue_password_changed(session, user, locale=locale)
    session.flush()
    return user


# --- profile and administrators -----------------------------------------------------


def update_profile(session: Session, user: User, *, display_name: str, preferred_language: str | None,
                   timezone: str, actor: Any = None) -> None:
    display_name = _check_display_name(display_name)
    preferred_language = preferred_language or None
    if preferred_language is not None and preferred_language not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose one of the languages in the list."), field="preferred_language")
    if timezone not in available_timezones():
        raise DomainError(_l("Choose a time zone from the list."), field="timezone")
    if display_name != user.display_name:
        record(session, actor=actor or user, action="user.rename", target=user,
               before={"display_name": user.display_name}, after={"display_name": display_name})
    user.display_name = display_name
    user.preferred_language = preferred_language
    user.timezone = timezone
    session.flush()


def create_admin(session: Session, *, email: str, display_name: str, password: str | None,
                 actor: Any = None) -> tuple[User, bool]:
    """Make ``email`` an administrator, creating a verified account if needed.

    Returns the user and whether the admin role was newly granted.
    """
    user = find_user_by_email(session, email)
    if user is None:
        email = normalise_email(email)
        display_name = _check_display_name(display_name)
        if password is None:
            raise DomainError(_l("A password is needed for a new account."), field="password")
        _check_password(password, "password", email=email, display_name=display_name)
        user = User(email=email, display_name=display_name, password_hash=hash_password(password),
                    email_verified_at=utcnow())
        session.add(user)
        session.flush()
        record(session, actor=actor, action="user.create", target=user,
               after={"email": user.email, "display_name": user.display_name})
    already = session.scalar(
        select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.role == Role.ADMIN,
                                RoleGrant.scope_type == Scope.GLOBAL, RoleGrant.scope_key == "")
    )
    if already is not None:
        return user, False
    grant = RoleGrant(user_id=user.id, role=Role.ADMIN, scope_type=Scope.GLOBAL, scope_key="",
                      granted_by_id=getattr(actor, "id", None))
    session.add(grant)
    session.flush()
    record(session, actor=actor, action="role.grant", target=user,
           after={"role": Role.ADMIN, "scope_type": Scope.GLOBAL, "scope_key": ""},
           reason="flask create-admin")
    session.refresh(user)
    return user, True

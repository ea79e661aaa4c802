"""Signed, expiring tokens sent by e-mail (itsdangerous, keyed by SECRET_KEY).

A token names its purpose (the itsdangerous salt), so a verification token
can never be used as a reset token. Password-reset tokens also carry a
fingerprint of the current password hash: once the password changes (the
reset itself, a change, a rehash) every earlier reset link stops working,
which makes them single-use without storing anything.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from app.core.errors import DomainError

VERIFY_EMAIL = "accounts.verify-email"
RESET_PASSWORD = "accounts.reset-password"  # noqa: S105 - a salt name, not a password


class TokenInvalid(DomainError):  # noqa: N818 - named like core.errors.NotFound
    """Malformed, tampered with, made for another purpose, or already used."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(message or _l("This link is not valid. It may have been copied incompletely or used already."))


class TokenExpired(TokenInvalid):
    def __init__(self, message: Any = None) -> None:
        super().__init__(message or _l("This link has expired."))


class _ClockSigner(TimestampSigner):
    """A TimestampSigner whose clock can be set (tests issue tokens in the past)."""

    def __init__(self, *args: Any, clock: Callable[[], float] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock()) if self._clock is not None else super().get_timestamp()


def _serializer(purpose: str, now: datetime | None) -> URLSafeTimedSerializer:
    clock = (lambda: now.timestamp()) if now is not None else None
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"],
        salt=purpose,
        signer=_ClockSigner,
        signer_kwargs={"digest_method": hashlib.sha256, "clock": clock},
    )


def issue(purpose: str, payload: dict[str, Any], *, now: datetime | None = None) -> str:
    return _serializer(purpose, now).dumps(payload)


def read(purpose: str, token: str, max_age: timedelta, *, now: datetime | None = None) -> dict[str, Any]:
    """The payload of a valid token; ``TokenExpired`` or ``TokenInvalid`` otherwise."""
    if not token or len(token) > 1000:
        raise TokenInvalid()
    try:
        payload = _serializer(purpose, now).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        raise TokenExpired() from exc
    except (BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise TokenInvalid() from exc
    if not isinstance(payload, dict):
        raise TokenInvalid()
    return payload


def password_fingerprint(password_hash: str) -> str:
    """A keyed digest of the password hash: changes whenever the password does."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def email_verification_token(user: Any, *, now: datetime | None = None) -> str:
    return issue(VERIFY_EMAIL, {"u": user.id, "e": user.email.lower()}, now=now)


def password_reset_token(user: Any, *, now: datetime | None = None) -> str:
    return issue(RESET_PASSWORD, {"u": user.id, "f": password_fingerprint(user.password_hash)}, now=now)

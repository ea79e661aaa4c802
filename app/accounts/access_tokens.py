"""Personal access tokens for the read API.

A token is ``agora_`` followed by 43 URL-safe characters (32 random bytes).
Only its SHA-256 digest is stored: a copy of the table opens nothing, and a
token with 256 bits of randomness needs no slow hash. Its first characters
(``prefix``) are kept in clear so the owner can tell tokens apart.

A token acts for its owner with one of two scopes: ``read_public`` sees what
a visitor sees, ``read_as_me`` what the owner sees signed in. It stops
working when it is revoked or expires, and while its owner is not active
(suspended, banned, closed): the owner's status is read on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.personal_models import TOKEN_SCOPES, PersonalToken
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import DomainError, NotFound

TOKEN_PREFIX = "agora_"  # noqa: S105 - the visible start of every token, not a secret
PREFIX_SHOWN = 12  # "agora_" and six characters of the secret
MAX_TOKEN_LENGTH = 200
# Expiry choices offered on the page, in days; None is "never".
EXPIRY_DAYS = (7, 30, 90, 365, None)
MAX_ACTIVE_TOKENS = 20
# last_used_at is written at most this often per token.
TOUCH_EVERY = timedelta(minutes=1)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(raw: str) -> bool:
    return (raw.startswith(TOKEN_PREFIX) and len(raw) <= MAX_TOKEN_LENGTH
            and all(c.isascii() and (c.isalnum() or c in "-_") for c in raw))


def tokens_of(session: Session, user: Any) -> list[PersonalToken]:
    return list(session.scalars(select(PersonalToken).where(PersonalToken.user_id == user.id)
                                .order_by(PersonalToken.created_at.desc(), PersonalToken.id.desc())))


def create_token(session: Session, user: User, *, name: str, scope: str, expires_in_days: int | None,
                 actor: Any, now: datetime | None = None) -> tuple[PersonalToken, str]:
    """A new token and its secret (shown once; only its digest is kept)."""
    now = now or utcnow()
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Give the token a name."), field="name")
    if len(name) > 100:
        raise DomainError(_l("The name can be at most 100 characters long."), field="name")
    if scope not in TOKEN_SCOPES:
        raise DomainError(_l("Choose one of the scopes in the list."), field="scope")
    if expires_in_days not in EXPIRY_DAYS:
        raise DomainError(_l("Choose one of the expiry periods in the list."), field="expires_in_days")
    active = [t for t in tokens_of(session, user) if t.is_usable(now)]
    if len(active) >= MAX_ACTIVE_TOKENS:
        raise DomainError(_l("You have too many active tokens. Revoke one you no longer use first."), field="name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PersonalToken(
        user_id=user.id, name=name, scope=scope, prefix=raw[:PREFIX_SHOWN], secret_hash=digest(raw),
        created_at=now, expires_at=None if expires_in_days is None else now + timedelta(days=expires_in_days),
    )
    session.add(token)
    session.flush()
    record(session, actor=actor, action="token.create", target=token,
           after={"user_id": user.id, "name": name, "scope": scope, "prefix": token.prefix,
                  "expires_at": token.expires_at.isoformat() if token.expires_at else None})
    return token, raw


def revoke_token(session: Session, token: PersonalToken, *, actor: Any, now: datetime | None = None) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = now or utcnow()
    record(session, actor=actor, action="token.revoke", target=token,
           after={"user_id": token.user_id, "prefix": token.prefix})
    session.flush()


def revoke_all(session: Session, user: Any, *, now: datetime | None = None) -> int:
    """Every token of ``user`` stops working (account closed); returns how many were live."""
    now = now or utcnow()
    result = session.execute(
        update(PersonalToken).where(PersonalToken.user_id == user.id, PersonalToken.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False))
    return result.rowcount or 0


def load_own_token(session: Session, user: Any, token_id: int) -> PersonalToken:
    token = session.get(PersonalToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_l("This token does not exist."))
    return token


def authenticate(session: Session, raw: str, *, now: datetime | None = None) -> tuple[PersonalToken, User] | None:
    """The token and its owner when ``raw`` is a live token of an active account; else None."""
    if not looks_like_token(raw):
        return None
    now = now or utcnow()
    token = session.scalar(select(PersonalToken).where(PersonalToken.secret_hash == digest(raw)))
    if token is None or not token.is_usable(now):
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    return token, user


def touch(session: Session, token: PersonalToken, *, now: datetime | None = None) -> bool:
    """Record a use, at most once per ``TOUCH_EVERY``; the conditional UPDATE
    keeps concurrent requests from all writing. True when the row was written."""
    now = now or utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return False
    result = session.execute(
        update(PersonalToken)
        .where(PersonalToken.id == token.id,
               or_(PersonalToken.last_used_at.is_(None), PersonalToken.last_used_at <= now - TOUCH_EVERY))
        .values(last_used_at=now).execution_options(synchronize_session=False))
    return bool(result.rowcount)

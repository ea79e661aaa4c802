"""Sign-in throttle: a growing wait after failed attempts, never a lock-out.

Only failures count, and they count twice: per (account, client address)
pair, so someone guessing from one place slows down without touching the
owner signing in from another, and per client address with a looser
allowance, so one address cannot try a little on many accounts. An office
behind one shared address is never slowed down by its colleagues' successful
sign-ins.

Past the free failures, each failure sets a time before which the next
attempt is refused; the wait doubles with each further failure, up to a cap.
Quiet time forgets failures one at a time (the sustained rate an attacker can
keep up is one attempt per "forget" interval). A success clears its pair; a
password reset, which is never throttled here, clears every pair of the
account. The same happens for addresses that have no account, so the wait
says nothing about whether an account exists.

Rows are keyed by keyed digests (HMAC with SECRET_KEY) of the e-mail address
typed and of the client address: the table holds neither.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import SignInThrottle
from app.core.db import utcnow

# Rows quiet for this long are deleted (by then every failure is forgotten or nearly).
FORGET_ROWS_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Allowance:
    free_failures: int
    forget_one_every: timedelta


def _digest(kind: str, *parts: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = "\x1f".join(("sign-in-throttle", kind, *parts)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _email(email: str | None) -> str:
    return (email or "").strip().lower()


def account_key(email: str | None) -> str:
    return _digest("account", _email(email))


def _keys(email: str | None, address: str) -> list[tuple[str, str | None, Allowance]]:
    cfg = current_app.config
    return [
        (_digest("pair", _email(email), address), account_key(email),
         Allowance(cfg["SIGN_IN_PAIR_FREE_FAILURES"], cfg["SIGN_IN_PAIR_FORGET"])),
        (_digest("address", address), None,
         Allowance(cfg["SIGN_IN_ADDRESS_FREE_FAILURES"], cfg["SIGN_IN_ADDRESS_FORGET"])),
    ]


def wait_until(session: Session, *, email: str | None, address: str, now: datetime | None = None) -> datetime | None:
    """The time before which a sign-in for ``email`` from ``address`` is refused, or None."""
    now = now or utcnow()
    keys = [key for key, _account, _allowance in _keys(email, address)]
    times = session.scalars(
        select(SignInThrottle.retry_after).where(SignInThrottle.key.in_(keys), SignInThrottle.retry_after > now)
    ).all()
    return max(times, default=None)


def _delay(failures: int, free: int) -> timedelta | None:
    if failures < free:
        return None
    cfg = current_app.config
    first, cap = cfg["SIGN_IN_FIRST_DELAY"], cfg["SIGN_IN_MAX_DELAY"]
    doublings = min(failures - free, 32)  # 2**32 × 30 s is far past any cap
    return min(cap, first * (2 ** doublings))


def _row(session: Session, key: str, account: str | None, now: datetime) -> SignInThrottle:
    query = select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
    row = session.scalar(query.execution_options(populate_existing=True))
    if row is not None:
        return row
    row = SignInThrottle(key=key, account_key=account, failures=0, last_failure_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another request counted the first failure at the same moment
        row = session.scalar(query.execution_options(populate_existing=True))
        if row is None:
            raise
    return row


def record_failure(session: Session, *, email: str | None, address: str, now: datetime | None = None) -> None:
    """Count one failed sign-in for the pair and the address, and set their waits."""
    now = now or utcnow()
    for key, account, allowance in _keys(email, address):
        row = _row(session, key, account, now)
        quiet = max(now - row.last_failure_at, timedelta(0))
        forgotten = int(quiet / allowance.forget_one_every) if allowance.forget_one_every else 0
        row.failures = max(0, (row.failures or 0) - forgotten) + 1
        row.last_failure_at = now
        delay = _delay(row.failures, allowance.free_failures)
        row.retry_after = now + delay if delay else None
    session.execute(
        delete(SignInThrottle)
        .where(SignInThrottle.last_failure_at < now - FORGET_ROWS_AFTER)
        .where(or_(SignInThrottle.retry_after.is_(None), SignInThrottle.retry_after < now))
        .execution_options(synchronize_session=False)
    )
    session.flush()


def clear_pair(session: Session, *, email: str | None, address: str) -> None:
    """After a successful sign-in: this pair starts afresh (the address count stays)."""
    pair_key = _keys(email, address)[0][0]
    session.execute(delete(SignInThrottle).where(SignInThrottle.key == pair_key)
                    .execution_options(synchronize_session=False))


def clear_account(session: Session, *, email: str | None) -> None:
    """After a password reset: every pair of this account, from any address, starts afresh."""
    session.execute(delete(SignInThrottle).where(SignInThrottle.account_key == account_key(email))
                    .execution_options(synchronize_session=False))

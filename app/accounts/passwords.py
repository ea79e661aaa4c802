"""Password hashing (argon2id) and the password rules.

Rules: at least PASSWORD_MIN_LENGTH characters, at most PASSWORD_MAX_LENGTH,
no composition rules, not in the common-password list.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app


def hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg.get("ARGON2_TIME_COST", 3),
        memory_cost=cfg.get("ARGON2_MEMORY_COST", 65536),
        parallelism=cfg.get("ARGON2_PARALLELISM", 4),
    )


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=4)
def _common_passwords(path: str) -> frozenset[str]:
    file = Path(path)
    if not file.exists():
        return frozenset()
    return frozenset(line.strip() for line in file.read_text(encoding="utf-8").splitlines() if line.strip())


def is_common(password: str) -> bool:
    return password.lower() in _common_passwords(str(current_app.config["COMMON_PASSWORDS_FILE"]))

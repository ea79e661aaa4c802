"""Password hashing (argon2id) and the password rules. No database."""

from __future__ import annotations

import pytest

from app.accounts.passwords import hash_password, is_common, needs_rehash, verify_password
from app.accounts.services import password_problem
from config import Config, DevelopmentConfig, ProductionConfig, TestingConfig


@pytest.fixture()
def ctx(app):
    with app.app_context():
        yield app


def test_hashes_are_argon2id_and_salted(ctx):
    first, second = hash_password("a quiet passphrase"), hash_password("a quiet passphrase")
    assert first.startswith("$argon2id$")
    assert first != second
    assert "a quiet passphrase" not in first


def test_verify_accepts_the_password_and_nothing_else(ctx):
    stored = hash_password("a quiet passphrase")
    assert verify_password(stored, "a quiet passphrase")
    assert not verify_password(stored, "a quiet passphrasE")
    assert not verify_password(stored, "")
    assert not verify_password("not a hash at all", "a quiet passphrase")
    assert not verify_password("", "")


def test_needs_rehash_when_the_parameters_change(ctx, monkeypatch):
    stored = hash_password("a quiet passphrase")
    assert not needs_rehash(stored)

    monkeypatch.setitem(ctx.config, "ARGON2_TIME_COST", ctx.config["ARGON2_TIME_COST"] + 1)

    assert needs_rehash(stored)
    assert verify_password(stored, "a quiet passphrase")  # the old hash still verifies
    assert needs_rehash("garbage")


def test_production_parameters_follow_the_rfc_9106_low_memory_profile(ctx, monkeypatch):
    for key in ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM"):
        monkeypatch.setitem(ctx.config, key, getattr(ProductionConfig, key))
    stored = hash_password("a quiet passphrase")
    assert "$argon2id$v=19$m=65536,t=3,p=4$" in stored
    assert verify_password(stored, "a quiet passphrase")


def test_common_passwords_are_recognised_whatever_the_case(ctx):
    assert is_common("password1234")
    assert is_common("PassWord1234")
    assert not is_common("a quiet passphrase about export controls")


@pytest.mark.parametrize("password", [
    "x" * 12,                                  # exactly the minimum
    "correct horse battery staple",            # lower-case words, no digits or symbols
    "839201746583",                            # digits only, not a common one
    "Пароль из четырёх слов",                  # Cyrillic
    "كلمة سر طويلة جدا",                        # Arabic
    "長い合言葉は安全です十二文字",               # 14 CJK characters
    "y" * 256,                                 # exactly the maximum
])
def test_no_composition_rules_only_length_and_commonness(ctx, password):
    assert password_problem(password) is None


@pytest.mark.parametrize("password, fragment", [
    ("x" * 11, "at least 12"),
    ("", "at least 12"),
    ("y" * 257, "at most 256"),
    ("password1234", "too common"),
    ("QWERTYUIOP123", "too common"),
])
def test_refused_passwords_say_why(ctx, password, fragment):
    assert fragment in password_problem(password)


def test_the_password_cannot_be_the_address_or_the_name(ctx):
    assert password_problem("someone@example.org", email="Someone@Example.org") is not None
    assert password_problem("My Display Name", display_name="my display name") is not None


def test_length_counts_characters_not_bytes(ctx):
    assert password_problem("é" * 12) is None          # 24 bytes in UTF-8, 12 characters
    assert password_problem("😀" * 11) is not None


def test_maximum_length_is_at_least_128_everywhere():
    for config in (Config, DevelopmentConfig, TestingConfig, ProductionConfig):
        assert config.PASSWORD_MAX_LENGTH >= 128
        assert config.PASSWORD_MIN_LENGTH == 12

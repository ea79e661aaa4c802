"""Configuration, read from environment variables once, validated at start-up.

This is the only module that reads the environment. Everything else reads
``current_app.config``, which ``create_app`` makes read-only once the
application is built (``FrozenConfig``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Config as FlaskConfig

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "production"
    DEBUG = False
    TESTING = False

    SECRET_KEY = _env("SECRET_KEY")
    DATABASE_URL = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'agora.sqlite3'}")
    DATABASE_ECHO = _env_bool("DATABASE_ECHO", False)
    # A request whose transaction hit a deadlock or a serialization failure is
    # rolled back and run again this many times (app/core/transactions.py).
    TRANSACTION_RETRIES = _env_int("TRANSACTION_RETRIES", 2)
    REDIS_URL = _env("REDIS_URL")
    BASE_URL = _env("BASE_URL", "http://127.0.0.1:5000")

    # Sessions: server-checked generation, idle and absolute time-outs.
    SESSION_COOKIE_NAME = "agora_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    SESSION_IDLE_TIMEOUT = timedelta(minutes=_env_int("SESSION_IDLE_MINUTES", 60))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=_env_int("SESSION_ABSOLUTE_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_ABSOLUTE_HOURS", 12))
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 3600 * 8
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_MB", 25) * 1024 * 1024
    SEND_HSTS = True

    # Tokens sent by e-mail.
    EMAIL_VERIFY_MAX_AGE = timedelta(days=2)
    PASSWORD_RESET_MAX_AGE = timedelta(hours=1)

    # Mail: with no MAIL_SERVER, messages are written as .eml files.
    MAIL_SERVER = _env("MAIL_SERVER")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)  # STARTTLS
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)  # implicit TLS
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 20)
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "Agora 1540 <no-reply@agora1540.invalid>")
    MAIL_DIR = Path(_env("MAIL_DIR", str(INSTANCE_DIR / "mail")))
    OUTBOX_MAX_ATTEMPTS = _env_int("OUTBOX_MAX_ATTEMPTS", 8)
    # A worker that dies mid-send leaves its rows leased; another takes them after this.
    OUTBOX_LEASE_SECONDS = _env_int("OUTBOX_LEASE_SECONDS", 300)
    OUTBOX_SEND_AFTER_COMMIT = _env_bool("OUTBOX_SEND_AFTER_COMMIT", False)

    # Rate limits (Flask-Limiter): memory by default, Redis when REDIS_URL is set.
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Sign-in: failed attempts only, per (account, address) pair and, looser, per
    # address; past the free failures each failure doubles the wait before the
    # next attempt, up to the cap. One failure is forgotten per "forget" interval.
    SIGN_IN_PAIR_FREE_FAILURES = _env_int("SIGN_IN_PAIR_FREE_FAILURES", 5)
    SIGN_IN_PAIR_FORGET = timedelta(minutes=_env_int("SIGN_IN_PAIR_FORGET_MINUTES", 15))
    SIGN_IN_ADDRESS_FREE_FAILURES = _env_int("SIGN_IN_ADDRESS_FREE_FAILURES", 50)
    SIGN_IN_ADDRESS_FORGET = timedelta(minutes=_env_int("SIGN_IN_ADDRESS_FORGET_MINUTES", 1))
    SIGN_IN_FIRST_DELAY = timedelta(seconds=_env_int("SIGN_IN_FIRST_DELAY_SECONDS", 30))
    SIGN_IN_MAX_DELAY = timedelta(minutes=_env_int("SIGN_IN_MAX_DELAY_MINUTES", 15))
    RATELIMIT_REGISTER = _env("RATELIMIT_REGISTER", "5 per hour")
    RATELIMIT_RESET = _env("RATELIMIT_RESET", "5 per hour")
    # The read API (/api/v1), per client address.
    API_RATELIMIT = _env("API_RATELIMIT", "120 per minute")
    # Open data (`flask opendata build`, served on /open-data): where the ZIP is
    # written and the licence stated in it and on the page.
    OPEN_DATA_DIR = Path(_env("OPEN_DATA_DIR", str(INSTANCE_DIR / "opendata")))
    OPEN_DATA_LICENCE = _env("OPEN_DATA_LICENCE", "CC BY 4.0")
    # `flask worker` rebuilds the ZIP when it is older than this (0: never; build it from cron).
    OPEN_DATA_INTERVAL = timedelta(minutes=_env_int("OPEN_DATA_INTERVAL_MINUTES", 24 * 60))

    # Languages: the six UN languages.
    LANGUAGES = ("en", "fr", "es", "ru", "ar", "zh")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    # argon2id parameters (argon2-cffi's RFC 9106 low-memory profile by default).
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_COST", 65536)
    ARGON2_PARALLELISM = _env_int("ARGON2_PARALLELISM", 4)

    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_LENGTH = 256
    COMMON_PASSWORDS_FILE = BASE_DIR / "data" / "common_passwords.txt"
    DATA_DIR = BASE_DIR / "data"

    # Consultation attachments: outside static/, served only through a view.
    UPLOAD_DIR = Path(_env("UPLOAD_DIR", str(INSTANCE_DIR / "uploads")))
    ATTACHMENT_MAX_BYTES = _env_int("ATTACHMENT_MAX_MB", 20) * 1024 * 1024

    # Comments: author's edit window, length, threads windowed by top-level comment.
    COMMENT_EDIT_WINDOW_MINUTES = _env_int("COMMENT_EDIT_WINDOW_MINUTES", 30)
    COMMENT_MAX_LENGTH = 10_000
    COMMENT_THREAD_WINDOW = 20  # top-level comments per page
    COMMENT_REPLIES_WINDOW = 10  # replies shown per thread before "show N more replies"
    COMMENT_DISPLAY_DEPTH = 4  # nesting shown; deeper replies are flattened ("in reply to ...")

    # Moderation: flags from distinct users that hide a comment pending review;
    # first comments of a new account that are always pre-moderated; links
    # above which a comment is held for review.
    FLAG_HIDE_THRESHOLD = _env_int("FLAG_HIDE_THRESHOLD", 3)
    NEW_ACCOUNT_PREMODERATED_COMMENTS = _env_int("NEW_ACCOUNT_PREMODERATED_COMMENTS", 3)
    LINK_LIMIT = _env_int("LINK_LIMIT", 3)

    # Discussion windows rendered for visitors who are not signed in, kept until
    # the content changes (app/core/cache.py): "auto" = Redis when REDIS_URL is
    # set, else memory per process; "memory", "redis" or "off".
    PAGE_CACHE = _env("PAGE_CACHE", "auto")
    PAGE_CACHE_MAX_MB = _env_int("PAGE_CACHE_MAX_MB", 64)  # memory store, per process
    PAGE_CACHE_SECONDS = _env_int("PAGE_CACHE_SECONDS", 3600)  # Redis store: entries expire

    @classmethod
    def settings(cls) -> dict[str, Any]:
        """The profile's settings by name (what ``app.config.from_object`` reads)."""
        return {name: getattr(cls, name) for name in dir(cls) if name.isupper()}

    @classmethod
    def validate(cls, settings: Mapping[str, Any] | None = None) -> None:
        """Refuse settings the site cannot run with; ``settings``: the application's final
        configuration (the profile with its overrides), else the profile's own."""
        s = cls.settings() if settings is None else settings
        if not s["SECRET_KEY"]:
            raise ConfigError("SECRET_KEY is not set: set the SECRET_KEY environment variable")
        if s["MAIL_USE_TLS"] and s["MAIL_USE_SSL"]:
            raise ConfigError("MAIL_USE_TLS and MAIL_USE_SSL are exclusive: set only one")
        if s["PAGE_CACHE"] not in ("auto", "memory", "redis", "off"):
            raise ConfigError(f"PAGE_CACHE must be auto, memory, redis or off, got {s['PAGE_CACHE']!r}")
        if s["PAGE_CACHE"] == "redis" and not s["REDIS_URL"]:
            raise ConfigError("PAGE_CACHE=redis needs REDIS_URL")
        for name in ("COMMENT_EDIT_WINDOW_MINUTES", "COMMENT_MAX_LENGTH", "COMMENT_THREAD_WINDOW",
                     "COMMENT_REPLIES_WINDOW", "FLAG_HIDE_THRESHOLD", "LINK_LIMIT", "TRANSACTION_RETRIES",
                     "NEW_ACCOUNT_PREMODERATED_COMMENTS"):
            value = s[name]
            if not isinstance(value, int) or value < (0 if name in ("TRANSACTION_RETRIES",
                                                                   "NEW_ACCOUNT_PREMODERATED_COMMENTS") else 1):
                raise ConfigError(f"{name} must be a whole number of at least 1 (0 allowed for retries and "
                                  f"pre-moderated first comments), got {value!r}")
        if s["OPEN_DATA_INTERVAL"] < timedelta(0):
            raise ConfigError("OPEN_DATA_INTERVAL_MINUTES must be 0 (no rebuilds by the worker) or more")
        base = urlsplit(s["BASE_URL"] or "")
        if base.scheme not in ("http", "https") or not base.netloc or base.query or base.fragment:
            raise ConfigError(f"BASE_URL must be the site's absolute address, like https://agora.example.org, "
                              f"got {s['BASE_URL']!r}: every link in e-mails and feeds is built on it")

class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = True
    SECRET_KEY = _env("SECRET_KEY", "development-only-not-secret")
    SESSION_COOKIE_SECURE = False
    SEND_HSTS = False
    OUTBOX_SEND_AFTER_COMMIT = _env_bool("OUTBOX_SEND_AFTER_COMMIT", True)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-not-secret"  # noqa: S105 - the test profile only
    DATABASE_URL = _env("TEST_DATABASE_URL", "sqlite://")
    SESSION_COOKIE_SECURE = False
    SEND_HSTS = False
    WTF_CSRF_ENABLED = False  # the CSRF test turns it back on
    RATELIMIT_ENABLED = False  # the rate-limit test turns it back on
    PAGE_CACHE = "memory"  # emptied before every test (tests/conftest.py)
    # Other domains' tests expect post-moderated comments to publish at once; the
    # automatic-moderation tests turn the new-account rule back on.
    NEW_ACCOUNT_PREMODERATED_COMMENTS = 0
    MAIL_SERVER = None
    OUTBOX_SEND_AFTER_COMMIT = False
    OPEN_DATA_INTERVAL = timedelta(0)  # the open-data tests run the worker's rebuild with their own interval
    # Cheap hashing keeps the suite fast; production parameters are tested separately.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1


class ProductionConfig(Config):
    pass


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = _env("AGORA_ENV", "production")
    if name not in CONFIGS:
        raise ConfigError(f"AGORA_ENV must be one of {', '.join(CONFIGS)}, got {name!r}")
    return CONFIGS[name]


class ConfigFrozen(RuntimeError):
    """Something tried to change a setting after start-up."""


class FrozenConfig(FlaskConfig):
    """``app.config``: read-only once ``freeze()`` has run (at the end of ``create_app``).

    A setting changed while the site runs would differ between processes and
    between requests; settings come from this module and the environment, and
    what administrators change at run time lives in the database. Two
    exceptions: ``DEBUG``, which the ``flask`` command sets from ``--debug``
    after it has loaded the application, and the test profile (``TESTING``),
    whose tests point one application at a test mail server or switch a rule
    on for a while.
    """

    frozen = False

    def freeze(self) -> None:
        self.frozen = True

    def _check(self, name: Any = None) -> None:
        if self.frozen and name != "DEBUG" and not dict.get(self, "TESTING"):
            raise ConfigFrozen(f"the configuration is read-only after start-up (tried to change {name or 'it'}): "
                               "set it in config.py or the environment")

    def __setitem__(self, name: Any, value: Any) -> None:
        if not (name in self and dict.__getitem__(self, name) == value):
            self._check(name)
        super().__setitem__(name, value)

    def __delitem__(self, name: Any) -> None:
        self._check(name)
        super().__delitem__(name)

    def __ior__(self, other: Any) -> FrozenConfig:
        self.update(other)
        return self

    def update(self, *args: Any, **kwargs: Any) -> None:
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def setdefault(self, name: Any, default: Any = None) -> Any:
        if name not in self:
            self[name] = default
        return self[name]

    def pop(self, name: Any, *default: Any) -> Any:
        if name in self:
            self._check(name)
        return super().pop(name, *default)

    def popitem(self) -> tuple[Any, Any]:
        self._check()
        return super().popitem()

    def clear(self) -> None:
        self._check()
        super().clear()

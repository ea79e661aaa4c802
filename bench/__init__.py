"""Benchmark harness: a data generator (``python -m bench.generate``), a runner
that drives the real app under gunicorn with wrk (``python -m bench.run``) and
a no-database reference app it is compared with. See bench/README.md."""

from __future__ import annotations

from config import ProductionConfig

# Every bench account signs in with this password (one hash, computed once).
BENCH_PASSWORD = "bench password that is long enough"  # noqa: S105 - bench accounts only
BENCH_SECRET_KEY = "bench-only-not-secret"  # noqa: S105


class BenchConfig(ProductionConfig):
    """Production settings, except what a loopback benchmark needs: a fixed
    secret, no rate limits (the runner signs in 17 accounts from 127.0.0.1)
    and a session cookie that plain HTTP clients send back."""

    SECRET_KEY = BENCH_SECRET_KEY
    SESSION_COOKIE_SECURE = False
    SEND_HSTS = False
    RATELIMIT_ENABLED = False
    MAIL_SERVER = None
    OUTBOX_SEND_AFTER_COMMIT = False


def bench_env(database_url: str) -> dict[str, str]:
    """The same settings as environment variables, for the gunicorn processes."""
    return {
        "AGORA_ENV": "production",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "false",
        "OUTBOX_SEND_AFTER_COMMIT": "false",
    }

"""Print a PostgreSQL URL for the test suite, or nothing if none is reachable.

TEST_DATABASE_URL wins. Otherwise the default local server (127.0.0.1:5432,
user postgres) is tried and a database ``agora_test`` created on it if missing.
"""

from __future__ import annotations

import os
import sys

DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def main() -> int:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        print(url)
        return 0
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres",
                             connect_timeout=3, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'agora_test'").fetchone()
            if not exists:
                conn.execute("CREATE DATABASE agora_test")
    except Exception as exc:  # noqa: BLE001 - no server means: skip the PostgreSQL run
        print(f"PostgreSQL not reachable at 127.0.0.1:5432 ({type(exc).__name__}); skipping", file=sys.stderr)
        return 0
    print(DEFAULT.format(name="agora_test"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

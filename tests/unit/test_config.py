"""Settings are checked at start-up: a production site refuses to start with a
setting that would break it later (links in e-mails built on a bad address)."""

from __future__ import annotations

import pytest

from config import ConfigError, ProductionConfig


def production(**settings) -> type[ProductionConfig]:
    return type("Site", (ProductionConfig,), {"SECRET_KEY": "x" * 32, **settings})


@pytest.mark.parametrize("base_url", ["https://agora.example.org", "https://example.org/agora",
                                      "http://127.0.0.1:5050"])
def test_an_absolute_site_address_is_accepted(base_url):
    production(BASE_URL=base_url).validate()


@pytest.mark.parametrize("base_url", ["agora.example.org", "/agora", "ftp://example.org", "https://",
                                      "https://example.org/?next=x", "https://example.org/#top", ""])
def test_a_site_address_that_cannot_carry_links_stops_the_start(base_url):
    with pytest.raises(ConfigError, match="BASE_URL"):
        production(BASE_URL=base_url).validate()


def test_a_production_site_needs_a_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        production(SECRET_KEY=None).validate()


def test_every_profile_is_validated_at_start_up():
    """A development or test profile that could not start in production does not start either."""
    import pytest

    from app import create_app
    from config import ConfigError, TestingConfig

    class Broken(TestingConfig):
        COMMENT_THREAD_WINDOW = 0

    with pytest.raises(ConfigError, match="COMMENT_THREAD_WINDOW"):
        create_app(Broken)


def test_defaults_live_in_config_py_alone():
    """Code reads settings with config[...]: a default restated in app/ drifts from config.py."""
    import re
    from pathlib import Path

    restated = []
    for path in (Path(__file__).resolve().parents[2] / "app").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bconfig\.get\(\s*\"[A-Z_]+\"\s*,\s*[^)\s]", line):
                restated.append(f"{path.name}:{number}: {line.strip()}")
    assert not restated, restated

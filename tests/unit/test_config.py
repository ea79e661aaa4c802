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
    """Code reads settings with config[...]: a default restated in app/ (``config.get("X", …)``,
    ``config.setdefault``) drifts from config.py, and ``config.get("X")`` hides a missing setting."""
    import re
    from pathlib import Path

    restated = []
    for path in (Path(__file__).resolve().parents[2] / "app").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bconfig\.(get|setdefault)\(", line):
                restated.append(f"{path.name}:{number}: {line.strip()}")
    assert not restated, restated


def _production_app():
    from app import create_app

    return create_app(production(), DATABASE_URL="sqlite://")


def test_a_production_site_refuses_a_configuration_change_after_start_up():
    from config import ConfigFrozen

    app = _production_app()
    assert app.config["LINK_LIMIT"] == 3
    attempts = [
        lambda: app.config.__setitem__("LINK_LIMIT", 50),
        lambda: app.config.update(LINK_LIMIT=50),
        lambda: app.config.update({"NEW_SETTING": 1}),
        lambda: app.config.setdefault("NEW_SETTING", 1),
        lambda: app.config.from_mapping(LINK_LIMIT=50),
        lambda: app.config.pop("LINK_LIMIT"),
        lambda: app.config.__delitem__("LINK_LIMIT"),
        lambda: app.config.clear(),
    ]
    for attempt in attempts:
        with pytest.raises(ConfigFrozen, match="read-only after start-up"):
            attempt()
    assert app.config["LINK_LIMIT"] == 3 and "NEW_SETTING" not in app.config
    with pytest.raises(ConfigFrozen):
        app.testing = True  # Flask's own setters write through the same door


def test_a_frozen_configuration_still_takes_what_changes_nothing_and_the_debug_flag():
    """The ``flask`` command sets DEBUG from --debug once it has loaded the application."""
    app = _production_app()
    app.config["LINK_LIMIT"] = app.config["LINK_LIMIT"]
    app.debug = False
    assert app.config["DEBUG"] is False


def test_overrides_are_validated_with_the_profile():
    from app import create_app

    with pytest.raises(ConfigError, match="BASE_URL"):
        create_app(production(), BASE_URL="agora.example.org")

"""Browser tests: Playwright driving Debian's Chromium against the app served
by a real WSGI server in a background thread.

The served app has its own fresh SQLite database (migrated, geography loaded)
whatever TEST_DATABASE_URL says, CSRF on, and e-mail going to the loopback
SMTP server of tests/conftest.py. ``check_a11y(page)`` runs axe-core on the
current page; every checked page is listed at the end of the run. A failing
test leaves a screenshot in tests/browser/artifacts/.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCREENS = ARTIFACTS / "screens"
AXE_JS = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

AXE_CHECKED: list[str] = []  # "<url> [<lang>]" of every page check_a11y looked at
# Shared by pytest-xdist workers; tests/conftest.py prints it at the end of the run.
AXE_LOG = ARTIFACTS / "axe-checked.txt"


# --- collection, reporting -----------------------------------------------------

def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --- the served application ----------------------------------------------------

@dataclass
class LiveServer:
    url: str
    app: Any
    mail: Any  # tests.conftest.MailCatcher

    def deliver_mail(self) -> dict[str, int]:
        """Send what the outbox holds to the loopback SMTP server."""
        from app.core.db import db
        from app.core.mail import deliver_due

        with self.app.app_context():
            result = deliver_due(db.session)
            db.session.commit()
            return result


def _compile_catalogues() -> None:
    """The .mo files are build products (git-ignored): compile the stale ones."""
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.compile_catalogues(only_stale=True)


@pytest.fixture(scope="package")
def live_server(smtp_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from alembic import command
    from werkzeug.serving import make_server

    from app import create_app
    from app.core.cli import alembic_config
    from app.core.db import db
    from app.geography.services import load_geography
    from config import TestingConfig

    _compile_catalogues()
    catcher, smtp_port = smtp_server
    database = tmp_path_factory.mktemp("browser-db") / "browser.sqlite3"
    app = create_app(
        TestingConfig,
        DATABASE_URL=f"sqlite:///{database}",
        MAIL_DIR=tmp_path_factory.mktemp("browser-mail"),
        UPLOAD_DIR=tmp_path_factory.mktemp("browser-uploads"),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_port,
        WTF_CSRF_ENABLED=True,
    )
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        load_geography(db.session, Path(app.config["DATA_DIR"]))
        db.session.commit()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, mail=catcher)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        db.state(app).engine.dispose()


# --- the browser ---------------------------------------------------------------

@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class ConsoleLog:
    errors: list[str] = field(default_factory=list)

    @property
    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e]


@pytest.fixture()
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture()
def page(browser, live_server: LiveServer, console: ConsoleLog, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (no cookies) per test, English, 1280 px wide.

    The test fails if the page broke the Content Security Policy; a failing
    test leaves a screenshot in tests/browser/artifacts/.
    """
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="UTC",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("console", lambda msg: console.errors.append(msg.text) if msg.type == "error" else None)
    try:
        yield page
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        elif report is not None and report.passed:
            assert not console.csp_violations, "Content Security Policy violations:\n" + "\n".join(
                console.csp_violations
            )
    finally:
        context.close()


# --- helpers -------------------------------------------------------------------

def _format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact') or 'n/a'}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:10]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


def check_a11y(page: Any, *, exclude: list[str] | None = None) -> None:
    """Run axe-core (WCAG 2.0–2.2 A and AA rules) on the page; fail on any violation.

    axe is evaluated through the DevTools protocol, which the page's strict
    CSP (script-src 'self') does not govern, so the app keeps its real CSP.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    context: Any = {"exclude": [[s] for s in exclude]} if exclude else "document"
    results = page.evaluate(
        """async ([context, tags]) => {
            const target = context === 'document' ? document : context;
            return await axe.run(target, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        }""",
        [context, AXE_TAGS],
    )
    lang = page.evaluate("() => document.documentElement.lang")
    AXE_CHECKED.append(f"{page.url} [{lang}]")
    AXE_LOG.parent.mkdir(parents=True, exist_ok=True)
    with AXE_LOG.open("a", encoding="utf-8") as fh:
        parts = urlsplit(page.url)
        fh.write(f"{parts.path}{'?' + parts.query if parts.query else ''} [{lang}]\n")
    violations = results["violations"]
    assert not violations, f"axe-core found {len(violations)} violation(s) on {page.url} [{lang}]:\n" + (
        _format_violations(violations)
    )


SCREENSHOT_MAX_HEIGHT = 3000  # long pages (the taxonomy) are cut: the top shows the layout


def screenshot(page: Any, name: str, widths: tuple[int, ...] = (390, 1280)) -> list[Path]:
    """Page screenshots at each width (up to 3000 px tall), saved as artifacts/screens/<name>-<width>.png."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    paths = []
    for width in widths:
        page.set_viewport_size({"width": width, "height": 900})
        height = min(SCREENSHOT_MAX_HEIGHT, page.evaluate("() => document.documentElement.scrollHeight"))
        path = SCREENS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
        paths.append(path)
    if original:
        page.set_viewport_size(original)
    return paths


def has_horizontal_overflow(page: Any) -> bool:
    """True if the page scrolls sideways (content wider than the viewport)."""
    return page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1")

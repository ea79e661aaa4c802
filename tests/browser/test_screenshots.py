"""The README's screenshots, taken in the demo world (``make screenshots``).

With AGORA_SCREENSHOTS=1 this serves a database of its own holding the demo
world (``flask seed-demo``) and saves PNGs of the main pages to
docs/screenshots/: the flagship consultation, a section with its discussion,
the review queue as its moderator sees it, and the OSCE coverage map (also in
Arabic, right to left, with the taxonomy in Arabic). Each page is checked
with axe-core first. Without the variable the module is skipped, so the
committed pictures change only when someone asks for new ones.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, check_a11y

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
WIDTH, HEIGHT = 1280, 1000  # the top of each page, as a reader first sees it

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(os.environ.get("AGORA_SCREENSHOTS") != "1",
                       reason="set AGORA_SCREENSHOTS=1 (make screenshots) to take the README's screenshots"),
]


@dataclass
class DemoSite:
    url: str
    flagship: int
    password: str
    moderator: str


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    """The demo world in a database of its own, served by a real WSGI server."""
    from alembic import command
    from sqlalchemy import select
    from werkzeug.serving import make_server

    from app import create_app
    from app.consultations.demo import FLAGSHIP
    from app.consultations.models import Consultation
    from app.core.cli import alembic_config
    from app.core.db import db
    from app.site.demo import DEMO_PASSWORD, seed_demo
    from config import TestingConfig
    from tests.browser.conftest import _compile_catalogues

    _compile_catalogues()
    app = create_app(TestingConfig, DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('demo-db') / 'demo.sqlite3'}",
                     MAIL_DIR=tmp_path_factory.mktemp("demo-mail"), UPLOAD_DIR=tmp_path_factory.mktemp("demo-up"),
                     WTF_CSRF_ENABLED=True)
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        users = seed_demo(db.session, data_dir=Path(app.config["DATA_DIR"]))
        db.session.commit()
        flagship = db.session.scalar(select(Consultation.id).where(Consultation.title == FLAGSHIP))
        moderator = users["moderator"].email
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="demo-site", daemon=True)
    thread.start()
    try:
        yield DemoSite(f"http://127.0.0.1:{server.server_port}", flagship, DEMO_PASSWORD, moderator)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        db.state(app).engine.dispose()


@pytest.fixture()
def demo_page(browser, demo_site: DemoSite) -> Iterator[Any]:
    context = browser.new_context(base_url=demo_site.url, locale="en-GB", timezone_id="Europe/Vienna",
                                  viewport={"width": WIDTH, "height": HEIGHT})
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def shoot(page: Any, name: str, *, top: str | None = None, height: int = HEIGHT) -> Path:
    """A PNG in docs/screenshots/ of ``height`` pixels of the page, from its top or from
    the element ``top`` selects, after axe-core found nothing on the page."""
    check_a11y(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    y = 0
    if top is not None:
        y = max(0, int(page.locator(top).first.bounding_box()["y"] + page.evaluate("() => window.scrollY")) - 24)
    height = min(height, page.evaluate("() => document.documentElement.scrollHeight") - y)
    page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": y, "width": WIDTH, "height": height})
    assert path.stat().st_size > 20_000, f"{path} looks empty"
    return path


def test_the_readme_screenshots(demo_page, demo_site):
    assert CHROMIUM.exists()
    page = demo_page

    page.goto(f"/consultations/{demo_site.flagship}")
    assert "Draft Law on the Control of Strategic Goods" in page.get_by_role("heading", level=1).inner_text()
    shoot(page, "consultation")

    page.goto(f"/consultations/{demo_site.flagship}/sections/article-3")
    assert page.locator(".comment").count() >= 5  # the thread five deep
    shoot(page, "section-discussion", top="#section-title", height=1500)

    page.goto("/regions/OSCE/coverage")
    assert page.locator("figure.coverage-picture svg").count() == 1
    shoot(page, "coverage", top="h1", height=1500)

    page.goto("/login")
    page.get_by_label("E-mail address").fill(demo_site.moderator)
    page.get_by_label("Password").fill(demo_site.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto("/manage/moderation/")
    assert page.get_by_role("heading", level=1).inner_text().strip()
    shoot(page, "moderation-queue")


def test_the_coverage_map_in_arabic(demo_page):
    page = demo_page
    page.goto("/")
    page.locator("#language-select").select_option("ar")
    with page.expect_navigation():
        page.locator(".language-switcher").get_by_role("button").click()
    page.goto("/regions/OSCE/coverage")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert "منظمة الأمن والتعاون في أوروبا" in page.get_by_role("heading", level=1).inner_text()
    shoot(page, "coverage-ar", top="h1", height=1500)

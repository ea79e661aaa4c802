"""Links in e-mails and digests come from one builder (app/core/urls.py), on BASE_URL."""

from __future__ import annotations

import ast
from pathlib import Path

from app.core.urls import external_url

APP = Path(__file__).resolve().parents[2] / "app"


def test_links_are_built_on_base_url_with_its_path_query_and_fragment(app):
    with app.app_context():
        base = app.config["BASE_URL"]
        try:
            app.config["BASE_URL"] = "https://agora.example.org/consult/"
            assert external_url("consultations.compare_versions", consultation_id=3, _anchor="article-5",
                                **{"from": 1, "to": 2}) == \
                "https://agora.example.org/consult/consultations/3/compare?from=1&to=2#article-5"
            assert external_url("digests.digest_pdf", digest_id=7) == "https://agora.example.org/consult/digests/7.pdf"
        finally:
            app.config["BASE_URL"] = base


def test_there_is_one_builder_of_external_links():
    builders = []
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and ("external_url" in node.name or "absolute_url" in node.name):
                builders.append(f"{path.relative_to(APP.parent)}:{node.name}")
    assert builders == ["app/core/urls.py:external_url"]

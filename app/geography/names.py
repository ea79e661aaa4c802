"""The taxonomy and the regional organisations in the reader's language.

The English texts are the database rows, loaded from data/obligations_1540.yaml
and data/regional_organisations.yaml by ``flask geography load``. The other
languages of the platform come from the files beside them,
data/i18n/obligations.<language>.yaml and data/i18n/regions.<language>.yaml
(sources of the terms in their headers), read once per process. The demo
world's fictional States are named in data/demo_states.yaml.

A text missing from a language's file falls back to English, so a new code
shows in English until it is translated; tests/unit/test_geography_names.py
keeps the files complete.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from flask import current_app, has_app_context

from app.core.i18n import viewer_locale

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
I18N_DIR = "i18n"
KINDS = ("obligations", "regions")
DEMO_STATES_FILE = "demo_states.yaml"


def reader_language(language: str | None = None) -> str:
    """'fr' for 'fr', 'fr_CA' or 'zh-Hans' alike; the reader's language when not given."""
    tag = language or viewer_locale() or "en"
    return tag.replace("-", "_").split("_")[0].lower()


def _data_dir() -> Path:
    if has_app_context():
        return Path(current_app.config["DATA_DIR"])
    return DATA_DIR


@lru_cache(maxsize=64)
def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh) or {}
    except FileNotFoundError:
        return {}


def translations(kind: str, language: str, data_dir: Path | None = None, part: str = "entries") -> dict[str, Any]:
    """code -> {field: text} of one language's file (empty for English or a missing file);
    ``part`` names another mapping of the file (the obligations' "weapon_categories")."""
    if kind not in KINDS:
        raise ValueError(kind)
    if language == "en":
        return {}
    path = (data_dir or _data_dir()) / I18N_DIR / f"{kind}.{language}.yaml"
    return _read(str(path)).get(part) or {}


def localised(kind: str, code: str, field: str, english: str | None, language: str | None = None) -> str | None:
    """``field`` of ``code`` in the reader's language (or ``language``), else the English text."""
    lang = reader_language(language)
    if lang == "en":
        return english
    text = (translations(kind, lang).get(code) or {}).get(field)
    return text if text else english


def weapon_category(code: str, language: str | None = None) -> str:
    """'NW' -> 'Nuclear weapons' in the reader's language (the code itself when unknown)."""
    lang = reader_language(language)
    english = _english_weapons().get(code, code)
    if lang == "en":
        return english
    return translations("obligations", lang, part="weapon_categories").get(code) or english


@lru_cache(maxsize=4)
def _english_weapons_in(path: str) -> dict[str, str]:
    return {str(w["code"]): str(w["title"]) for w in (_read(path).get("weapon_categories") or [])}


def _english_weapons() -> dict[str, str]:
    return _english_weapons_in(str(_data_dir() / "obligations_1540.yaml"))


@lru_cache(maxsize=4)
def _english_regions_in(path: str) -> dict[str, str]:
    return {str(o["code"]): str(o["full_name"]) for o in (_read(path).get("organisations") or [])}


def region_name(code: str, language: str | None = None) -> str:
    """An organisation's full name by its code alone (no query), in the reader's language."""
    english = _english_regions_in(str(_data_dir() / "regional_organisations.yaml")).get(code, code)
    return localised("regions", code, "full_name", english, language) or code


def region_short_name(code: str, language: str | None = None) -> str:
    """The abbreviation readers of the language know ("UA" for the AU in French), else the code."""
    return localised("regions", code, "short_name", code, language) or code


@lru_cache(maxsize=4)
def _demo_states_in(path: str) -> dict[str, dict[str, str]]:
    return {str(s["code"]): {"en": str(s["name"]), **(s.get("names") or {})} for s in (_read(path).get("states") or [])}


def demo_state_name(code: str, language: str | None = None) -> str | None:
    """The name of a fictional demo State in the reader's language; None for any other code."""
    names = _demo_states_in(str(_data_dir() / DEMO_STATES_FILE)).get(code)
    if names is None:
        return None
    return names.get(reader_language(language)) or names["en"]


def untranslated(kind: str, codes: list[str], language: str, data_dir: Path | None = None) -> list[str]:
    """The codes that ``language``'s file does not name (they show in English)."""
    entries = translations(kind, language, data_dir)
    return [code for code in codes if not entries.get(code)]

"""The taxonomy and the regional organisations exist in every language of the
platform: each language's file (data/i18n/) names exactly the codes of the
English files, with every text the English gives, and in that language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from app.geography.names import (
    I18N_DIR,
    demo_state_name,
    localised,
    region_name,
    region_short_name,
    translations,
    untranslated,
    weapon_category,
)
from config import Config

DATA = Path(__file__).resolve().parents[2] / "data"
LANGUAGES = [code for code in Config.LANGUAGES if code != Config.BABEL_DEFAULT_LOCALE]
NON_LATIN = {"ru", "ar", "zh"}
# Letters of each language's script: a translated title must hold some.
SCRIPT = {"ru": r"[А-Яа-яЁё]", "ar": r"[\u0600-\u06FF]", "zh": r"[\u4E00-\u9FFF]"}
# Treaty and organisation abbreviations that French and Spanish write as English does.
SAME_IN_LATIN = {"Assistance", "OSCE", "CICTE", "CARICOM", "SICA", "ASEAN", "ARF", "SADC", "IGAD", "TNP"}


def _english() -> dict[str, dict[str, dict[str, str]]]:
    with (DATA / "obligations_1540.yaml").open(encoding="utf-8") as fh:
        obligations = yaml.safe_load(fh)
    with (DATA / "regional_organisations.yaml").open(encoding="utf-8") as fh:
        regions = yaml.safe_load(fh)
    taxonomy: dict[str, dict[str, str]] = {}
    for section in obligations["sections"]:
        taxonomy[section["code"]] = {"title": section["title"],
                                     "description": " ".join((section.get("resolution_summary") or "").split())}
        for element in section.get("elements", []):
            taxonomy[element["code"]] = {"title": element["title"], "description": element.get("description") or ""}
    organisations = {o["code"]: {"full_name": o["full_name"], "role_1540": " ".join((o.get("role_1540") or "").split())}
                     for o in regions["organisations"]}
    weapons = {w["code"]: w["title"] for w in obligations["weapon_categories"]}
    return {"obligations": taxonomy, "regions": organisations, "weapons": weapons}


ENGLISH = _english()


def _file(kind: str, language: str) -> dict:
    with (DATA / I18N_DIR / f"{kind}.{language}.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["obligations", "regions"])
def test_each_language_names_exactly_the_english_codes_with_every_text(kind, language):
    data = _file(kind, language)
    assert data["language"] == language
    english, entries = ENGLISH[kind], data["entries"]
    assert set(entries) == set(english), (sorted(set(english) - set(entries)), sorted(set(entries) - set(english)))
    fields = ("title", "description") if kind == "obligations" else ("full_name", "role_1540")
    missing = [(code, f) for code, texts in english.items() for f in fields
               if texts[f] and not (entries[code].get(f) or "").strip()]
    assert not missing, missing
    if kind == "regions":
        assert all(entries[code].get("short_name") for code in english)
    else:
        assert set(data["weapon_categories"]) == set(ENGLISH["weapons"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_titles_and_names_are_written_in_the_language(language):
    texts = [(code, e["title"]) for code, e in _file("obligations", language)["entries"].items()]
    texts += [(code, e["full_name"]) for code, e in _file("regions", language)["entries"].items()]
    if language in NON_LATIN:
        untranslated = [(code, text) for code, text in texts if not re.search(SCRIPT[language], text)]
    else:
        english = {**{c: t["title"] for c, t in ENGLISH["obligations"].items()},
                   **{c: t["full_name"] for c, t in ENGLISH["regions"].items()}}
        untranslated = [(code, text) for code, text in texts if text == english[code] and text not in SAME_IN_LATIN]
    assert not untranslated, untranslated


def test_arabic_texts_use_arabic_punctuation():
    latin_after_arabic = re.compile(r"[\u0600-\u06FF][,;?]")
    bad = []
    for kind in ("obligations", "regions"):
        for code, entry in _file(kind, "ar")["entries"].items():
            bad += [(code, text) for text in entry.values() if latin_after_arabic.search(text)]
    assert not bad, bad


def test_the_official_1540_terms_are_used():
    """The resolution's own words for its key terms, in each official language."""
    terms = {"fr": ("acteurs non étatiques", "vecteurs", "éléments connexes", "transbordement"),
             "es": ("agentes no estatales", "sistemas vectores", "materiales conexos", "transbordo"),
             "ru": ("негосударственным субъектам", "средства доставки", "связанных с ними материалов", "перевалк"),
             "ar": ("الجهات من غير الدول", "وسائل إيصالها", "المواد ذات الصلة", "إعادة الشحن"),
             "zh": ("非国家行为者", "运载工具", "相关材料", "转运")}
    for language, words in terms.items():
        data = _file("obligations", language)
        text = " ".join([*data["weapon_categories"].values(),
                         *(t for entry in data["entries"].values() for t in entry.values())]).lower()
        assert all(word in text for word in words), (language, [w for w in words if w not in text])


def test_lookups_fall_back_to_english_for_english_and_unknown_codes(app):
    with app.app_context():
        assert localised("obligations", "OP3d.transit", "title", "Transit controls", "fr") == "Contrôle du transit"
        assert localised("obligations", "OP3d.transit", "title", "Transit controls", "en") == "Transit controls"
        assert localised("obligations", "OP99.new", "title", "A new element", "zh") == "A new element"
        assert localised("regions", "AU", "short_name", "AU", "fr") == "UA"
        assert weapon_category("MoD", "es") == "Sistemas vectores"
        assert weapon_category("MoD", "en") == "Means of delivery"
        assert demo_state_name("XV", "ru") == "Республика Вальдория"
        assert demo_state_name("XV", "en") == "Republic of Valdoria"
        assert region_name("AU", "fr") == "Union africaine" and region_name("AU", "en") == "African Union"
        assert region_short_name("EU", "zh") == "欧盟" and region_short_name("EU", "en") == "EU"
        assert demo_state_name("AT", "fr") is None
        assert translations("obligations", "en") == {}
        assert untranslated("obligations", ["OP1", "OP99.new"], "fr") == ["OP99.new"]

"""Search finds consultations by their translations, in every language of the
platform: French, Arabic and Chinese (written without spaces between words)
among them, on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import pytest

from app.consultations import queries, translations
from app.consultations.search import fts5_query, spaced, tsquery_text
from tests.integration.test_consultations_support import make_author, make_consultation

TEXTS = {
    "fr": ("Projet de loi sur le contrôle des exportations stratégiques",
           "Le transbordement dans les zones franches est soumis à autorisation préalable."),
    "ar": ("مشروع قانون مراقبة الصادرات الاستراتيجية",
           "تخضع عمليات العبور وإعادة الشحن في المناطق الحرة لترخيص مسبق."),
    "zh": ("战略物资出口管制法草案", "在自由区内的过境和转运须事先取得许可证。"),
    "ru": ("Проект закона о контроле за экспортом стратегических товаров",
           "Перевалка в свободных экономических зонах требует предварительного разрешения."),
}


def _anonymous():
    from app.accounts.sessions import Anonymous

    return Anonymous()


def _search(session, q) -> list[int]:
    return [c.id for c in queries.list_consultations(session, _anonymous(), queries.Filters(q=q)).items]


@pytest.fixture()
def translated(session):
    """A consultation translated into four languages (title and Article 1), and an untranslated one."""
    author = make_author(session)
    consultation = make_consultation(session, author, title="Strategic trade bill", summary="Brokering.")
    article = consultation.current_version.sections[0]
    for language, (title, body) in TEXTS.items():
        translations.save_consultation_translation(
            session, consultation, language, translations.ConsultationTranslationInput(title=title), actor=author)
        translations.save_section_translation(
            session, consultation, article, language, translations.SectionTranslationInput("—", body), actor=author)
    other = make_consultation(session, author, title="Unrelated decree on fisheries")
    return consultation, other, author


@pytest.mark.parametrize(("query", "language"), [
    ("exportations", "fr"), ("transbordement", "fr"), ("Contrôle stratégiques", "fr"),
    ("الصادرات", "ar"), ("العبور", "ar"), ("الاستراتيجية الصادرات", "ar"),
    ("出口管制", "zh"), ("转运", "zh"), ("许可证", "zh"), ("战略物资", "zh"),
    ("экспортом", "ru"), ("Перевалка", "ru"),
])
def test_a_search_in_each_language_finds_the_translated_consultation(session, translated, query, language):
    consultation, other, _author = translated
    found = _search(session, query)
    assert consultation.id in found and other.id not in found, (language, query)


def test_chinese_is_searched_as_a_phrase_of_characters(session, translated):
    consultation, _other, _author = translated
    assert _search(session, "出口管制") == [consultation.id]
    assert _search(session, "管制出口") == []  # the same characters in another order are another word
    assert _search(session, "核材料") == []


def test_a_deleted_translation_is_no_longer_found(session, translated):
    consultation, _other, author = translated
    translations.delete_translation(session, consultation, "fr", actor=author)
    assert _search(session, "transbordement") == []
    assert _search(session, "出口管制") == [consultation.id]


def test_the_original_is_still_found(session, translated):
    consultation, _other, _author = translated
    assert _search(session, "strategic trade") == [consultation.id]


def test_ideographs_are_indexed_and_queried_one_by_one():
    assert spaced("草案 Article 3 出口管制").split() == ["草", "案", "Article", "3", "出", "口", "管", "制"]
    assert spaced("no ideographs") == "no ideographs"
    assert fts5_query("出口管制 licence") == '"出 口 管 制" "licence"'
    assert tsquery_text("出口管制 licence").split() == ['"出', "口", "管", '制"', "licence"]

"""Translations of a consultation: the author writes them on the management
pages; readers get their language where it exists and the original otherwise,
with the language switcher and the note that the original prevails; a new
version marks the translations of the provisions it changed as out of date."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.consultations import services, translations
from app.consultations.importers import parse_markdown
from app.core.cache import consultation_scope, content_token
from app.core.models import AuditEntry
from tests.factories import login, make_user
from tests.integration.test_consultations_support import make_author, make_consultation

TITLE_FR = "Projet de loi sur les biens stratégiques et le courtage"
SUMMARY_FR = "Comble la lacune du **courtage**."
HEADING_FR = "Intitulé premier"
BODY_FR = "Les règles de licence de l'article premier s'appliquent au transit."


@pytest.fixture()
def law(session):
    """An open consultation in English with three articles, and its author (Austria)."""
    author = make_author(session, display_name="Elena Varga")
    consultation = make_consultation(session, author, open_now=True)
    session.commit()
    return consultation, author


def _page(client, url: str, language: str = "en") -> str:
    response = client.get(url, headers={"Accept-Language": language})
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _h1(page: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1).strip()


def _translate_in_french(client, consultation, author) -> None:
    """What the author does on the pages: the title and summary, then Article 1."""
    login(client, author)
    base = f"/manage/consultations/{consultation.id}/translations"
    assert client.get(base).status_code == 200
    response = client.post(f"{base}/fr", data={"title": TITLE_FR, "summary": SUMMARY_FR,
                                               "questions": "1. La clause attrape-tout est-elle claire ?"})
    assert response.status_code == 302 and response.headers["Location"].endswith(base)
    response = client.post(f"{base}/fr/sections/article-1", data={"heading": HEADING_FR, "body": BODY_FR})
    assert response.status_code == 302
    client.post("/logout")


def test_readers_get_the_french_translation_and_others_the_original(client, session, law):
    consultation, author = law
    _translate_in_french(client, consultation, author)
    url = f"/consultations/{consultation.id}"

    french = _page(client, url, "fr")
    assert _h1(french) == TITLE_FR and "<strong>courtage</strong>" in french
    assert 'lang="fr"' in re.search(r"<h1[^>]*>", french).group(0)
    assert "Elena Varga" in french  # who provided the translation
    assert f'href="/consultations/{consultation.id}?text_language=en"' in french  # the original, one click away

    english = _page(client, url, "en")
    assert _h1(english) == "Draft Law on Strategic Goods and Brokering" and TITLE_FR not in english
    assert "translation-note" not in english
    # The switcher offers the French text to an English reader, and says which is the original.
    assert f'href="/consultations/{consultation.id}?text_language=fr"' in english and "(original)" in english

    spanish = _page(client, url, "es")  # no Spanish translation: the original
    assert _h1(spanish) == "Draft Law on Strategic Goods and Brokering"


def test_the_switcher_changes_the_content_only_and_the_note_names_the_original(client, session, law):
    consultation, author = law
    _translate_in_french(client, consultation, author)
    url = f"/consultations/{consultation.id}"

    chosen = _page(client, f"{url}?text_language=fr", "en")  # an English interface, the French text
    assert '<html lang="en"' in chosen and _h1(chosen) == TITLE_FR
    assert "Translation into French of the original in English. The original prevails." in chosen
    assert "Provided by <bdi>Elena Varga</bdi> on" in chosen

    original = _page(client, f"{url}?text_language=en", "fr")  # a French interface, the original text
    assert '<html lang="fr"' in original and _h1(original) == "Draft Law on Strategic Goods and Brokering"

    missing = _page(client, f"{url}?text_language=zh", "en")
    assert "There is no translation into Chinese; here is the original in English." in missing
    # Links to the provisions keep the chosen language.
    assert f"/consultations/{consultation.id}/sections/article-2?text_language=fr" in chosen


def test_a_section_is_read_in_french_and_an_untranslated_one_in_the_original(client, session, law):
    consultation, author = law
    _translate_in_french(client, consultation, author)
    base = f"/consultations/{consultation.id}/sections"

    first = _page(client, f"{base}/article-1", "fr")
    assert _h1(first) == f"Article 1 — {HEADING_FR}" and "règles de licence de l" in first
    assert "Out of date" not in first

    third = _page(client, f"{base}/article-3?text_language=fr", "en")
    assert _h1(third) == "Article 3 — Heading 3" and "The licence rules of article 3 apply to transit." in third
    assert "This provision is not translated into French yet; here is the original in English." in third
    assert re.search(r'<div class="prose legal-text" lang="en"', third)


def test_a_new_version_marks_the_translations_of_changed_provisions_out_of_date(client, session, law):
    consultation, author = law
    _translate_in_french(client, consultation, author)
    session.expire_all()
    section_2 = consultation.current_version.sections[1]
    translations.save_section_translation(
        session, consultation, section_2, "fr",
        translations.SectionTranslationInput("Intitulé deux", "Les règles de l'article deux s'appliquent."),
        actor=author)
    revised = services.start_revision(session, consultation, actor=author)
    article_2 = next(s for s in revised.sections if s.anchor == "article-2")
    services.update_section(session, article_2, services.SectionInput(
        level=article_2.level, number=article_2.number, heading=article_2.heading, anchor=article_2.anchor,
        body="Brokering of listed goods requires a licence, wherever the goods are."), actor=author)
    services.publish_version(session, consultation, change_note="Article 2 covers brokering.", actor=author)
    session.commit()
    base = f"/consultations/{consultation.id}/sections"

    changed = _page(client, f"{base}/article-2?text_language=fr", "en")
    assert "Intitulé deux" in changed  # still shown, marked, next to the way to the original
    assert "Out of date" in changed and "the translation follows version 1" in changed
    assert f'href="{base}/article-2?text_language=en"' in changed
    unchanged = _page(client, f"{base}/article-1?text_language=fr", "en")
    assert HEADING_FR in unchanged and "Out of date" not in unchanged
    # Version 1 as it was: the translation matches its text.
    earlier = _page(client, f"{base}/article-2?version=1&text_language=fr", "en")
    assert "Intitulé deux" in earlier and "Out of date" not in earlier

    toc = _page(client, f"/consultations/{consultation.id}?text_language=fr", "en")
    assert toc.count("translation out of date") == 1

    login(client, author)
    overview = _page(client, f"/manage/consultations/{consultation.id}/translations")
    assert "1 translated, 1 out of date, 1 to do" in overview
    editor = _page(client, f"/manage/consultations/{consultation.id}/translations/fr")
    assert editor.count("Out of date") == 1 and "translated from version 1" in editor
    assert "<h1>Translation into French</h1>" in editor


def test_each_translation_is_audited_and_deleting_it_brings_back_the_original(client, session, law):
    consultation, author = law
    _translate_in_french(client, consultation, author)
    entries = list(session.scalars(select(AuditEntry).where(
        AuditEntry.action == "consultation.translation_saved", AuditEntry.target_id == str(consultation.id))))
    assert [(e.actor_id, e.after["language"], e.after["part"]) for e in entries] == [
        (author.id, "fr", "consultation"), (author.id, "fr", "article-1")]

    login(client, author)
    response = client.post(f"/manage/consultations/{consultation.id}/translations/fr/delete")
    assert response.status_code == 302
    assert session.scalar(select(AuditEntry.id).where(AuditEntry.action == "consultation.translation_deleted"))
    client.post("/logout")
    page = _page(client, f"/consultations/{consultation.id}", "fr")
    assert _h1(page) == "Draft Law on Strategic Goods and Brokering" and "text_language=fr" not in page


def test_the_forms_refuse_what_the_rules_forbid(client, session, law):
    consultation, author = law
    base = f"/manage/consultations/{consultation.id}/translations"
    login(client, author)
    # Sections come after the title; the original's language is not a translation.
    response = client.post(f"{base}/fr/sections/article-1", data={"heading": HEADING_FR, "body": BODY_FR})
    assert response.status_code == 409 and "Translate the title of the consultation into this language first" \
        in response.get_data(as_text=True)
    assert client.post(f"{base}/en", data={"title": "Same"}).status_code == 404
    assert client.post(f"{base}/xx", data={"title": "Unknown"}).status_code == 404
    assert client.post(f"{base}/fr", data={"title": ""}).status_code == 422
    assert client.get(f"{base}/fr/sections/article-9").status_code == 404
    assert client.post(f"{base}/fr", data={"title": TITLE_FR}).status_code == 302
    response = client.post(f"{base}/fr/sections/article-1", data={"heading": HEADING_FR, "body": ""})
    assert response.status_code == 400 and "Translate the text of the provision." in response.get_data(as_text=True)
    # The original cannot become French while a French translation exists; Spanish it can.
    response = client.post(base, data={"language": "fr"})
    assert response.status_code == 409
    assert client.post(base, data={"language": "es"}).status_code == 302
    session.expire_all()
    assert consultation.original_language == "es"


def test_only_the_consultations_authors_translate_it(client, session, law):
    consultation, _author = law
    elsewhere = make_author(session, country="FR")
    participant = make_user(session)
    session.commit()
    url = f"/manage/consultations/{consultation.id}/translations/fr"
    login(client, elsewhere)
    assert client.get(url).status_code == 404  # another State's consultation: not even its existence
    assert client.post(url, data={"title": "Piraté"}).status_code == 404
    client.post("/logout")
    login(client, participant)
    assert client.post(url, data={"title": "Piraté"}).status_code == 403
    assert translations.main_translation(session, consultation, "fr") is None


def test_a_translation_is_visible_exactly_when_the_original_is(client, session):
    author = make_author(session)
    invited = make_consultation(session, author, open_now=True, visibility="invited")
    translations.save_consultation_translation(session, invited, "fr", translations.ConsultationTranslationInput(
        title="Règlement réservé aux invités"), actor=author)
    session.commit()
    assert client.get(f"/consultations/{invited.id}?text_language=fr").status_code == 404
    assert "Règlement réservé aux invités" not in _page(client, "/consultations?q=réservé", "fr")
    login(client, author)
    assert _h1(_page(client, f"/consultations/{invited.id}", "fr")) == "Règlement réservé aux invités"
    assert "Règlement réservé aux invités" in _page(client, "/consultations?q=réservé", "fr")


def test_the_list_shows_titles_in_the_readers_language(client, session, law):
    consultation, author = law
    translations.save_consultation_translation(session, consultation, "fr",
                                               translations.ConsultationTranslationInput(title=TITLE_FR),
                                               actor=author)
    session.commit()
    assert TITLE_FR in _page(client, "/consultations", "fr")
    english = _page(client, "/consultations", "en")
    assert TITLE_FR not in english and "Draft Law on Strategic Goods and Brokering" in english


def test_kept_pages_never_cross_languages_and_a_saved_translation_renews_the_token(client, session, law):
    consultation, author = law
    url = f"/consultations/{consultation.id}/sections/article-1"
    assert "Heading 1" in _page(client, url, "fr")  # kept for French visitors, before the translation
    before = content_token(session, consultation_scope(consultation.id))
    _translate_in_french(client, consultation, author)
    assert content_token(session, consultation_scope(consultation.id)) != before
    french, english = _page(client, url, "fr"), _page(client, url, "en")
    assert HEADING_FR in french and "Heading 1" not in _h1(french)
    assert HEADING_FR not in english and _h1(english) == "Article 1 — Heading 1"
    assert _h1(_page(client, url, "fr")) == f"Article 1 — {HEADING_FR}"


def test_services_keep_the_digest_of_the_original_they_translate(session):
    author = make_author(session)
    consultation = make_consultation(session, author)
    row = translations.save_consultation_translation(
        session, consultation, "ar", translations.ConsultationTranslationInput(title="مشروع قانون"), actor=author)
    assert row.is_current_for(consultation) and row.translator_id == author.id
    services.update_consultation(session, consultation, _details_with(consultation, title="Amended title"),
                                 actor=author)
    text = translations.translated(session, consultation, "ar")
    assert text.is_translation and text.outdated and text.title == "مشروع قانون"
    assert translations.translated(session, consultation, "ru").title == "Amended title"
    services.start_revision(session, consultation, actor=author)
    services.replace_sections(session, consultation, parse_markdown("## Article 1 — One\n\nText."), actor=author)
    assert translations.translatable_version(consultation).number == 1  # readers still see version 1


def _details_with(consultation, **changes):
    details = services.ConsultationDetails(
        country_code=consultation.country_code, title=consultation.title,
        instrument_type=consultation.instrument_type, drafting_authority=consultation.drafting_authority,
        opens_at=consultation.opens_at, closes_at=consultation.closes_at, summary=consultation.summary_source,
        questions=consultation.questions_source, languages=list(consultation.languages),
        regions=list(consultation.region_codes), obligations=list(consultation.obligation_codes))
    for name, value in changes.items():
        setattr(details, name, value)
    return details

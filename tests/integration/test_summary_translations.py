"""Translations of a summary: the moderators write them per language; readers,
focal points (the forwarded summary and its e-mail) and digests get the
summary in their language where it exists, the original otherwise; a point
changed by a later revision shows its translation marked out of date."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.consultations import translations as content
from app.core.mail import deliver_due
from app.core.models import AuditEntry
from app.digests.models import Digest
from app.digests.services import queue_due_digests
from app.summaries import services, translations
from app.summaries.models import Forwarding
from tests.conftest import MailCatcher
from tests.factories import login, make_user
from tests.integration.test_digests import IN_PERIOD, SEND_AT
from tests.integration.test_summaries_support import (
    focal_point,
    moderator,
    open_consultation_with_comments,
    published_summary,
)

OVERALL_FR = "La discussion a porté sur le **transit**."
POINT_FR = "Les participants demandent une définition plus large du transit."
TITLE_FR = "Projet de loi sur les biens stratégiques et le transit"


@pytest.fixture()
def summarised(session):
    """A consultation with a published summary (one point, on Article 1), its moderator and author."""
    consultation, c = open_consultation_with_comments(session)
    mod = moderator(session)
    revision = published_summary(session, consultation, mod, comment_ids=[c["opposes"].id],
                                 section=consultation.current_version.sections[0])
    session.commit()
    return consultation, revision, mod


def _page(client, url: str, language: str = "en") -> str:
    response = client.get(url, headers={"Accept-Language": language})
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _translate(client, consultation, revision, mod) -> None:
    login(client, mod)
    base = f"/manage/consultations/{consultation.id}/summary/translations"
    assert "Not translated" in _page(client, base)
    editor = _page(client, f"{base}/fr")
    point = revision.points[0]
    assert f'name="point_{point.id}"' in editor
    response = client.post(f"{base}/fr", data={"overall": OVERALL_FR, f"point_{point.id}": POINT_FR})
    assert response.status_code == 302 and response.headers["Location"].endswith(base)
    client.post("/logout")


def test_readers_get_the_summary_in_their_language_with_the_note(client, session, summarised):
    consultation, revision, mod = summarised
    _translate(client, consultation, revision, mod)
    url = f"/consultations/{consultation.id}/summary"

    french = _page(client, url, "fr")
    assert "<strong>transit</strong>" in french and POINT_FR in french
    assert "The discussion focused on transit." not in french
    assert mod.display_name in french and f"{url}?text_language=en" in french

    english = _page(client, url, "en")
    assert "The discussion focused on transit." in english and POINT_FR not in english
    assert f"{url}?text_language=fr" in english  # the switcher

    noted = _page(client, f"{url}?text_language=fr", "en")
    assert "Translation into French of the original in English. The original prevails." in noted
    assert "Out of date" not in noted
    assert re.search(r'<div class="prose" lang="fr" dir="ltr">\s*<p>Les participants', noted)

    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "summary.translation_saved"))
    assert audit.actor_id == mod.id and audit.after == {"language": "fr", "revision": 1, "points": 1, "new": True}


def test_a_later_revision_marks_changed_parts_out_of_date_and_keeps_the_rest(client, session, summarised):
    consultation, revision, mod = summarised
    _translate(client, consultation, revision, mod)
    services.save_summary_text(session, consultation, overall="The discussion focused on transit and brokering.",
                               restricted=False, actor=mod)
    services.add_point(session, consultation, services.PointInput(None, "A new point on penalties.", []),
                       actor=mod)
    second = services.publish_summary(session, consultation, change_note="Brokering and penalties.", actor=mod)
    session.commit()
    assert second.number == 2

    page = _page(client, f"/consultations/{consultation.id}/summary?text_language=fr", "en")
    assert "La discussion a porté sur le" in page  # the old translation, marked
    assert "Parts of the summary changed after they were translated" in page
    assert page.count("translation out of date") == 1  # the overall text; the unchanged point is current
    assert POINT_FR in page and "A new point on penalties." in page  # the new point: its original

    login(client, mod)
    overview = _page(client, f"/manage/consultations/{consultation.id}/summary/translations")
    assert "Out of date" in overview
    editor = _page(client, f"/manage/consultations/{consultation.id}/summary/translations/fr")
    assert "La discussion a porté sur le" in editor  # the old translation is where the new one starts


def test_the_forwarded_summary_reaches_a_french_focal_point_in_french(client, session, summarised, mail):
    consultation, revision, mod = summarised
    author = make_user(session)
    content.save_consultation_translation(session, consultation, "fr",
                                          content.ConsultationTranslationInput(title=TITLE_FR), actor=author)
    french = focal_point(session, email="katrin@osce.example", language="fr")
    focal_point(session, email="second@osce.example", language="en")
    session.commit()
    _translate(client, consultation, revision, mod)
    services.forward_summary(session, consultation, regions=["OSCE"], countries=[], actor=mod)
    deliver_due(session)
    assert TITLE_FR in mail.to("katrin@osce.example")[0]["Subject"]
    english = mail.to("second@osce.example")[0]
    assert consultation.title in english["Subject"] and TITLE_FR not in MailCatcher.text_of(english)

    forwarding = session.scalar(select(Forwarding))
    session.commit()
    login(client, french)
    page = _page(client, f"/forwarded/{forwarding.id}", "fr")
    assert TITLE_FR in page and POINT_FR in page and "<strong>transit</strong>" in page


def test_digests_carry_the_summary_in_the_recipients_language(session, summarised):
    consultation, revision, mod = summarised
    consultation.opens_at = IN_PERIOD - timedelta(days=1)
    content.save_consultation_translation(session, consultation, "fr",
                                          content.ConsultationTranslationInput(title=TITLE_FR), actor=mod)
    translations.save_summary_translation(session, consultation, revision, "fr", translations.SummaryTranslationInput(
        overall=OVERALL_FR, points={revision.points[0].id: POINT_FR}), actor=mod)
    french = focal_point(session, language="fr")
    english = focal_point(session, language="en")
    services.forward_summary(session, consultation, regions=["OSCE"], countries=[], actor=mod, now=IN_PERIOD)
    assert queue_due_digests(session, now=SEND_AT).created == 2
    in_french = session.scalar(select(Digest).where(Digest.user_id == french.id))
    assert TITLE_FR in in_french.body_html and TITLE_FR in in_french.body_text
    pdf = _pdf_text(in_french.pdf)  # the PDF carries the summary itself
    assert POINT_FR in pdf and "La discussion a porté sur le transit." in pdf and "focused on" not in pdf
    in_english = session.scalar(select(Digest).where(Digest.user_id == english.id))
    assert TITLE_FR not in in_english.body_html
    assert "The discussion focused on transit." in _pdf_text(in_english.pdf)


def _pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return " ".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_the_service_refuses_the_original_language_and_an_empty_translation(session, summarised):
    consultation, revision, mod = summarised
    from app.core.errors import DomainError

    with pytest.raises(DomainError):
        translations.save_summary_translation(session, consultation, revision, "en",
                                              translations.SummaryTranslationInput(overall="Same"), actor=mod)
    with pytest.raises(DomainError, match="Translate the overall summary"):
        translations.save_summary_translation(session, consultation, revision, "ar",
                                              translations.SummaryTranslationInput(), actor=mod)
    row = translations.save_summary_translation(session, consultation, revision, "ar",
                                                translations.SummaryTranslationInput(overall="ملخص المناقشة"),
                                                actor=mod)
    text = translations.summary_text(session, revision, consultation, "ar")
    assert text.overall_html == row.overall_html and text.point(revision.points[0]).language == "en"
    translations.delete_summary_translation(session, consultation, revision.summary, "ar", actor=mod)
    assert translations.summary_text(session, revision, consultation, "ar").is_translation is False


def test_only_those_who_write_the_summary_translate_it(client, session, summarised):
    consultation, revision, _mod = summarised
    participant = make_user(session)
    session.commit()
    url = f"/manage/consultations/{consultation.id}/summary/translations/fr"
    login(client, participant)
    assert client.post(url, data={"overall": "Piraté"}).status_code == 403
    assert translations.translation_in(session, revision.summary, "fr") is None

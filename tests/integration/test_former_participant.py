"""The name of an erased account reads "Former participant" in the reader's
language wherever it shows: pages, the read API, comment exports and e-mails
(French readers here), and in English for English readers."""

from __future__ import annotations

import csv
import io

from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.accounts.models import Role, User
from app.comments.models import EmailFrequency, NotificationPreference
from app.comments.notifications import send_daily
from app.core.db import utcnow
from app.core.models import OutboxMessage
from app.privacy import services
from tests.factories import grant, login, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation

ENGLISH = "Former participant"
FRENCH = {"Accept-Language": "fr"}


def _french(app) -> str:
    with app.test_request_context(), force_locale("fr"):
        return gettext(ENGLISH)


def _shows_only(app, text: str) -> None:
    """The French name is there and neither the English one nor the person's own."""
    french = _french(app)
    assert french in text and "Petra Private" not in text
    if french != ENGLISH:  # test_the_french_catalogue_names_former_participants says whether it is
        assert ENGLISH not in text


def _erased_author(session):
    """Petra commented, answered Amélie (who reads her e-mail once a day, in French), then left."""
    consultation = make_consultation(session)
    amelie = make_user(session, language="fr", display_name="Amélie")
    session.add(NotificationPreference(user_id=amelie.id, email_frequency=EmailFrequency.DAILY))
    petra = make_user(session, display_name="Petra Private")
    add_comment(session, consultation, petra, body="Brokering needs a licence.")
    add_comment(session, consultation, petra, parent=add_comment(session, consultation, amelie, body="Transit?"),
                body="Transit as well.")
    services.erase_account(session, petra, actor=petra)
    return consultation, petra, amelie


def test_the_french_catalogue_names_former_participants(app):
    assert _french(app) != ENGLISH


def test_pages_and_the_api_name_the_erased_author_in_the_readers_language(app, session, client):
    consultation, petra, _amelie = _erased_author(session)
    french = _french(app)
    assert session.get(User, petra.id).erased_at is not None

    page = client.get(f"/consultations/{consultation.id}", headers=FRENCH).get_data(as_text=True)
    api = client.get(f"/api/v1/consultations/{consultation.id}/comments", headers=FRENCH).get_json()
    names = {c["author"]["display_name"] for c in api["items"] if "licence" in c["body_html"]}
    assert names == {french}
    _shows_only(app, page)

    english = client.get(f"/consultations/{consultation.id}", headers={"Accept-Language": "en"})
    assert ENGLISH in english.get_data(as_text=True)
    api = client.get(f"/api/v1/consultations/{consultation.id}/comments").get_json()
    assert {c["author"]["display_name"] for c in api["items"] if "licence" in c["body_html"]} == {ENGLISH}


def test_the_comment_export_names_the_erased_author_in_the_readers_language(app, session, client):
    consultation, _petra, _amelie = _erased_author(session)
    moderator = make_user(session, language="fr")
    grant(session, moderator, Role.MODERATOR)
    login(client, moderator)
    response = client.get(f"/manage/consultations/{consultation.id}/comments.csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True).lstrip("\ufeff")
    _shows_only(app, text)
    assert len(list(csv.reader(io.StringIO(text)))) == 1 + 3


def test_the_daily_e_mail_names_the_erased_replier_in_its_readers_language(app, session):
    _consultation, _petra, amelie = _erased_author(session)
    assert send_daily(session, day=utcnow().date()) == 1
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == amelie.email,
                                                         OutboxMessage.dedupe_key.like("daily:%")))
    _shows_only(app, message.body_text)


def test_the_review_queue_names_an_erased_author_in_the_moderators_language(app, session, client):
    """The queue reads its items as columns: the name is the one SQL gives, in the reader's language."""
    from tests.integration.test_moderation_support import make_moderator, open_consultation, post

    consultation = open_consultation(session)
    petra = make_user(session, display_name="Petra Private")
    pending = post(session, consultation, petra, "Brokering needs a licence.")
    services.erase_account(session, petra, actor=petra)
    moderator = make_moderator(session)
    session.commit()
    login(client, moderator)
    page = client.get("/manage/moderation/", headers=FRENCH).get_data(as_text=True)
    assert f'id="item-{pending.id}"' in page
    _shows_only(app, page)

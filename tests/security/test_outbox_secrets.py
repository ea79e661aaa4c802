"""A copy of the outbox table is no way into accounts: reset and verification
links are sealed in the row (encrypted under a key derived from SECRET_KEY) and
put back only when the message is sent; the delivered e-mail still works."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import text

from app.core.db import db
from app.core.mail import deliver_due
from app.core.models import OutboxMessage
from tests.factories import make_user
from tests.integration.test_accounts_helpers import fresh_client, path_of, user_by_email

NEW_PASSWORD = "a brand new quiet passphrase"


def deliver() -> None:
    worker_session = db.sessionmaker()
    try:
        deliver_due(worker_session)
    finally:
        worker_session.close()


def every_outbox_value(session) -> str:
    """Every column of every outbox row, as the database returns it."""
    session.expire_all()
    rows = session.execute(text("SELECT * FROM outbox_message")).all()
    return "\n".join(str(value) for row in rows for value in row)


def link_of(message, path: str) -> str:
    text_body = message.get_body(("plain",)).get_content()
    html_body = message.get_body(("html",)).get_content()
    [link] = [link for link in re.findall(r"https?://\S+", text_body) if path in link]
    assert f'href="{link}"' in html_body  # the HTML part carries the same working link
    return link


def test_no_outbox_column_holds_reset_or_verification_links_and_the_mail_still_works(app, session, mail):
    client = fresh_client(app)
    email = f"sealed-{uuid.uuid4().hex[:10]}@example.org"
    registered = client.post("/register", data={"email": email, "display_name": "Sealed Person",
                                                "password": "a long and quiet passphrase", "accept_terms": "y"})
    assert registered.status_code == 302
    owner = make_user(session)
    assert client.post("/password/forgot", data={"email": owner.email}).status_code == 302

    stored = every_outbox_value(session)
    deliver()

    [verification] = [m for m in mail.to(email) if "/verify-email/" in m.get_body(("plain",)).get_content()]
    [reset] = [m for m in mail.to(owner.email) if "/password/reset/" in m.get_body(("plain",)).get_content()]
    verify_link, reset_link = link_of(verification, "/verify-email/"), link_of(reset, "/password/reset/")
    for link in (verify_link, reset_link):
        token = link.rsplit("/", 1)[1]
        assert len(token) > 20
        assert token not in stored and link not in stored
        assert token not in every_outbox_value(session)  # nor after sending

    assert client.get(path_of(verify_link, app)).status_code == 200
    assert user_by_email(session, email).email_verified_at is not None
    changed = fresh_client(app).post(path_of(reset_link, app), data={"new_password": NEW_PASSWORD})
    assert changed.status_code == 302
    assert client.post("/login", data={"email": owner.email, "password": NEW_PASSWORD}).status_code == 302
    # single use: the same link does not work twice
    assert fresh_client(app).get(path_of(reset_link, app)).status_code == 400


def test_sealed_values_need_the_secret_key(app, session, mail, connection):
    """With another SECRET_KEY the row cannot be opened: it is dead-lettered, never sent with a placeholder."""
    from tests.integration.test_accounts_helpers import other_app

    owner = make_user(session)
    with other_app(connection, SECRET_KEY="another key entirely, for this test") as other:
        assert fresh_client(other).post("/password/forgot", data={"email": owner.email}).status_code == 302
    deliver()

    assert mail.to(owner.email) == []
    session.expire_all()
    [row] = [r for r in session.query(OutboxMessage).filter_by(to_address=owner.email)]
    assert row.status == OutboxMessage.DEAD and "SECRET_KEY" in row.last_error


@pytest.mark.parametrize("template", ["accounts/reset_password", "accounts/verify_email"])
def test_queueing_a_secret_in_clear_is_refused(app, session, template):
    from app.core.mail import queue_email

    owner = make_user(session)
    with pytest.raises(ValueError, match="sealed"):
        queue_email(session, to=owner.email, template=template, dedupe_key=f"t:{uuid.uuid4().hex}",
                    sealed_values={"token": "SECRET-TOKEN-VALUE"}, user=owner, valid_hours=1,
                    link="https://agora.example/x/SECRET-TOKEN-VALUE")

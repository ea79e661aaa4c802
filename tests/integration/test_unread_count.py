"""The unread count in the navigation: read in the signed-in user's own
statement, right after marking read, and counted again when the request itself
adds a notification for the reader."""

from __future__ import annotations

import re

from app.accounts.sessions import load_user
from app.comments import notification_queries
from app.comments.models import Notification, NotificationKind
from app.comments.notifications import add_notification
from app.core.db import db
from tests.factories import login, make_user


def _notify(session, user, n: int) -> None:
    for index in range(n):
        add_notification(session, user_id=user.id, kind=NotificationKind.REPLY, dedupe_key=f"unread-{user.id}-{index}",
                         consultation_id=None, comment_id=None)
    session.flush()


def _badge(html: str) -> str | None:
    match = re.search(r'badge text-bg-primary">(\d+)<span class="visually-hidden"> unread', html)
    return match.group(1) if match else None


def test_the_count_comes_with_the_user_in_one_statement(client, session, query_counter):
    reader = make_user(session)
    _notify(session, reader, 3)
    login(client, reader)
    with query_counter() as counter:
        page = client.get("/consultations")
    assert page.status_code == 200
    assert _badge(page.get_data(as_text=True)) == "3"
    about_notifications = [s for s in counter.statements if "notification" in s.lower()]
    assert len(about_notifications) == 1, about_notifications
    assert "role_grant" in about_notifications[0]  # the user's own statement, with their grants


def test_marking_read_empties_the_badge_on_the_next_page(client, session):
    reader = make_user(session)
    _notify(session, reader, 2)
    login(client, reader)
    assert _badge(client.get("/consultations").get_data(as_text=True)) == "2"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/notifications").get_data(as_text=True))
    page = client.post("/notifications/read", data={"csrf_token": token.group(1)}, follow_redirects=True)
    assert page.status_code == 200
    assert _badge(page.get_data(as_text=True)) is None


def test_a_notification_added_in_the_request_is_counted(app, session):
    reader = make_user(session)
    _notify(session, reader, 1)
    with app.test_request_context("/"):
        user = load_user(f"{reader.id}:{reader.session_generation}")
        assert notification_queries.unread_count(db.session, user) == 1
        _notify(session, reader, 2)  # dedupe keys 0 and 1: one of them is new
        assert notification_queries.unread_count(db.session, user) == 2
        assert db.session.query(Notification).filter_by(user_id=reader.id).count() == 2

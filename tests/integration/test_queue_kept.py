"""The review queue kept (app/moderation/queue_cards.py, app/moderation/views.py): each
card rendered once and kept until what it shows changes, the page's content kept for
moderators with the same roles, and every change shown on the next page."""

from __future__ import annotations

import re

import pytest

from app.core.cache import page_cache
from app.core.db import utcnow
from app.moderation import queue_cards, services
from app.moderation.models import SanctionKind
from tests.factories import login, make_user
from tests.integration.test_moderation_support import make_moderator, open_consultation, post, reason

QUEUE = "/manage/moderation/"


@pytest.fixture()
def queue(session):
    consultation = open_consultation(session)
    authors = [make_user(session, display_name=f"Author {n}") for n in range(30)]
    items = [post(session, consultation, author, f"Pending point number {n} on brokering.")
             for n, author in enumerate(authors)]
    moderator, other = make_moderator(session), make_moderator(session)
    session.commit()
    return consultation, authors, items, moderator, other


def _read(client, url=QUEUE) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _cards(app) -> tuple[int, int]:
    cache = page_cache(app)
    return cache.card_renders, cache.card_hits


def test_each_card_is_rendered_once_and_a_decision_renders_only_the_card_that_moves_up(app, client, session,
                                                                                        queue):
    _consultation, _authors, items, moderator, _other = queue
    login(client, moderator)
    before = _cards(app)[0]
    first = _read(client)
    renders = _cards(app)[0]
    assert first.count('name="items"') == 25 and renders == before + 25
    pages = page_cache(app).reader_hits["queue"]
    second = _read(client)
    assert second.count('name="items"') == 25
    assert _cards(app)[0] == renders and page_cache(app).reader_hits["queue"] == pages + 1
    decided = items[0]
    response = client.post("/manage/moderation/bulk", data={
        "action": "reject", "reason_id": reason(session, "off_topic").id, "items": [f"{decided.id}:{decided.version}"]})
    assert response.status_code == 302
    after = _read(client)
    assert f'value="{decided.id}:' not in after
    assert f'value="{items[25].id}:' in after, "the next item moves up"
    assert _cards(app)[0] == renders + 1, "only the card that moved up is rendered"
    assert 'data-count="pending">29<' in after


def test_another_moderator_gets_the_same_cards_with_their_own_token(app, client, session, queue, monkeypatch):
    _consultation, _authors, _items, moderator, other = queue
    now = utcnow()  # "2 seconds ago" on one page and "3 seconds ago" on the other is not a difference
    monkeypatch.setattr(queue_cards, "utcnow", lambda: now)
    login(client, moderator)
    _read(client)
    mine = _read(client)
    renders = _cards(app)[0]
    client.post("/logout")
    login(client, other)
    _read(client)
    theirs = _read(client)
    assert _cards(app)[0] == renders

    def token(page):
        return re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def content(page):
        return page[page.index("<h1>"):page.index("</main>")].replace(token(page), "")

    assert token(mine) != token(theirs) and content(mine) == content(theirs)


def test_a_sanction_shows_in_the_authors_history_on_the_next_page(app, client, session, queue):
    _consultation, authors, _items, moderator, _other = queue
    login(client, moderator)
    assert "Warning · " not in _read(client)
    services.sanction_user(session, authors[0], kind=SanctionKind.WARNING, reason_text="Mind the tone",
                           actor=moderator)
    session.commit()
    assert _read(client).count("Warning · ") == 1, "on the card of the author"


def test_selecting_every_item_ticks_every_box_on_the_kept_page(app, client, session, queue):
    _consultation, _authors, _items, moderator, _other = queue
    login(client, moderator)
    _read(client)
    page = _read(client, QUEUE + "?select=all")
    assert page.count('name="items"') == page.count("checked>") == 25
    assert "checked>" not in _read(client)


def test_a_kept_queue_page_runs_fewer_queries_than_a_fresh_one(app, client, session, queue, query_counter):
    _consultation, _authors, _items, moderator, _other = queue
    login(client, moderator)
    _read(client)
    with query_counter() as kept:
        _read(client)
    page_cache(app).clear()
    with query_counter() as fresh:
        _read(client)
    assert kept.count < fresh.count


def test_a_reason_turned_off_leaves_the_next_page_s_choices(app, client, session, queue):
    _consultation, _authors, _items, moderator, _other = queue
    login(client, moderator)
    off_topic = reason(session, "off_topic")
    session.commit()
    assert f'value="{off_topic.id}"' in _read(client)
    off_topic.active = False
    session.commit()
    assert f'value="{off_topic.id}"' not in _read(client)


def test_a_renamed_consultation_shows_on_the_next_page(app, client, session, queue):
    consultation, _authors, _items, moderator, _other = queue
    login(client, moderator)
    assert "Brokering and transit act" not in _read(client)
    consultation.title = "Brokering and transit act"
    session.commit()
    assert "Brokering and transit act" in _read(client)


def test_the_queue_reads_the_content_tokens_once(app, client, session, queue, query_counter):
    """The counts and the page are filed under tokens of different scopes; one read serves both."""
    _consultation, _authors, _items, moderator, _other = queue
    login(client, moderator)
    _read(client)
    with query_counter() as counter:
        _read(client)
    assert len([s for s in counter.statements if "FROM content_token" in s]) == 1

"""What the review queue costs does not grow with the queue (app/moderation/views.py, queries.py,
queue_cards.py): the SQL statements of a page for 5 and for 40 pending items, served fresh,
served kept and right after a decision, for a global moderator and for a moderator of one
consultation; and the "3 days ago" a kept page fills in says what ``relative`` says, in every
language. (No timing here: bench/profile.py and bench/run.py measure it.)"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from flask_babel import force_locale
from markupsafe import Markup

from app.core import i18n
from app.core.cache import page_cache
from app.core.db import utcnow
from app.moderation import queue_cards
from tests.factories import login, make_user
from tests.integration.test_moderation_support import make_moderator, open_consultation, post

QUEUE = "/manage/moderation/"


def _read(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("scoped", [False, True], ids=["global moderator", "moderator of one consultation"])
def test_the_queue_runs_the_same_queries_for_5_and_40_pending_items(app, client, session, query_counter, scoped):
    counts: dict[tuple, int] = {}
    for pending in (5, 40):
        consultation = open_consultation(session)
        section = consultation.current_version.sections[0]
        authors = [make_user(session) for _ in range(min(pending, 8))]
        items = [post(session, consultation, authors[n % len(authors)], f"Pending point {n} on the brokering rules.",
                     section=section if n % 2 else None) for n in range(pending)]
        moderator = make_moderator(session, consultation if scoped else None)
        session.commit()
        client.post("/logout")
        login(client, moderator)
        filtered = f"{QUEUE}?consultation={consultation.id}&sort=newest"
        for view, url in (("first", QUEUE), ("filtered", filtered)):
            page_cache(app).clear()
            with query_counter() as fresh:
                page = _read(client, url)
            with query_counter() as kept:
                again = _read(client, url)
            assert page.count('name="items"') == again.count('name="items"') == min(pending, 25)
            counts[(pending, view, "fresh")], counts[(pending, view, "kept")] = fresh.count, kept.count
        decided = items[0]
        response = client.post(f"/manage/moderation/comments/{decided.id}/decide",
                               data={"action": "approve", "version": decided.version})
        assert response.status_code == 302
        with query_counter() as after:
            page = _read(client, filtered)
        assert f'id="item-{decided.id}"' not in page
        # A global moderator's queue still holds the four items left from the first round.
        waiting = pending - 1 + (4 if pending == 40 and not scoped else 0)
        assert f'data-count="pending">{waiting}<' in page
        counts[(pending, "after a decision")] = after.count
    for key in [k for k in counts if k[0] == 5]:
        assert counts[key] == counts[(40, *key[1:])], counts
    assert counts[(40, "first", "kept")] < counts[(40, "first", "fresh")], counts


@pytest.mark.parametrize("language", ["en", "fr", "es", "ru", "ar", "zh"])
def test_the_kept_ago_says_what_relative_says(app, monkeypatch, language):
    now = utcnow()
    monkeypatch.setattr(i18n, "utcnow", lambda: now)
    # Around every switch of unit and of rounding, both ways, then anywhere within five years.
    edges = [0, 1, 2, 30, 59, 60, 61, 89, 90, 91, 3599, 3600, 5399, 5400, 86399, 86400, 129600, 6 * 86400,
             7 * 86400, 29 * 86400, 30 * 86400, 45 * 86400, 364 * 86400, 365 * 86400, 3 * 365 * 86400]
    offsets = [edge + fraction for edge in edges for fraction in (0, 0.25, 0.5, 0.75)]
    rng = random.Random(20261206)
    offsets += [rng.uniform(0, 5 * 365 * 86400) for _ in range(2000)]
    moments = [now + timedelta(seconds=sign * offset) for offset in offsets for sign in (1, -1)]
    with app.test_request_context("/"), force_locale(language):
        for _ in range(2):  # formatted, then looked up
            for moment in rng.sample(moments, len(moments)):
                assert queue_cards.relative_escaped(moment, now) == str(Markup.escape(i18n.relative(moment))), moment
        monkeypatch.setattr(queue_cards, "utcnow", lambda: now)
        filled = queue_cards.ago([moment.isoformat() for moment in moments[:50]])
        assert [filled(str(n)) for n in range(50)] == [str(Markup.escape(i18n.relative(m))) for m in moments[:50]]


def test_one_consultations_queue_pages_by_its_kept_count_without_counting(app, client, session, query_counter):
    """The queue filtered to one consultation takes its number of items from the consultation's
    kept counts (app/moderation/tally.py): 26 items make two pages, one decision later one."""
    consultation, other = open_consultation(session), open_consultation(session)
    author = make_user(session)
    items = [post(session, consultation, author, f"Pending point {n} on transit controls.") for n in range(26)]
    post(session, other, author, "A pending point elsewhere.")
    moderator = make_moderator(session)
    session.commit()
    login(client, moderator)
    filtered = f"{QUEUE}?consultation={consultation.id}"
    with query_counter() as counter:
        page = _read(client, filtered)
    assert not [s for s in counter.statements if s.startswith("SELECT count(*)")], counter.statements
    assert page.count('name="items"') == 25 and "page=2" in page
    assert 'name="items"' in _read(client, filtered + "&page=2")
    response = client.post(f"/manage/moderation/comments/{items[0].id}/decide",
                           data={"action": "approve", "version": items[0].version})
    assert response.status_code == 302
    page = _read(client, filtered)
    assert page.count('name="items"') == 25 and "page=2" not in page
    assert 'data-count="pending">26<' in page  # the tab counts the other consultation's item too

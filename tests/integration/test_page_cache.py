"""Discussion windows kept for visitors (app/core/cache.py): served again while
nothing changes, never after a change that visitors would see, never to
signed-in readers, and the same across processes through Redis."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from app.comments.models import Comment
from app.core.cache import MemoryStore, PageCache, RedisStore, consultation_scope, content_token, page_cache
from tests.factories import login, make_organisation, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation
from tests.integration.test_moderation_support import make_moderator


@pytest.fixture()
def discussion(session):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    author = make_user(session, display_name="Nadia Haddad")
    comment = add_comment(session, consultation, author, section=section, body="Transit must be covered.")
    session.commit()
    return consultation, section, comment


def _url(consultation, section) -> str:
    return f"/consultations/{consultation.id}/sections/{section.anchor}"


def _window(page: str) -> str:
    start = page.index('<ol class="list-unstyled comment-thread">')
    return page[start:page.index('id="comment-form-title"')]


def _without_csrf(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page)


def _read(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_visitor_gets_the_kept_window_while_nothing_changes(app, client, session, discussion, query_counter):
    consultation, section, _comment = discussion
    cache = page_cache(app)
    first = _read(client, _url(consultation, section))
    hits = cache.hits
    with query_counter() as kept:
        second = _read(client, _url(consultation, section))
    assert cache.hits == hits + 1
    assert _window(second) == _window(first) and "Transit must be covered." in second
    cache.clear()
    with query_counter() as rendered:
        _read(client, _url(consultation, section))
    assert kept.count < rendered.count, "a kept window spares the thread's queries"


# Changes below go through the web, as in production: the request commits, which renews the
# token. (Changes made in the test's own session only flush; tests/conftest.py forgets kept
# windows on such flushes.)

def test_hiding_a_comment_removes_it_for_visitors_at_once(client, session, discussion):
    consultation, section, comment = discussion
    assert "Transit must be covered." in _read(client, _url(consultation, section))
    moderator = make_moderator(session)
    session.commit()
    login(client, moderator)
    response = client.post(f"/manage/moderation/comments/{comment.id}/decide",
                           data={"action": "hide", "version": comment.version, "reason_text": "Off topic"})
    assert response.status_code == 302
    client.post("/logout")
    assert "Transit must be covered." not in _read(client, _url(consultation, section))


def test_supports_and_names_show_up_for_visitors(client, session, discussion):
    consultation, section, comment = discussion
    assert "0 supporters" in _read(client, _url(consultation, section))
    supporter = make_user(session)
    session.commit()
    login(client, supporter)
    assert client.post(f"/consultations/{consultation.id}/comments/{comment.id}/support").status_code == 302
    client.post("/logout")
    assert "1 supporter" in _read(client, _url(consultation, section))

    login(client, comment.author)
    response = client.post("/account", data={"display_name": "Nadia Haddad-Kern", "preferred_language": "en",
                                             "timezone": "UTC"})
    assert response.status_code == 302
    client.post("/logout")
    assert "Nadia Haddad-Kern" in _read(client, _url(consultation, section))


def test_bulk_statements_and_organisation_renames_renew_the_token(session, discussion):
    consultation, section, comment = discussion
    scope = consultation_scope(consultation.id)
    before = content_token(session, scope)
    session.execute(update(Comment).where(Comment.id == comment.id).values(support_count=Comment.support_count + 1))
    session.commit()
    after_bulk = content_token(session, "site")
    assert after_bulk != before, "a bulk statement that names no scope counts for the whole site"
    organisation = make_organisation(session, name="Export Control Institute", members=(comment.author,))
    session.commit()
    assert content_token(session, "site") == after_bulk, "a new organisation is shown nowhere yet"
    add_comment(session, consultation, comment.author, section=section, organisation_id=organisation.id)
    session.commit()
    named_in = content_token(session, scope)
    organisation.name = "Institute for Export Control"
    session.commit()
    assert content_token(session, scope) != named_in, "renamed where it is shown"
    assert content_token(session, "site") == after_bulk


def test_unrelated_changes_and_rollbacks_keep_the_token(session, discussion):
    consultation, _section, comment = discussion
    scope = consultation_scope(consultation.id)
    before = content_token(session, scope), content_token(session, "site")
    comment.author.timezone = "Europe/Vienna"  # not shown with comments
    session.commit()
    assert (content_token(session, scope), content_token(session, "site")) == before
    comment.body_source = "Changed, then rolled back."
    session.flush()
    session.rollback()
    assert (content_token(session, scope), content_token(session, "site")) == before


def test_signed_in_readers_are_never_served_a_kept_window(app, client, session, discussion):
    consultation, section, _comment = discussion
    cache = page_cache(app)
    _read(client, _url(consultation, section))
    reader = make_user(session)
    session.commit()
    login(client, reader)
    hits, misses = cache.hits, cache.misses
    page = _read(client, _url(consultation, section))
    assert (cache.hits, cache.misses) == (hits, misses)
    assert "Support (0)" in page, "signed-in readers get their own actions"


def test_each_language_has_its_own_window(client, session, discussion):
    consultation, section, _comment = discussion
    english = _read(client, _url(consultation, section))
    client.set_cookie("agora_lang", "fr")
    french = _read(client, _url(consultation, section))
    assert "0 supporters" in english and "0 soutien" in french


def test_the_memory_store_stays_within_its_size():
    store = MemoryStore(max_bytes=1000)
    for n in range(10):
        store.set(f"k{n}", {"html": "x"}, 300)
    assert store.get("k0") is None and store.get("k9") == {"html": "x"}
    store.set("huge", {"html": "y"}, 5000)
    assert store.get("huge") is None


def test_redis_shares_windows_between_processes(app, client, session, discussion):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    consultation, section, _comment = discussion
    kept = app.extensions["agora_page_cache"]
    one, two = (PageCache(RedisStore(url, 60), kept.build) for _ in range(2))
    one.clear()
    try:
        app.extensions["agora_page_cache"] = one
        first = _read(client, _url(consultation, section))
        app.extensions["agora_page_cache"] = two  # another process, the same Redis
        # The same page but for its CSRF token, signed with the time of each request.
        assert _without_csrf(_read(client, _url(consultation, section))) == _without_csrf(first)
        assert two.hits == 1 and two.misses == 0
    finally:
        app.extensions["agora_page_cache"] = kept
        one.clear()


def test_the_kept_window_is_the_same_markup_as_a_fresh_one(app, client, session, discussion):
    consultation, section, comment = discussion
    add_comment(session, consultation, make_user(session), parent=comment, section=section, body="Agreed.")
    session.commit()
    fresh = _window(_read(client, _url(consultation, section)))
    kept = _window(_read(client, _url(consultation, section)))
    assert fresh == kept
    assert session.scalar(select(Comment.body_source).where(Comment.parent_id == comment.id)) == "Agreed."
    assert "Agreed." in kept


def test_the_review_queue_figures_follow_each_decision(app, client, session):
    from tests.integration.test_moderation_support import open_consultation, post

    consultation = open_consultation(session)
    pending = [post(session, consultation, make_user(session)) for _ in range(2)]
    moderator = make_moderator(session)
    session.commit()
    login(client, moderator)
    assert 'data-count="pending">2<' in _read(client, "/manage/moderation/")
    hits = page_cache(app).hits
    assert 'data-count="pending">2<' in _read(client, "/manage/moderation/")
    assert page_cache(app).hits > hits, "the figures are kept while nothing changes"
    response = client.post(f"/manage/moderation/comments/{pending[0].id}/decide",
                           data={"action": "approve", "version": pending[0].version})
    assert response.status_code == 302
    page = _read(client, "/manage/moderation/")
    assert 'data-count="pending">1<' in page and f'id="item-{pending[0].id}"' not in page


def test_writing_on_one_consultation_keeps_the_other_consultations_pages(app, client, session):
    """Tokens are per consultation: a support, a reply and a flag on A re-render A's
    pages and leave B's kept pages served as they are."""
    cache = page_cache(app)
    pages = {}
    comments = {}
    for name in ("A", "B"):
        consultation = make_consultation(session)
        section = consultation.current_version.sections[0]
        comments[name] = add_comment(session, consultation, make_user(session), section=section,
                                     body=f"Brokering on {name} needs a licence.")
        pages[name] = _url(consultation, section)
    reader = make_user(session)
    session.commit()
    for name in ("A", "B"):
        _read(client, pages[name])
    on_a = comments["A"]

    login(client, reader)
    assert client.post(f"/consultations/{on_a.consultation_id}/comments/{on_a.id}/support").status_code == 302
    assert client.post(f"/consultations/{on_a.consultation_id}/comments/new", data={
        "body": "A reply on A.", "kind": "comment", "audience": "public", "language": "en",
        "parent_id": on_a.id, "section_id": on_a.section_id,
        "idempotency_key": "a" * 32}).status_code == 302
    assert client.post(f"/consultations/{on_a.consultation_id}/comments/{on_a.id}/flag",
                       data={"reason": "off_topic"}).status_code == 302
    client.post("/logout")

    hits, misses = cache.hits, cache.misses
    assert "Brokering on B needs a licence." in _read(client, pages["B"])
    assert cache.misses == misses and cache.hits > hits, "B's page is served as kept"
    hits, misses = cache.hits, cache.misses
    page_a = _read(client, pages["A"])
    assert cache.misses > misses, "A's page is rendered afresh"
    assert "1 supporter" in page_a and "A reply on A." in page_a

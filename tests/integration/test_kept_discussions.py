"""A discussion kept for every participant (app/comments/kept.py): rendered once,
served to each signed-in participant with their own parts (supports, own comments'
actions, flags, "new" marks, follow button, form token) put in; never to a reader
who may read more than participants do."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.accounts.models import Role, Scope
from app.comments.models import ConsultationVisit
from app.core.cache import page_cache
from app.core.db import utcnow
from tests.factories import grant, login, make_organisation, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation

ARTICLE = '<article class="comment '


@pytest.fixture()
def scene(session):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    ana, ben = make_user(session, display_name="Ana Reader"), make_user(session, display_name="Ben Reader")
    writer = make_user(session, display_name="Nadia Haddad")
    root = add_comment(session, consultation, writer, section=section, body="Transit must be covered.")
    reply = add_comment(session, consultation, make_user(session), section=section, parent=root,
                        body="Brokering too.")
    own = add_comment(session, consultation, ana, section=section, body="Ana's own point.")
    session.commit()
    return consultation, section, root, reply, own, ana, ben


def _url(consultation, section) -> str:
    return f"/consultations/{consultation.id}/sections/{section.anchor}"


def _read(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _article(page: str, comment) -> str:
    start = page.index(f'id="comment-{comment.id}"')
    return page[start:page.index("</article>", start)]


def _kept(cache) -> tuple[int, int]:
    """Participants' discussions rendered, and served kept."""
    return cache.reader_renders["participant"], cache.reader_hits["participant"]


def _as(client, user, url) -> str:
    client.post("/logout")
    login(client, user)
    return _read(client, url)


def _tokens(page: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]*)"', page))


def _without_tokens(page: str) -> str:
    page = re.sub(r'(name="csrf_token" (?:type="hidden" )?value=")[^"]*"', r'\1"', page)
    page = re.sub(r'value="[^"]*"( id="csrf_token")', r'value=""\1', page)
    return re.sub(r'(id="idempotency_key" name="idempotency_key" type="hidden" value=")[^"]*"', r'\1"', page)


def test_participants_are_served_one_kept_discussion_with_their_own_actions(app, client, session, scene):
    consultation, section, root, _reply, own, ana, ben = scene
    url = _url(consultation, section)
    login(client, ben)
    assert client.post(f"/consultations/{consultation.id}/comments/{root.id}/support").status_code == 302
    cache = page_cache(app)
    ben_page = _read(client, url)
    renders, hits = _kept(cache)
    ana_page = _as(client, ana, url)
    assert _kept(cache) == (renders, hits + 1), "Ana is served the kept discussion"
    assert ana_page.count(ARTICLE) == ben_page.count(ARTICLE) == 3
    # Ben supports the first comment; Ana does not.
    assert 'aria-pressed="true">Supported (1)' in _article(ben_page, root)
    assert 'aria-pressed="false">Support (1)' in _article(ana_page, root)
    # Ana's own comment: her actions and receipt, no support button; for Ben, the reverse.
    mine, theirs = _article(ana_page, own), _article(ben_page, own)
    assert f"/comments/{own.id}/edit" in mine and f"/comments/{own.id}/withdraw" in mine
    assert "Receipt" in mine and "/support" not in mine
    assert f"/comments/{own.id}/edit" not in theirs and "Receipt" not in theirs and "/support" in theirs
    # Each page carries its reader's own token.
    assert len(_tokens(ana_page)) == 1 and len(_tokens(ben_page)) == 1 and _tokens(ana_page) != _tokens(ben_page)


def test_the_kept_discussion_is_the_markup_a_fresh_one_makes_for_each_reader(app, client, session, scene):
    consultation, section, root, _reply, _own, ana, ben = scene
    url = _url(consultation, section)
    for reader in (ana, ben):
        _as(client, reader, url)  # (after signing in, the page says so once)
        kept = _read(client, url)
        renders, hits = _kept(page_cache(app))
        page_cache(app).clear()
        fresh = _read(client, url)
        assert _kept(page_cache(app)) == (renders + 1, hits)
        assert _without_tokens(fresh) == _without_tokens(kept), reader.display_name
    assert f'/comments/{root.id}/flag"' in kept


def test_each_reader_sees_their_own_flags_new_marks_and_follow_button(app, client, session, scene):
    consultation, section, root, reply, _own, ana, ben = scene
    url = _url(consultation, section)
    login(client, ben)
    assert client.post(f"/consultations/{consultation.id}/comments/{reply.id}/flag",
                       data={"reason": "off_topic", "text": ""}).status_code == 302
    assert client.post(f"/consultations/{consultation.id}/follow", data={"follow": "1"}).status_code == 302
    # Ana last read the discussion before any comment was written.
    long_ago = utcnow() - timedelta(days=3)
    session.add(ConsultationVisit(user_id=ana.id, consultation_id=consultation.id, last_seen_at=long_ago,
                                  previous_seen_at=long_ago))
    session.commit()
    ben_page = _read(client, url)
    renders = _kept(page_cache(app))[0]
    ana_page = _as(client, ana, url)
    assert _kept(page_cache(app))[0] == renders
    assert "You flagged this comment" in _article(ben_page, reply)
    assert "You flagged this comment" not in ana_page and f"/comments/{reply.id}/flag" in _article(ana_page, reply)
    assert "Stop following this consultation" in ben_page and "Follow this consultation" in ana_page
    assert ana_page.count('badge text-bg-primary">New<') == 3 and 'text-bg-primary">New<' not in ben_page


def test_a_support_shows_at_once_to_every_participant(app, client, session, scene):
    consultation, section, root, _reply, _own, ana, ben = scene
    url = _url(consultation, section)
    assert "Support (0)" in _article(_as(client, ana, url), root)
    login(client, ben)
    assert client.post(f"/consultations/{consultation.id}/comments/{root.id}/support").status_code == 302
    assert "Support (1)" in _article(_as(client, ana, url), root)


def test_readers_who_may_read_more_get_a_discussion_of_their_own(app, client, session, scene):
    consultation, section, _root, _reply, _own, ana, ben = scene
    add_comment(session, consultation, ben, section=section, body="Only for the government.",
                audience="restricted")
    government = make_user(session)
    grant(session, government, Role.AUTHOR, Scope.COUNTRY, consultation.country_code)
    session.commit()
    url = _url(consultation, section)
    participant = _as(client, ana, url)
    cache = page_cache(app)
    for reader in (ben, government):
        before = _kept(cache)
        page = _as(client, reader, url)
        assert _kept(cache) == before, reader.display_name
        assert "Only for the government." in page
    assert "Only for the government." not in participant


def test_the_posting_form_is_kept_with_a_fresh_key_for_each_page(app, client, session, scene):
    consultation, section, *_rest, ana, _ben = scene
    login(client, ana)
    keys = set()
    for _ in range(3):
        page = _read(client, _url(consultation, section))
        keys.update(re.findall(r'name="idempotency_key" type="hidden" value="([0-9a-f]{32})"', page))
        assert 'id="comment-form"' in page
    assert len(keys) == 3


def test_the_posting_form_offers_each_writer_their_own_organisations(app, client, session, scene):
    consultation, section, *_rest, ana, ben = scene
    make_organisation(session, name="Export Control Institute", members=(ana,))
    session.commit()
    url = _url(consultation, section)
    ana_page, ben_page = _as(client, ana, url), _as(client, ben, url)
    assert "Export Control Institute</option>" in ana_page and "Export Control Institute" not in ben_page
    assert "Myself (personal capacity)" in ana_page


def test_a_participants_whole_thread_is_kept_too(app, client, session, scene):
    consultation, _section, root, reply, _own, ana, ben = scene
    url = f"/consultations/{consultation.id}/comments/{root.id}/thread"
    login(client, ana)
    assert client.post(f"/consultations/{consultation.id}/comments/{reply.id}/support").status_code == 302
    ana_page = _read(client, url)
    renders = _kept(page_cache(app))[0]
    ben_page = _as(client, ben, url)
    assert _kept(page_cache(app))[0] == renders
    assert 'aria-pressed="true">Supported (1)' in _article(ana_page, reply)
    assert 'aria-pressed="false">Support (1)' in _article(ben_page, reply)


def test_a_kept_discussion_runs_fewer_queries_and_as_many_for_many_comments(app, client, session, scene,
                                                                              query_counter):
    consultation, section, root, *_rest, ana, _ben = scene
    url = _url(consultation, section)
    login(client, ana)
    _read(client, url)
    with query_counter() as few:
        _read(client, url)
    page_cache(app).clear()
    with query_counter() as rendered:
        _read(client, url)
    assert few.count < rendered.count
    for n in range(15):
        add_comment(session, consultation, make_user(session), section=section, body=f"Point {n}.")
        add_comment(session, consultation, make_user(session), section=section, parent=root, body=f"Reply {n}.")
    session.commit()
    _read(client, url)
    with query_counter() as many:
        page = _read(client, url)
    assert page.count(ARTICLE) > 20
    assert many.count == few.count, many.statements

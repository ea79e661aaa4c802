"""Kept comment fragments (app/comments/presenter.py): the part of a comment that
does not depend on the reader is rendered once and served again to signed-in
readers and visitors, never after a change that it shows."""

from __future__ import annotations

import re

import pytest

from app.core.cache import page_cache
from tests.factories import grant, login, make_organisation, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation
from tests.integration.test_moderation_support import make_moderator


@pytest.fixture()
def thread(session):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    author = make_user(session, display_name="Nadia Haddad")
    organisation = make_organisation(session, name="Export Control Institute", representative=author)
    root = add_comment(session, consultation, author, section=section, body="Transit must be covered.",
                       organisation_id=organisation.id)
    replies = [add_comment(session, consultation, make_user(session), section=section, parent=root,
                           body=f"Reply number {n}.") for n in range(3)]
    reader = make_user(session, display_name="Reader")
    # Staff exist before the first page is read: creating them would itself renew the token.
    STAFF["moderator"] = make_moderator(session)
    STAFF["admin"] = make_user(session)
    grant(session, STAFF["admin"], "admin")
    session.commit()
    return consultation, section, root, replies, reader, organisation


STAFF: dict = {}


def _url(consultation, section) -> str:
    return f"/consultations/{consultation.id}/sections/{section.anchor}"


def _window(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return page[page.index('id="discussion-title"'):page.index('id="comment-form-title"')]


def _renders(app) -> int:
    return page_cache(app).fragment_renders


def test_a_signed_in_reader_is_served_kept_fragments(app, client, session, thread, query_counter):
    consultation, section, _root, _replies, reader, _org = thread
    # The drafting government's discussion is rendered for them, from kept fragments (a participant
    # is served the discussion kept for every participant: tests/integration/test_kept_discussions.py).
    grant(session, reader, "author", "country", consultation.country_code)
    session.commit()
    login(client, reader)
    first = _window(client, _url(consultation, section))
    renders, hits = _renders(app), page_cache(app).fragment_hits
    with query_counter() as kept:
        second = _window(client, _url(consultation, section))
    assert _renders(app) == renders, "nothing changed: no comment is rendered again"
    assert page_cache(app).fragment_hits == hits + 4
    assert second.count('<article class="comment ') == first.count('<article class="comment ') == 4
    page_cache(app).clear()
    with query_counter() as fresh:
        third = _window(client, _url(consultation, section))
    assert _renders(app) == renders + 4
    assert _discussion_queries(kept) == _discussion_queries(fresh), "fragments cost no query of their own"
    assert _csrf_free(third) == _csrf_free(second), "kept and fresh fragments make the same markup"


def _discussion_queries(counter) -> int:
    """Statements but those reading the draft (its text, the consultation with its versions: the section
    page keeps them apart from the discussion)."""
    return sum(1 for statement in counter.statements
               if not re.search(r"\bFROM (section|section_obligation|consultation_translation|section_translation"
                                r"|consultation LEFT OUTER JOIN draft_version)\b", statement))


def _csrf_free(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def test_a_write_on_another_consultation_keeps_the_fragments(app, client, session, thread):
    consultation, section, _root, _replies, reader, _org = thread
    other = make_consultation(session)
    elsewhere = add_comment(session, other, make_user(session), body="Elsewhere.")
    session.commit()
    login(client, reader)
    _window(client, _url(consultation, section))
    renders = _renders(app)
    assert client.post(f"/consultations/{other.id}/comments/{elsewhere.id}/support").status_code == 302
    _window(client, _url(consultation, section))
    assert _renders(app) == renders


def _decide(client, session, comment, **data):
    session.refresh(comment)
    response = client.post(f"/manage/moderation/comments/{comment.id}/decide",
                           data={"version": comment.version, "reason_text": "Per the guidelines", **data})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def _author_edit(client, session, root):
    comment = _last_reply(session, root)  # a comment with no reply yet: its author may edit it
    login(client, comment.author)
    address = f"/consultations/{comment.consultation_id}/comments/{comment.id}/edit"
    version = re.search(r'name="version" type="hidden" value="(\d+)"', client.get(address).get_data(as_text=True))
    assert client.post(address, data={"body": "Transit and brokering must be covered.",
                                      "version": version.group(1)}).status_code == 302
    return ("Transit and brokering must be covered.", "edited"), ("Reply number 2.",)


def _last_reply(session, root):
    from sqlalchemy import select

    from app.comments.models import Comment

    return session.scalars(select(Comment).where(Comment.parent_id == root.id).order_by(Comment.id.desc())).first()


def _withdraw(client, session, comment):
    login(client, comment.author)
    assert client.post(f"/consultations/{comment.consultation_id}/comments/{comment.id}/withdraw").status_code == 302
    return ("Withdrawn by the author.",), ("Transit must be covered.",)


def _moderator_edit(client, session, comment):
    login(client, STAFF["moderator"])
    _decide(client, session, comment, action="edit", body="Transit (edited for tone) must be covered.")
    return ("Transit (edited for tone) must be covered.", "Edited by a moderator"), ()


def _redact(client, session, comment):
    login(client, STAFF["moderator"])
    _decide(client, session, comment, action="redact", passage="Transit")
    return ("Edited by a moderator",), ("Transit must be covered.",)


def _hide(client, session, comment):
    login(client, STAFF["moderator"])
    _decide(client, session, comment, action="hide")
    return (), ("Transit must be covered.",)


def _restrict(client, session, comment):
    login(client, STAFF["moderator"])
    _decide(client, session, comment, action="audience", audience="restricted")
    return (), ("Transit must be covered.",)


def _highlight(client, session, comment):
    login(client, STAFF["moderator"])
    _decide(client, session, comment, action="highlight")
    return ("Key contribution",), ()


def _rename_person(client, session, comment):
    login(client, comment.author)
    assert client.post("/account", data={"display_name": "Nadia Haddad-Kern", "preferred_language": "en",
                                          "timezone": "UTC"}).status_code == 302
    return ("Nadia Haddad-Kern",), ()


def _rename_organisation(client, session, comment):
    login(client, comment.author)
    organisation = comment.organisation
    assert client.post(f"/organisations/{organisation.id}/edit", data={
        "name": "Institute for Export Control", "kind": organisation.kind, "country_code": organisation.country_code,
        "website": "", "description": ""}).status_code == 302
    return ("for <bdi>Institute for Export Control</bdi>",), ("for <bdi>Export Control Institute</bdi>",)


def _verification(client, session, comment):
    login(client, STAFF["admin"])
    assert client.post(f"/manage/admin/organisations/{comment.organisation_id}/unverify").status_code == 302
    assert client.post(f"/manage/admin/organisations/{comment.organisation_id}/verify").status_code == 302
    return ("for <bdi>Export Control Institute</bdi>",), ()


CHANGES = [_author_edit, _withdraw, _moderator_edit, _redact, _hide, _restrict, _highlight, _rename_person,
           _rename_organisation, _verification]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__.strip("_") for c in CHANGES])
def test_the_next_page_shows_each_change(app, client, session, thread, change):
    consultation, section, root, _replies, reader, _org = thread
    url = _url(consultation, section)
    login(client, reader)
    _window(client, url)
    client.post("/logout")
    _window(client, url)  # the visitor's window and the fragments are kept now
    session.refresh(root)
    shown, gone = change(client, session, root)
    client.post("/logout")
    for who in ("visitor", "reader"):
        if who == "reader":
            login(client, reader)
        window = _window(client, url)
        for text in shown:
            assert text in window, f"{who} sees {text!r}"
        for text in gone:
            assert text not in window, f"{who} no longer sees {text!r}"
        page_cache(app).clear()
        assert _csrf_free(_window(client, url)) == _csrf_free(window), f"{who}: kept equals fresh"
        client.post("/logout")


def test_query_count_of_a_signed_in_thread_does_not_grow_with_kept_fragments(app, client, session, thread,
                                                                               query_counter):
    consultation, section, root, _replies, reader, _org = thread
    login(client, reader)
    url = f"/consultations/{consultation.id}/comments/{root.id}/thread"
    client.get(url)
    with query_counter() as small:
        client.get(url)
    for n in range(20):
        add_comment(session, consultation, make_user(session), section=section, parent=root, body=f"More {n}.")
    session.commit()
    client.get(url)
    renders = _renders(app)
    with query_counter() as large:
        assert client.get(url).get_data(as_text=True).count('<article class="comment ') == 24
    assert _renders(app) == renders
    assert large.count == small.count

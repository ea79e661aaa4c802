"""The discussion through the browser's eyes: posting with a receipt, preview,
errors, idempotency, expired sessions, threads, permalinks, supports,
edits, withdrawals, follows, notifications and query counts."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.comments.models import Comment, CommentStatus, Notification, path_segment
from app.core.db import utcnow
from app.core.mail import deliver_due
from tests.factories import login, make_organisation, make_user
from tests.integration.test_comments_fixtures import add_comment, form_data, make_consultation


def _section_url(consultation, section, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/consultations/{consultation.id}/sections/{section.anchor}" + (f"?{query}" if query else "")


def _count_comments(session, consultation) -> int:
    return session.scalar(select(func.count()).select_from(Comment).where(Comment.consultation_id == consultation.id))


def _post(client, consultation, data):
    return client.post(f"/consultations/{consultation.id}/comments/new", data=data)


def test_visitors_read_comments_and_are_invited_to_sign_in(client, session):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    empty = client.get(_section_url(consultation, section)).get_data(as_text=True)
    assert "No comments yet on Article 1 — Licensing 1." in empty and "Sign in to comment" in empty
    add_comment(session, consultation, make_user(session, display_name="Nadia Haddad"), section=section,
                body="Transit should be covered.")
    page = client.get(_section_url(consultation, section)).get_data(as_text=True)
    assert "Transit should be covered." in page and "Nadia Haddad" in page
    assert 'id="comment-form"' not in page


def test_posting_gives_a_receipt_on_screen_and_by_e_mail(client, session, mail):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    user = make_user(session)
    login(client, user)
    form_page = client.get(_section_url(consultation, section)).get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]{32})"', form_page)
    assert key, "the form carries an idempotency key"
    response = _post(client, consultation, form_data(consultation, section=section, body="Please add *transit*.",
                                                      idempotency_key=key.group(1)))
    assert response.status_code == 302 and response.headers["Location"].endswith("/receipt")
    comment = session.scalar(select(Comment).where(Comment.author_id == user.id))
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert comment.receipt_number in receipt
    deliver_due(session)
    [message] = mail.to(user.email)
    assert comment.receipt_number in message["Subject"] and comment.receipt_number in mail.text_of(message)
    page = client.get(_section_url(consultation, section)).get_data(as_text=True)
    assert "<em>transit</em>" in page and f'id="comment-{comment.id}"' in page


def test_a_double_submit_makes_one_comment_and_leads_to_its_receipt(client, session):
    consultation = make_consultation(session)
    login(client, make_user(session))
    data = form_data(consultation, body="Clicked twice.")
    first = _post(client, consultation, data)
    second = _post(client, consultation, data)
    assert first.headers["Location"] == second.headers["Location"]
    assert _count_comments(session, consultation) == 1


def test_preview_renders_without_saving_and_keeps_the_input(client, session):
    consultation = make_consultation(session)
    login(client, make_user(session))
    response = _post(client, consultation, form_data(consultation, body="**Strong** words", action="preview",
                                                      stance="opposes"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<strong>Strong</strong> words" in page
    assert "**Strong** words</textarea>" in page
    assert re.search(r'<input checked[^>]*value="opposes"', page)
    assert _count_comments(session, consultation) == 0


@pytest.mark.parametrize("overrides, status, message", [
    ({"body": "   "}, 400, "Write your comment before posting it."),
    ({"body": "x" * 10_001}, 400, "10000 characters or fewer"),
    ({"parent_id": "999999999"}, 400, "The form was changed"),
    ({"section_id": "abc"}, 400, "The form was changed"),
    ({"idempotency_key": "../../etc"}, 400, "The form was changed"),
    ({"audience": "world"}, 400, "The form was changed"),
])
def test_bad_input_is_explained_and_nothing_is_saved(client, session, overrides, status, message):
    consultation = make_consultation(session)
    login(client, make_user(session))
    response = _post(client, consultation, form_data(consultation, **overrides))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert _count_comments(session, consultation) == 0


def test_commenting_for_an_organisation_one_is_not_in_is_refused_on_the_field(client, session):
    consultation = make_consultation(session)
    organisation = make_organisation(session)
    login(client, make_user(session))
    response = _post(client, consultation, form_data(consultation, organisation_id=str(organisation.id)))
    assert response.status_code == 400 and "active member" in response.get_data(as_text=True)
    assert _count_comments(session, consultation) == 0


def test_a_closed_consultation_refuses_posts(client, session):
    from datetime import timedelta

    consultation = make_consultation(session, opens_in=timedelta(days=-20), closes_in=timedelta(days=-1))
    login(client, make_user(session))
    response = _post(client, consultation, form_data(consultation))
    assert response.status_code == 409 and "closed" in response.get_data(as_text=True)
    section_page = client.get(_section_url(consultation, consultation.current_version.sections[0]))
    assert "accepts no new comments" in section_page.get_data(as_text=True)


def test_text_survives_an_expired_session(client, session):
    consultation = make_consultation(session)
    user = make_user(session)
    data = form_data(consultation, body="Long careful text written over an hour.")
    response = _post(client, consultation, data)  # not signed in (the session expired)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    target = parse_qs(location.query)["next"][0]
    assert data["idempotency_key"] in target
    client.post("/login", data={"email": user.email, "password": "correct horse battery staple", "next": target})
    form = client.get(target).get_data(as_text=True)
    assert "Long careful text written over an hour.</textarea>" in form
    assert data["idempotency_key"] in form
    assert _count_comments(session, consultation) == 0


def test_csrf_is_checked_for_signed_in_posters(app, client, session):
    consultation = make_consultation(session)
    login(client, make_user(session))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = _post(client, consultation, form_data(consultation))
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400 and _count_comments(session, consultation) == 0


def test_replies_are_threaded_and_deep_ones_flattened_with_in_reply_to(client, session):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    people = [make_user(session, display_name=f"Person {i}") for i in range(7)]
    chain = [add_comment(session, consultation, people[0], section=section, body="Level 0")]
    for level in range(1, 7):
        chain.append(add_comment(session, consultation, people[level], parent=chain[-1], body=f"Level {level}"))
    page = client.get(_section_url(consultation, section)).get_data(as_text=True)
    for level in range(7):
        assert f"Level {level}" in page
    assert page.index("Level 0") < page.index("Level 3") < page.index("Level 6")
    assert "in reply to <bdi>Person 4</bdi>" in page  # level 5 is past the nesting depth of 4


def test_long_threads_link_to_more_replies_and_the_thread_page_shows_all(app, client, session):
    consultation = make_consultation(session)
    root = add_comment(session, consultation, make_user(session), body="Root")
    for i in range(13):
        add_comment(session, consultation, make_user(session), parent=root, body=f"Reply number {i}")
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "Show 3 more replies" in page and "Reply number 12" not in page
    thread = client.get(f"/consultations/{consultation.id}/comments/{root.id}/thread").get_data(as_text=True)
    assert all(f"Reply number {i}" in thread for i in range(13))


def test_permalinks_find_their_page(client, session):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[1]
    author = make_user(session)
    comments = [add_comment(session, consultation, author, section=section, body=f"Point {i}") for i in range(23)]
    target = comments[21]
    response = client.get(f"/consultations/{consultation.id}/comments/{target.id}")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "cpage=2" in location and location.endswith(f"#comment-{target.id}")
    assert f'id="comment-{target.id}"' in client.get(location).get_data(as_text=True)
    first = client.get(f"/consultations/{consultation.id}/comments/{comments[0].id}").headers["Location"]
    assert "cpage" not in first and first.endswith(f"#comment-{comments[0].id}")


def test_support_edit_and_withdraw_through_the_pages(client, session):
    consultation = make_consultation(session)
    author, fan = make_user(session), make_user(session)
    comment = add_comment(session, consultation, author, body="Original")
    login(client, fan)
    client.post(f"/consultations/{consultation.id}/comments/{comment.id}/support")
    session.refresh(comment)
    assert comment.support_count == 1
    assert client.get(f"/consultations/{consultation.id}/comments/{comment.id}/edit").status_code == 403
    client.post("/logout")
    login(client, author)
    assert client.post(f"/consultations/{consultation.id}/comments/{comment.id}/support").status_code == 403
    edit = client.get(f"/consultations/{consultation.id}/comments/{comment.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit).group(1)
    client.post(f"/consultations/{consultation.id}/comments/{comment.id}/edit",
                data={"body": "Corrected", "version": version})
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "Corrected" in page and "edited" in page
    stale = client.post(f"/consultations/{consultation.id}/comments/{comment.id}/edit",
                        data={"body": "Again", "version": version})
    assert stale.status_code == 409
    client.post(f"/consultations/{consultation.id}/comments/{comment.id}/withdraw")
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "Withdrawn by the author." in page and "Corrected" not in page


def test_an_edit_sent_after_a_moderators_decision_is_a_409_that_keeps_the_text(client, session):
    from app.moderation.services import DecisionInput, decide
    from tests.integration.test_moderation_support import make_moderator

    consultation = make_consultation(session)
    author = make_user(session)
    comment = add_comment(session, consultation, author, body="Original wording")
    login(client, author)
    edit = client.get(f"/consultations/{consultation.id}/comments/{comment.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit).group(1)
    decide(session, comment, DecisionInput(action="highlight"), expected_version=comment.version,
           actor=make_moderator(session))  # while the author types
    response = client.post(f"/consultations/{consultation.id}/comments/{comment.id}/edit",
                           data={"body": "My long and careful rewording", "version": version})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "This comment changed while you were editing it" in page and "My long and careful rewording" in page
    session.expire_all()
    assert session.get(Comment, comment.id).body_source == "Original wording"


@pytest.mark.parametrize("status", [CommentStatus.REJECTED, CommentStatus.HIDDEN, CommentStatus.SPAM])
def test_the_author_of_a_comment_readers_do_not_see_is_taken_to_its_receipt(client, session, status):
    consultation = make_consultation(session)
    author, other = make_user(session), make_user(session)
    comment = add_comment(session, consultation, author, body="Advertising, as a moderator decided.")
    comment.status = status
    session.flush()
    base = f"/consultations/{consultation.id}/comments/{comment.id}"
    login(client, other)
    assert client.get(base).status_code == 404 and client.get(f"{base}/thread").status_code == 404
    login(client, author)
    for path in (base, f"{base}/thread"):
        response = client.get(path)
        assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == f"{base}/receipt"
    receipt = client.get(f"{base}/receipt").get_data(as_text=True)
    assert "Advertising, as a moderator decided." in receipt
    # Every link of the receipt into the consultation leads somewhere for its author.
    for link in set(re.findall(r'href="(/consultations/[^"#]*)', receipt)):
        assert client.get(link, follow_redirects=True).status_code == 200, link


def test_pending_comments_show_only_to_their_author(client, session):
    consultation = make_consultation(session, moderation="pre")
    author = make_user(session)
    add_comment(session, consultation, author, body="Waiting for a moderator")
    assert "Waiting for a moderator" not in client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    login(client, author)
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "Waiting for a moderator" in page and "Awaiting moderation" in page


def test_filters_and_sorting(client, session):
    consultation = make_consultation(session)
    author = make_user(session)
    add_comment(session, consultation, author, body="A plain comment", stance="supports")
    add_comment(session, consultation, author, body="A question here", kind="question", language="fr")
    questions = client.get(f"/consultations/{consultation.id}?kind=question").get_data(as_text=True)
    assert "A question here" in questions and "A plain comment" not in questions
    french = client.get(f"/consultations/{consultation.id}?lang=fr").get_data(as_text=True)
    assert "A question here" in french and "A plain comment" not in french
    supporting = client.get(f"/consultations/{consultation.id}?stance=supports").get_data(as_text=True)
    assert "A plain comment" in supporting and "A question here" not in supporting
    newest = client.get(f"/consultations/{consultation.id}?sort=newest").get_data(as_text=True)
    assert newest.index("A question here") < newest.index("A plain comment")
    nothing = client.get(f"/consultations/{consultation.id}?org_kind=industry").get_data(as_text=True)
    assert "No comments match these filters" in nothing


def test_new_since_my_last_visit(client, session):
    from datetime import timedelta

    from app.comments.models import ConsultationVisit

    consultation = make_consultation(session)
    reader = make_user(session)
    add_comment(session, consultation, make_user(session), body="Seen before")
    session.add(ConsultationVisit(user_id=reader.id, consultation_id=consultation.id,
                                  last_seen_at=utcnow() - timedelta(hours=2)))
    session.flush()
    add_comment(session, consultation, make_user(session), body="Written since")
    session.execute(Comment.__table__.update().where(Comment.__table__.c.body_source == "Seen before")
                    .values(created_at=utcnow() - timedelta(hours=3)))
    login(client, reader)
    page = client.get(f"/consultations/{consultation.id}?new=1").get_data(as_text=True)
    assert "Written since" in page and "Seen before" not in page


def test_a_readers_visit_is_written_at_most_once_a_minute(client, session, query_counter):
    from app.comments.models import ConsultationVisit

    consultation = make_consultation(session)
    reader = make_user(session)
    login(client, reader)
    client.get(f"/consultations/{consultation.id}")
    first = session.scalar(select(ConsultationVisit.last_seen_at).where(ConsultationVisit.user_id == reader.id))
    assert first is not None, "the first view is written down"
    with query_counter() as again:
        assert client.get(f"/consultations/{consultation.id}").status_code == 200
    assert not [s for s in again.statements if s.lstrip().upper().startswith(("UPDATE", "INSERT"))]
    session.expire_all()
    assert session.scalar(select(ConsultationVisit.last_seen_at)
                          .where(ConsultationVisit.user_id == reader.id)) == first


def test_follow_activity_and_notifications(client, session):
    consultation = make_consultation(session)
    alice, bob = make_user(session), make_user(session, display_name="Bob Replier")
    root = add_comment(session, consultation, alice, body="Mine")
    login(client, alice)
    client.post(f"/consultations/{consultation.id}/follow", data={"follow": "1"})
    activity = client.get("/my/activity").get_data(as_text=True)
    assert root.receipt_number in activity and consultation.title in activity
    add_comment(session, consultation, bob, parent=root, body="A reply")
    home = client.get("/notifications").get_data(as_text=True)
    assert "<bdi>Bob Replier</bdi> replied to your comment" in home
    assert re.search(r"Notifications <span class=\"badge[^\"]*\">1", home)
    note = session.scalar(select(Notification).where(Notification.user_id == alice.id))
    opened = client.get(f"/notifications/{note.id}")
    assert opened.status_code == 302 and f"/comments/{note.comment_id}" in opened.headers["Location"]
    session.refresh(note)
    assert note.read_at is not None
    client.post(f"/consultations/{consultation.id}/follow", data={"follow": "0"})
    assert "You follow no consultation" in client.get("/my/activity").get_data(as_text=True)


def test_notification_settings_opt_out(client, session):
    from app.comments.notifications import preferences

    user = make_user(session)
    login(client, user)
    client.post("/notifications/settings", data={"email_closing": "y"})
    prefs = preferences(session, user.id)
    assert prefs.email_replies is False and prefs.email_closing is True


def _bulk_comments(session, consultation, count: int) -> None:
    """``count`` comments over the sections and the draft as a whole: a third are
    replies, some restricted, some pending."""
    author = make_user(session)
    sections = consultation.current_version.sections
    rows = []
    for i in range(count):
        parent = rows[i - 1] if i % 3 == 2 and rows else None
        section_id = parent.section_id if parent else (sections[i % len(sections)].id if i % 5 != 1 else None)
        rows.append(Comment(
            consultation_id=consultation.id, section_id=section_id, version_id=consultation.current_version.id,
            parent_id=parent.id if parent else None, author_id=author.id, body_source=f"Bulk {i}",
            body_html=f"<p>Bulk {i}</p>", status=CommentStatus.PENDING if i % 11 == 0 else CommentStatus.PUBLISHED,
            audience="restricted" if i % 7 == 0 else "public", idempotency_key=f"{i:032x}",
            depth=(parent.depth + 1) if parent else 0))
        session.add(rows[-1])
        session.flush()
        rows[-1].path = f"{parent.path}/{path_segment(rows[-1].id)}" if parent else path_segment(rows[-1].id)
        rows[-1].root_id = parent.root_id if parent else rows[-1].id
    session.flush()


@pytest.mark.parametrize("who", ["visitor", "participant"])
def test_query_counts_do_not_grow_with_the_number_of_comments(client, session, query_counter, who):
    small = make_consultation(session, sections=40)
    large = make_consultation(session, sections=40)
    _bulk_comments(session, small, 10)
    _bulk_comments(session, large, 500)
    if who == "participant":
        login(client, make_user(session))
    counts = {}
    for name, consultation in (("small", small), ("large", large)):
        section = consultation.current_version.sections[1]
        for url in (f"/consultations/{consultation.id}", _section_url(consultation, section)):
            client.get(url)  # warm caches (country names, templates)
            with query_counter() as counter:
                response = client.get(url)
            assert response.status_code == 200
            counts[(name, url.count("/sections/"))] = counter.count
    assert counts[("small", 0)] == counts[("large", 0)], counts
    assert counts[("small", 1)] == counts[("large", 1)], counts


def test_a_minimal_form_posts_a_plain_comment(client, session):
    consultation = make_consultation(session)
    login(client, make_user(session))
    data = form_data(consultation, body="Only the text.")
    for name in ("kind", "stance", "audience", "organisation_id", "proposed_wording"):
        data.pop(name)
    assert _post(client, consultation, data).status_code == 302
    comment = session.scalar(select(Comment).where(Comment.consultation_id == consultation.id))
    assert comment.kind == "comment" and comment.audience == "public" and comment.stance is None


def test_the_reply_page_shows_what_is_answered_and_refuses_unpublished_parents(client, session):
    consultation = make_consultation(session)
    author = make_user(session)
    parent = add_comment(session, consultation, make_user(session), body="Answer me")
    login(client, author)
    page = client.get(f"/consultations/{consultation.id}/comments/new?parent={parent.id}").get_data(as_text=True)
    assert "The comment you reply to" in page and "Answer me" in page
    assert f'name="parent_id" type="hidden" value="{parent.id}"' in page
    pre = make_consultation(session, moderation="pre")
    pending = add_comment(session, pre, author, body="Mine, pending")
    assert client.get(f"/consultations/{pre.id}/comments/new?parent={pending.id}").status_code == 403
    other = add_comment(session, pre, make_user(session), body="Someone else's pending")
    assert client.get(f"/consultations/{pre.id}/comments/new?parent={other.id}").status_code == 404

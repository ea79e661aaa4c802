"""The moderation pages as a moderator, an author and a visitor see them."""

from __future__ import annotations

from sqlalchemy import select

from app.comments.models import Audience, CommentStatus
from app.consultations.models import ModerationMode
from app.core.cache import page_cache
from app.core.mail import deliver_due
from app.moderation import services
from app.moderation.models import DecisionAction as A
from app.moderation.models import ReasonTemplate, WatchWord
from app.moderation.services import DecisionInput
from tests.factories import grant, login, make_user
from tests.integration.test_moderation_support import make_moderator, open_consultation, post, reason


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_queue_shows_pending_items_with_context_and_tab_counts(session, client):
    consultation = open_consultation(session)
    author = make_user(session, display_name="Ines Expert")
    comment = post(session, consultation, author, section=consultation.current_version.sections[1])
    moderator = make_moderator(session)
    login(client, moderator)
    page = _text(client.get("/manage/moderation/"))
    assert "Ines Expert" in page and comment.body_source in page
    assert "Article 2" in page  # the section it is on
    assert f'value="{comment.id}:{comment.version}"' in page
    assert 'data-count="pending">1<' in page


def test_queue_query_count_does_not_grow_with_items(app, session, client, query_counter):
    consultation = open_consultation(session)
    moderator = make_moderator(session)
    first = post(session, consultation, make_user(session))
    services.decide(session, first, DecisionInput(action=A.APPROVE), expected_version=first.version, actor=moderator)
    post(session, consultation, make_user(session), parent=first)
    login(client, moderator)
    client.get("/manage/moderation/")
    page_cache(app).clear()  # count the queries of a page whose figures are not kept yet
    with query_counter() as few:
        assert client.get("/manage/moderation/").status_code == 200
    for n in range(10):
        post(session, consultation, make_user(session))
        post(session, consultation, make_user(session), f"Reply number {n} on the catch-all clause.",
             parent=first)
    page_cache(app).clear()
    with query_counter() as many:
        response = client.get("/manage/moderation/")
    assert response.status_code == 200 and "Reply number 9" in _text(response)
    assert many.count == few.count, many.statements


def test_filters_narrow_the_queue(session, client):
    consultation = open_consultation(session)
    other = open_consultation(session)
    post(session, consultation, make_user(session, display_name="Alice Alpha"), "On the licensing of brokers here.")
    post(session, other, make_user(session, display_name="Bob Beta"), "On transit controls in free zones.")
    login(client, make_moderator(session))
    page = _text(client.get(f"/manage/moderation/?consultation={consultation.id}"))
    assert "Alice Alpha" in page and "Bob Beta" not in page
    page = _text(client.get("/manage/moderation/?author=beta"))
    assert "Bob Beta" in page and "Alice Alpha" not in page
    page = _text(client.get("/manage/moderation/?older_than=3"))
    assert "Nothing awaits moderation" in page


def test_a_scoped_moderator_sees_only_their_consultations(session, client):
    mine, theirs = open_consultation(session), open_consultation(session)
    post(session, mine, make_user(session, display_name="In Scope"))
    hidden = post(session, theirs, make_user(session, display_name="Out Of Scope"))
    login(client, make_moderator(session, mine))
    page = _text(client.get("/manage/moderation/"))
    assert "In Scope" in page and "Out Of Scope" not in page
    assert client.get(f"/manage/moderation/comments/{hidden.id}").status_code == 404
    response = client.post(f"/manage/moderation/comments/{hidden.id}/decide",
                           data={"action": "approve", "version": hidden.version})
    assert response.status_code == 404
    assert hidden.status == CommentStatus.PENDING


def test_approve_from_the_item_page_mails_the_author(session, client, mail):
    consultation = open_consultation(session)
    author = make_user(session)
    comment = post(session, consultation, author)
    login(client, make_moderator(session))
    assert client.get(f"/manage/moderation/comments/{comment.id}").status_code == 200
    response = client.post(f"/manage/moderation/comments/{comment.id}/decide",
                           data={"action": "approve", "version": comment.version,
                                 "reason_id": reason(session, "on_topic").id})
    assert response.status_code == 302
    assert comment.status == CommentStatus.PUBLISHED
    deliver_due(session)
    [message] = [m for m in mail.to(author.email) if "moderator decided" in m["Subject"]]
    assert "approved" in mail.text_of(message)
    assert "within the moderation guidelines" in mail.text_of(message)


def test_reject_without_reason_re_shows_the_form_with_the_input(session, client):
    consultation = open_consultation(session)
    comment = post(session, consultation, make_user(session))
    login(client, make_moderator(session))
    response = client.post(f"/manage/moderation/comments/{comment.id}/decide",
                           data={"action": "reject", "version": comment.version, "passage": "kept passage"})
    assert response.status_code == 400
    assert "Give a reason" in _text(response) and "kept passage" in _text(response)
    assert comment.status == CommentStatus.PENDING


def test_forged_reason_or_decision_is_refused(session, client):
    consultation = open_consultation(session)
    comment = post(session, consultation, make_user(session))
    login(client, make_moderator(session))
    url = f"/manage/moderation/comments/{comment.id}/decide"
    assert client.post(url, data={"action": "reject", "version": comment.version,
                                  "reason_id": "1 OR 1=1"}).status_code == 400
    assert client.post(url, data={"action": "delete_everything", "version": comment.version}).status_code == 400
    assert client.post("/manage/moderation/comments/987654321/decide",
                       data={"action": "approve", "version": 1}).status_code == 404
    assert comment.status == CommentStatus.PENDING


def test_a_decision_on_an_already_decided_item_shows_the_conflict_page(session, client):
    consultation = open_consultation(session)
    comment = post(session, consultation, make_user(session))
    first, second = make_moderator(session, display_name="First Mod"), make_moderator(session)
    seen = comment.version
    services.decide(session, comment, DecisionInput(action=A.REJECT, reason_text="Off-topic"),
                    expected_version=seen, actor=first)
    login(client, second)
    response = client.post(f"/manage/moderation/comments/{comment.id}/decide",
                           data={"action": "approve", "version": seen, "reason_text": "Looks fine to me"})
    assert response.status_code == 409
    page = _text(response)
    assert "This item changed" in page and "rejected" in page and "First Mod" in page
    assert "Looks fine to me" in page  # the moderator's input is kept
    assert f'name="version" value="{comment.version}"' in page
    assert comment.status == CommentStatus.REJECTED


def test_bulk_decision(session, client):
    consultation = open_consultation(session)
    comments = [post(session, consultation, make_user(session)) for _ in range(3)]
    login(client, make_moderator(session))
    response = client.post("/manage/moderation/bulk", data={
        "action": "reject", "reason_id": reason(session, "off_topic").id,
        "items": [f"{c.id}:{c.version}" for c in comments[:2]]})
    assert response.status_code == 302
    assert [c.status for c in comments] == ["rejected", "rejected", "pending"]
    response = client.post("/manage/moderation/bulk", data={"action": "approve", "items": ["x:y"]})
    assert response.status_code == 400


def test_bulk_with_a_stale_item_changes_nothing(session, client):
    consultation = open_consultation(session)
    a, b = post(session, consultation, make_user(session)), post(session, consultation, make_user(session))
    stale = b.version
    services.decide(session, b, DecisionInput(action=A.APPROVE), expected_version=stale,
                    actor=make_moderator(session))
    login(client, make_moderator(session))
    response = client.post("/manage/moderation/bulk", data={
        "action": "reject", "reason_text": "Off-topic", "items": [f"{a.id}:{a.version}", f"{b.id}:{stale}"]})
    assert response.status_code == 409
    assert a.status == CommentStatus.PENDING and b.status == CommentStatus.PUBLISHED


def test_undo_from_the_item_page(session, client):
    consultation = open_consultation(session)
    comment = post(session, consultation, make_user(session))
    moderator = make_moderator(session)
    services.decide(session, comment, DecisionInput(action=A.REJECT, reason_text="Off-topic"),
                    expected_version=comment.version, actor=moderator)
    login(client, moderator)
    assert "Undo the last decision" in _text(client.get(f"/manage/moderation/comments/{comment.id}"))
    response = client.post(f"/manage/moderation/comments/{comment.id}/undo", data={"version": comment.version})
    assert response.status_code == 302 and comment.status == CommentStatus.PENDING


def test_transparency_page_shows_figures_by_reason_without_restricted_content(session, client):
    consultation = open_consultation(session)
    moderator = make_moderator(session)
    public = post(session, consultation, make_user(session), "A public comment on penalties.")
    secret = post(session, consultation, make_user(session), "Depot layout at the northern border crossing.",
                  audience=Audience.RESTRICTED)
    for comment in (public, secret):
        services.decide(session, comment, DecisionInput(action=A.REJECT, reason_id=reason(session, "off_topic").id),
                        expected_version=comment.version, actor=moderator)
    page = _text(client.get(f"/consultations/{consultation.id}/moderation"))
    assert "Off-topic" in page and "Depot layout" not in page and "A public comment" not in page
    assert "Detailed security arrangements" in page  # the default guidelines
    consultation_page = _text(client.get(f"/consultations/{consultation.id}"))
    assert "1 rejected" in consultation_page


def test_guidelines_are_editable_by_moderators(session, client):
    consultation = open_consultation(session)
    login(client, make_moderator(session, consultation))
    url = f"/manage/moderation/consultations/{consultation.id}/guidelines"
    assert client.get(url).status_code == 200
    assert client.post(url, data={"source": "  "}).status_code == 400
    response = client.post(url, data={"source": "### Our rules\n\nStay on **topic**. <script>x</script>"})
    assert response.status_code == 302
    page = _text(client.get(f"/consultations/{consultation.id}/moderation"))
    assert "<strong>topic</strong>" in page and "<script>x" not in page


def test_reasons_and_watch_words_are_editable(session, client):
    admin = make_user(session)
    from app.accounts.models import Role

    grant(session, admin, Role.ADMIN)
    login(client, admin)
    response = client.post("/manage/moderation/reasons", data={"code": "legal_advice", "label": "Legal advice",
                                                               "message": "We cannot give legal advice.",
                                                               "active": "y"})
    assert response.status_code == 302
    template = session.scalar(select(ReasonTemplate).where(ReasonTemplate.code == "legal_advice"))
    assert template.label == "Legal advice"
    response = client.post(f"/manage/moderation/reasons/{template.id}",
                           data={"code": "legal_advice", "label": "Asks for legal advice", "message": "x"})
    assert response.status_code == 302 and template.label == "Asks for legal advice" and not template.active
    assert client.post("/manage/moderation/reasons", data={"code": "bad code!", "label": "x"}).status_code == 400
    assert client.post("/manage/moderation/watch-words", data={"word": "Sarin synthesis"}).status_code == 302
    entry = session.scalar(select(WatchWord).where(WatchWord.word == "sarin synthesis"))
    assert entry is not None
    assert client.post("/manage/moderation/watch-words", data={"word": "sarin  SYNTHESIS"}).status_code == 400
    entry_id = entry.id
    assert client.post(f"/manage/moderation/watch-words/{entry_id}/delete").status_code == 302
    assert session.scalar(select(WatchWord).where(WatchWord.id == entry_id)) is None


def test_my_moderation_shows_decisions_with_reasons(session, client):
    consultation = open_consultation(session, mode=ModerationMode.POST)
    author = make_user(session)
    comment = post(session, consultation, author)
    services.decide(session, comment, DecisionInput(action=A.HIDE, reason_id=reason(session, "abusive").id),
                    expected_version=comment.version, actor=make_moderator(session))
    login(client, author)
    page = _text(client.get("/account/moderation"))
    assert "Hidden" in page and "abusive or insulting" in page

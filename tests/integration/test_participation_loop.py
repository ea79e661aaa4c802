"""The participation loop: moderators see everything a decision publishes and
reach the work quickly; participants find every decision about their comments
and hear when the government answers them; citations say who said what."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from app.accounts.models import OrganisationKind
from app.comments.models import EmailFrequency, Notification, NotificationPreference
from app.comments.services import CommentInput, post_comment
from app.consultations.models import ModerationMode
from app.core.mail import deliver_due
from app.moderation import services as moderation
from app.moderation.models import DecisionAction as A
from app.moderation.services import DecisionInput
from app.summaries import services as summaries
from app.summaries.models import Decision
from app.summaries.services import DispositionInput
from tests.factories import grant, login, make_organisation, make_user
from tests.integration.test_comments_fixtures import publish_new_version
from tests.integration.test_moderation_support import make_moderator, open_consultation, post, reason, switch_client
from tests.integration.test_summaries_support import moderator as summary_moderator
from tests.integration.test_summaries_support import open_consultation_with_comments, published_summary

LINKS = "See https://a.example https://b.example https://c.example https://d.example https://e.example today."


def _text(response) -> str:
    return response.get_data(as_text=True)


def _as(app, user):
    """A client of its own, signed in as ``user``."""
    switch_client()
    client = app.test_client()
    if user is not None:
        login(client, user)
    return client


def _items(page: str) -> list[str]:
    return re.findall(r'<li class="card mb-3" id="item-\d+">.*?</li>\s*(?=<li class="card|</ol>)', page, re.S)


# --- moderators ---------------------------------------------------------------------------

def test_a_queue_item_shows_the_proposed_wording_audience_organisation_and_section(session, client):
    consultation = open_consultation(session)
    section = consultation.current_version.sections[1]
    author = make_user(session, display_name="Ines Expert")
    ngo = make_organisation(session, name="Verification Research NGO", kind=OrganisationKind.NGO, members=(author,))
    comment, _created = post_comment(session, consultation, CommentInput(
        body="Brokering needs a licence.", kind="amendment", audience="restricted", language="en",
        idempotency_key=uuid.uuid4().hex, section_id=section.id, organisation_id=ngo.id,
        version_id=consultation.current_version.id,
        proposed_wording=section.body_source + " Brokering without a licence is an offence."), actor=author)
    login(client, make_moderator(session))
    [item] = _items(_text(client.get("/manage/moderation/?tab=pending")))
    assert "Brokering needs a licence." in item
    assert "<ins>" in item and "Brokering without a licence is an offence." in item  # the wording, as a diff
    assert "Restricted — only moderators, the drafting government and focal points" in item
    assert "Verification Research NGO" in item and section.number in item


def test_the_queue_opens_on_the_first_tab_with_work_and_the_navigation_counts_it(session, client):
    consultation = open_consultation(session, mode=ModerationMode.POST)
    held = post(session, consultation, make_user(session), LINKS)
    assert held.is_pending
    login(client, make_moderator(session))
    page = _text(client.get("/manage/moderation/"))
    assert "Nothing awaits moderation" not in page
    assert f'id="item-{held.id}"' in page
    assert re.search(r'href="/manage/moderation/\?tab=held"[^>]*aria-current="page"', page)
    assert re.search(r"data-queue-total>\d+<", page)
    # every page shows the count to those who moderate
    other = _text(client.get("/consultations"))
    assert re.search(r"data-queue-total>\d+<", other)
    assert "data-queue-total" not in _text(_as(client.application, make_user(session)).get("/consultations"))


def test_bulk_decisions_need_one_tab_stop_per_item_and_select_all_works_without_javascript(session, client):
    consultation = open_consultation(session)
    comments = [post(session, consultation, make_user(session), f"Point number {n} on transit.") for n in range(3)]
    login(client, make_moderator(session))
    page = _text(client.get("/manage/moderation/?tab=pending"))
    items = _items(page)
    assert len(items) == 3
    for item in items:
        focusable = re.findall(r"<(?:input(?![^>]*type=\"hidden\")|a |summary|button|select|textarea)[^>]*>", item)
        reachable = [tag for tag in focusable if 'tabindex="-1"' not in tag]
        assert len(reachable) == 1 and 'type="checkbox"' in reachable[0], reachable
    assert 'href="#bulk-panel"' in page and 'id="bulk-panel"' in page
    assert page.index('href="#bulk-panel"') < page.index('id="item-')  # reachable before the items
    assert not re.search(r'name="items"[^>]*checked', page)
    selected = _text(client.get("/manage/moderation/?tab=pending&select=all"))
    for comment in comments:
        assert re.search(rf'value="{comment.id}:{comment.version}" id="select-{comment.id}" checked', selected)
    assert "Clear the selection" in selected
    assert 'src="/static/js/queue-select.js"' in selected
    assert client.get("/static/js/queue-select.js").status_code == 200


def test_a_held_item_names_the_rule_that_held_it(app, session, client):
    app.config["NEW_ACCOUNT_PREMODERATED_COMMENTS"] = 3
    try:
        consultation = open_consultation(session, mode=ModerationMode.POST)
        author = make_user(session)
        first = post(session, consultation, author, "My first comment on the transit article.")
        moderation.decide(session, first, DecisionInput(action=A.APPROVE), expected_version=first.version,
                          actor=make_moderator(session))
        second = post(session, consultation, author, "A second comment on brokering controls.")
        login(client, make_moderator(session))
        [item] = [i for i in _items(_text(client.get("/manage/moderation/?tab=held"))) if f"item-{second.id}" in i]
        assert "1 of the author&#39;s comments published so far" in item
        assert "comments are checked until 3 have been published" in item
        assert "comment 1 of the first" not in item and "comment 2 of the first" not in item
    finally:
        app.config["NEW_ACCOUNT_PREMODERATED_COMMENTS"] = 0


def test_a_participant_is_told_the_real_rule_in_a_post_moderated_consultation(app, session, mail):
    consultation = open_consultation(session, mode=ModerationMode.POST)
    author = make_user(session)
    comment = post(session, consultation, author, LINKS)
    page = _text(_as(app, author).get(f"/consultations/{consultation.id}/comments/{comment.id}/receipt"))
    assert "A moderator checks comments on this consultation before they appear" not in page
    assert "It contains 5 links; comments with more than 3 are checked" in page
    deliver_due(session)
    [receipt] = [m for m in mail.to(author.email) if "Receipt" in m["Subject"]]
    text = mail.text_of(receipt)
    assert "It contains 5 links" in text
    assert "not e-mail you again" not in text and "We will tell you when they decide" in text


# --- participants ---------------------------------------------------------------------------

def test_a_rejected_comment_keeps_its_receipt_with_the_decision_and_reason(app, session, mail):
    consultation = open_consultation(session)
    author = make_user(session)
    comment = post(session, consultation, author, "Completely unrelated advertising text for a product.")
    moderation.decide(session, comment, DecisionInput(action=A.REJECT, reason_id=reason(session, "off_topic").id),
                      expected_version=comment.version, actor=make_moderator(session))
    client = _as(app, author)
    receipt_url = f"/consultations/{consultation.id}/comments/{comment.id}/receipt"
    activity = _text(client.get("/my/activity"))
    assert f'href="{receipt_url}"' in activity and 'href="/account/moderation"' in activity
    response = client.get(receipt_url)
    assert response.status_code == 200
    receipt = _text(response)
    assert "Rejected" in receipt and reason(session, "off_topic").label in receipt
    mine = _text(client.get("/account/moderation"))
    assert comment.receipt_number in mine and f'href="{receipt_url}"' in mine
    # someone else still cannot open it
    assert _as(app, make_user(session)).get(receipt_url).status_code == 404
    deliver_due(session)
    [decision] = [m for m in mail.to(author.email) if "moderator decided" in m["Subject"]]
    links = mail.links_in(decision)
    assert not any("_anchor" in link for link in links)
    assert any(link.endswith("/account/moderation#decision-" + link.rsplit("-", 1)[-1]) and "#decision-" in link
               for link in links)
    assert any(link.endswith(receipt_url) for link in links)
    # the in-app notification leads to the decision itself
    note = session.scalar(select(Notification).where(Notification.user_id == author.id,
                                                     Notification.kind == "moderation"))
    switch_client()
    assert "#decision-" in client.get(f"/notifications/{note.id}").headers["Location"]


def test_the_external_url_builder_makes_anchors_fragments(app):
    from app.accounts.services import external_url

    with app.test_request_context():
        url = external_url("moderation.my_moderation", _anchor="decision-7")
    assert url.endswith("/account/moderation#decision-7") and "_anchor" not in url


def test_own_comments_link_to_their_receipt(app, session):
    consultation = open_consultation(session, mode=ModerationMode.POST)
    author = make_user(session)
    comment = post(session, consultation, author, "Transit controls should cover free zones.")
    page = _text(_as(app, author).get(f"/consultations/{consultation.id}/comments/{comment.id}/thread"))
    assert f'href="/consultations/{consultation.id}/comments/{comment.id}/receipt"' in page


def test_a_reply_sends_no_receipt_mail_and_the_receipt_mail_promises_nothing_false(app, session, mail):
    consultation = open_consultation(session, mode=ModerationMode.POST)
    first, second = make_user(session), make_user(session)
    root = post(session, consultation, first, "Transit controls should cover free zones.")
    reply = post(session, consultation, second, "Agreed, and trans-shipment too.", parent=root)
    deliver_due(session)
    assert not [m for m in mail.to(second.email) if "Receipt" in m["Subject"]]
    assert [m for m in mail.to(first.email) if "replied" in m["Subject"]]
    receipt = _text(_as(app, second).get(f"/consultations/{consultation.id}/comments/{reply.id}/receipt"))
    assert "A copy of this receipt was sent to your e-mail address" not in receipt
    # a pre-moderated comment: the receipt tells what will follow, the decision e-mail follows
    pre = open_consultation(session)
    pending = post(session, pre, first, "A pending comment on brokering.")
    moderation.decide(session, pending, DecisionInput(action=A.APPROVE), expected_version=pending.version,
                      actor=make_moderator(session))
    deliver_due(session)
    [receipt_mail] = [m for m in mail.to(first.email) if pending.receipt_number in m["Subject"]]
    assert "not e-mail you again" not in mail.text_of(receipt_mail)


def _author(session, country="AT"):
    from app.accounts.models import Role, Scope

    user = make_user(session, display_name="Government Author")
    grant(session, user, Role.AUTHOR, Scope.COUNTRY, country)
    return user


def test_commenters_are_told_of_a_disposition_with_the_answer_and_the_changed_wording(session, mail):
    consultation, c = open_consultation_with_comments(session)
    published_summary(session, consultation, summary_moderator(session))
    opposer = c["opposes"].author
    section = consultation.current_version.sections[0]
    publish_new_version(session, consultation)
    deliver_due(session)
    mail.clear()
    disposition = summaries.save_disposition(session, consultation, DispositionInput(
        section.id, "Widen the transit definition.", Decision.PARTLY_ACCEPTED, "Free zones are added.",
        [c["opposes"].id]), actor=_author(session))
    note = session.scalar(select(Notification).where(Notification.user_id == opposer.id,
                                                     Notification.kind == "answer"))
    assert note is not None and note.comment_id == c["opposes"].id
    deliver_due(session)
    [message] = [m for m in mail.to(opposer.email) if "answered your comment" in m["Subject"]]
    text = mail.text_of(message)
    assert "Partly accepted" in text and "Free zones are added." in text
    assert "changed wording, in version 2" in text and "/compare?from=1&to=2#" in text
    assert f"/resolution#disposition-{disposition.id}" in text
    # saving it again with the same decision tells nobody twice
    summaries.save_disposition(session, consultation, DispositionInput(
        section.id, "Widen the transit definition.", Decision.PARTLY_ACCEPTED, "Free zones are added.",
        [c["opposes"].id]), actor=_author(session), disposition=disposition)
    assert len(session.scalars(select(Notification).where(Notification.user_id == opposer.id,
                                                          Notification.kind == "answer")).all()) == 1


def test_a_published_summary_tells_the_commenters_it_cites_by_their_frequency(session, mail):
    consultation, c = open_consultation_with_comments(session)
    daily = c["question"].author
    session.add(NotificationPreference(user_id=daily.id, email_replies=True, email_closing=True,
                                       email_frequency=EmailFrequency.DAILY))
    session.flush()
    deliver_due(session)
    mail.clear()
    published_summary(session, consultation, summary_moderator(session),
                      comment_ids=[c["individual"].id, c["question"].id])
    for user in (c["individual"].author, daily):
        assert session.scalar(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.kind == "answer")) is not None
    deliver_due(session)
    [message] = [m for m in mail.to(c["individual"].author.email) if "cites your comment" in m["Subject"]]
    assert "Participants asked for a wider transit definition." in mail.text_of(message)
    assert not [m for m in mail.to(daily.email) if "cites your comment" in m["Subject"]]  # in the day's e-mail


def test_a_restricted_summary_tells_no_commenter_who_may_not_read_it(session):
    consultation, c = open_consultation_with_comments(session)
    published_summary(session, consultation, summary_moderator(session), restricted=True,
                      comment_ids=[c["individual"].id])
    assert session.scalar(select(Notification).where(Notification.user_id == c["individual"].author_id,
                                                     Notification.kind == "answer")) is None


# --- citations ------------------------------------------------------------------------------

def test_citations_name_the_author_or_organisation_with_an_excerpt_and_hide_what_the_reader_may_not_see(
        app, session):
    consultation, c = open_consultation_with_comments(session)
    published_summary(session, consultation, summary_moderator(session), comment_ids=[c["individual"].id])
    author = _author(session)
    summaries.save_disposition(session, consultation, DispositionInput(
        consultation.current_version.sections[1].id, "Keep port details confidential.", Decision.NOTED, "",
        [c["restricted"].id, c["question"].id]), actor=author)
    summary = _text(_as(app, None).get(f"/consultations/{consultation.id}/summary"))
    assert c["individual"].author.display_name in summary and "Please publish an English translation." in summary
    assert f"comment {c['individual'].id}" not in summary
    table = _text(_as(app, None).get(f"/consultations/{consultation.id}/resolution"))
    assert c["question"].organisation.name in table and "Who licenses brokers?" in table
    assert "SECRET-PORT-DETAILS" not in table
    assert "A comment visible to moderators, the drafting government and focal points" in table
    # the drafting government may read the restricted comment: it sees its author and text
    own = _text(_as(app, author).get(f"/consultations/{consultation.id}/resolution"))
    assert "SECRET-PORT-DETAILS" in own


def test_a_comment_links_back_to_the_points_and_dispositions_that_cite_it(app, session):
    consultation, c = open_consultation_with_comments(session)
    published_summary(session, consultation, summary_moderator(session), comment_ids=[c["individual"].id])
    disposition = summaries.save_disposition(session, consultation, DispositionInput(
        None, "Publish a translation.", Decision.ACCEPTED, "", [c["individual"].id]), actor=_author(session))
    page = _text(_as(app, None).get(f"/consultations/{consultation.id}/comments/{c['individual'].id}/thread"))
    point_id = summaries.get_summary(session, consultation.id).current_revision.points[0].id
    assert f'href="/consultations/{consultation.id}/summary#point-{point_id}"' in page
    assert f'href="/consultations/{consultation.id}/resolution#disposition-{disposition.id}"' in page
    summary = _text(_as(app, None).get(f"/consultations/{consultation.id}/summary"))
    assert f'id="point-{point_id}"' in summary


def test_a_resolution_row_links_to_its_summary_point_and_a_point_can_be_answered_without_retyping(app, session):
    consultation, c = open_consultation_with_comments(session)
    section = consultation.current_version.sections[0]
    published_summary(session, consultation, summary_moderator(session), section=section,
                      comment_ids=[c["opposes"].id])
    point = summaries.get_summary(session, consultation.id).current_revision.points[0]
    author = _author(session)
    client = _as(app, author)
    form = _text(client.get(f"/manage/consultations/{consultation.id}/resolution?point={point.id}"))
    assert "Participants asked for a wider transit definition.</textarea>" in form
    assert re.search(rf'value="{c["opposes"].id}"\s*checked', form)
    disposition = summaries.save_disposition(session, consultation, DispositionInput(
        section.id, point.text_source, Decision.ACCEPTED, "", [c["opposes"].id]), actor=author)
    table = _text(_as(app, None).get(f"/consultations/{consultation.id}/resolution"))
    assert f'id="disposition-{disposition.id}"' in table
    assert f'href="/consultations/{consultation.id}/summary#point-{point.id}"' in table


def test_publishing_a_summary_or_an_answer_renews_the_kept_pages_of_its_consultation(session):
    """Comments show "Answered in" links, so pages kept for visitors must not outlive a new answer."""
    from app.core.cache import consultation_scope, content_token

    consultation, c = open_consultation_with_comments(session)
    session.commit()
    scope = consultation_scope(consultation.id)
    before = content_token(session, scope)
    published_summary(session, consultation, summary_moderator(session), comment_ids=[c["individual"].id])
    session.commit()
    after_summary = content_token(session, scope)
    assert after_summary != before
    summaries.save_disposition(session, consultation, DispositionInput(
        None, "Publish a translation.", Decision.ACCEPTED, "", [c["individual"].id]), actor=_author(session))
    session.commit()
    assert content_token(session, scope) != after_summary

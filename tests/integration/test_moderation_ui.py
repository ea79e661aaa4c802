"""Moderation as readers of a discussion see it: flag links and the viewer's
own flags, locked threads, key contributions, moderator edits and the
"Moderate" link — each for the right people only — and a section page whose
query count does not grow with the number of comments."""

from __future__ import annotations

import pytest

from app.comments.models import Comment, CommentStatus, path_segment
from app.moderation import services
from app.moderation.models import CommentModeration, DecisionAction, Flag, ModerationDecision
from app.moderation.services import DecisionInput
from tests.factories import login, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation
from tests.integration.test_moderation_support import make_moderator, switch_client

VIEWERS = ("visitor", "author", "participant", "moderator")


class Scene:
    """A post-moderated consultation with one comment by ``author`` and the four kinds of reader."""

    def __init__(self, session):
        self.session = session
        self.consultation = make_consultation(session)
        self.section = self.consultation.current_version.sections[0]
        self.author = make_user(session, display_name="Amira Author")
        self.participant = make_user(session, display_name="Pablo Participant")
        self.moderator = make_moderator(session, self.consultation, display_name="Mona Moderator")
        self.comment = add_comment(session, self.consultation, self.author, section=self.section,
                                   body="Brokering should be licensed before any transfer.")

    @property
    def url(self) -> str:
        return f"/consultations/{self.consultation.id}/sections/{self.section.anchor}"

    def decide(self, comment, action: str, **fields):
        return services.decide(self.session, comment, DecisionInput(action=action, **fields),
                               expected_version=comment.version, actor=self.moderator)

    def page(self, app, who: str, url: str | None = None) -> str:
        """The page as ``who`` sees it, in a client of their own."""
        switch_client()
        client = app.test_client()
        user = {"visitor": None, "author": self.author, "participant": self.participant,
                "moderator": self.moderator}[who]
        if user is not None:
            login(client, user)
        response = client.get(url or self.url)
        assert response.status_code == 200
        return response.get_data(as_text=True)


def _article(page: str, comment) -> str:
    """The HTML of one comment on a page."""
    start = page.index(f'<article class="comment border rounded p-3 mb-2" id="comment-{comment.id}"')
    return page[start:page.index("</article>", start)]


def _flag_href(scene, comment) -> str:
    return f'href="/consultations/{scene.consultation.id}/comments/{comment.id}/flag"'


def _reply_href(scene, comment) -> str:
    return f'href="/consultations/{scene.consultation.id}/comments/new?parent={comment.id}"'


@pytest.mark.parametrize("who, sees_flag", [("visitor", False), ("author", False), ("participant", True),
                                            ("moderator", True)])
def test_the_flag_link_shows_to_signed_in_readers_other_than_the_author(app, session, who, sees_flag):
    scene = Scene(session)
    page = scene.page(app, who)
    assert scene.comment.body_source in page
    assert (_flag_href(scene, scene.comment) in page) is sees_flag
    assert "You flagged this comment" not in page


def test_a_flagger_sees_their_flag_and_then_that_it_was_handled(app, session):
    scene = Scene(session)
    services.flag_comment(session, scene.comment, reason="off_topic", actor=scene.participant)
    page = scene.page(app, "participant")
    assert "You flagged this comment" in page and "awaiting a moderator" in page
    assert _flag_href(scene, scene.comment) not in page  # a comment is flagged once
    for who in ("visitor", "author", "moderator"):
        assert "You flagged this comment" not in scene.page(app, who)
    assert _flag_href(scene, scene.comment) in scene.page(app, "moderator")  # others may still flag it

    scene.decide(scene.comment, DecisionAction.APPROVE)
    page = scene.page(app, "participant")
    assert "You flagged this comment" in page and "handled: a moderator kept the comment" in page
    assert "awaiting a moderator" not in page


def test_a_locked_thread_says_so_and_offers_no_reply(app, session):
    scene = Scene(session)
    reply = add_comment(session, scene.consultation, scene.moderator, parent=scene.comment, body="A first answer.")
    open_thread = add_comment(session, scene.consultation, scene.author, section=scene.section,
                              body="Another thread, still open.")
    before = scene.page(app, "participant")
    assert _reply_href(scene, scene.comment) in before and "Locked — no new replies" not in before

    scene.decide(scene.comment, DecisionAction.LOCK, reason_text="The thread has gone off topic.")
    for who in VIEWERS:
        page = scene.page(app, who)
        assert page.count("Locked — no new replies") == 1, who  # on the thread's first comment only
        assert _reply_href(scene, scene.comment) not in page and _reply_href(scene, reply) not in page
    participant = scene.page(app, "participant")
    assert _reply_href(scene, open_thread) in participant
    # The reply form itself is not offered either: the reader is told why.
    switch_client()
    client = app.test_client()
    login(client, scene.participant)
    response = client.get(f"/consultations/{scene.consultation.id}/comments/new?parent={reply.id}",
                          follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "A moderator has locked this thread: it accepts no more replies." in text
    assert f'name="parent_id" type="hidden" value="{reply.id}"' not in text
    # The full-thread page shows the lock too.
    thread = scene.page(app, "visitor", f"/consultations/{scene.consultation.id}/comments/{reply.id}/thread")
    assert "Locked — no new replies" in thread


def test_a_highlighted_comment_is_marked_as_a_key_contribution_for_everyone(app, session):
    scene = Scene(session)
    other = add_comment(session, scene.consultation, scene.participant, section=scene.section, body="Plain one.")
    for who in VIEWERS:
        assert "Key contribution" not in scene.page(app, who)
    scene.decide(scene.comment, DecisionAction.HIGHLIGHT)
    for who in VIEWERS:
        page = scene.page(app, who)
        assert page.count("Key contribution") == 1, who
        assert "Key contribution" in _article(page, scene.comment)
        assert "Key contribution" not in _article(page, other)


@pytest.mark.parametrize("who", VIEWERS)
def test_a_moderator_edit_is_shown_and_only_moderators_see_the_original(app, session, who):
    scene = Scene(session)
    scene.decide(scene.comment, DecisionAction.REDACT, passage="before any transfer",
                 reason_text="Operational detail.")
    page = scene.page(app, who)
    assert "Edited by a moderator" in page and "[redacted by a moderator]" in page
    original = "Brokering should be licensed before any transfer."
    assert (original in page) is (who == "moderator")
    assert ("visible to moderators only" in page) is (who == "moderator")


def test_an_undone_moderator_edit_is_no_longer_announced(app, session):
    scene = Scene(session)
    scene.decide(scene.comment, DecisionAction.EDIT, body="Brokering should be licensed.",
                 reason_text="Shortened.")
    assert "Edited by a moderator" in scene.page(app, "visitor")
    services.undo_last_decision(session, scene.comment, expected_version=scene.comment.version,
                                actor=scene.moderator)
    page = scene.page(app, "visitor")
    assert "Edited by a moderator" not in page and "before any transfer" in page


@pytest.mark.parametrize("who, sees", [("visitor", False), ("author", False), ("participant", False),
                                       ("moderator", True), ("moderator elsewhere", False)])
def test_moderators_of_the_consultation_get_a_moderate_link(app, session, who, sees):
    scene = Scene(session)
    if who == "moderator elsewhere":
        scene.moderator = make_moderator(session, make_consultation(session))
        who = "moderator"
    page = scene.page(app, who)
    assert (f'href="/manage/moderation/comments/{scene.comment.id}"' in page) is sees


# --- query counts ----------------------------------------------------------------------

def _bulk(session, scene, consultation, count: int) -> None:
    """``count`` comments on one section (a third of them replies) by one author;
    every 4th thread locked, every 5th comment highlighted, every 3rd flagged
    by the participant and every 6th edited by a moderator."""
    author = make_user(session)
    section = consultation.current_version.sections[0]
    rows: list[Comment] = []
    for i in range(count):
        parent = rows[i - 1] if i % 3 == 2 else None
        rows.append(Comment(
            consultation_id=consultation.id, section_id=section.id, version_id=consultation.current_version.id,
            parent_id=parent.id if parent else None, author_id=author.id, body_source=f"Bulk {i}",
            body_html=f"<p>Bulk {i}</p>", status=CommentStatus.PUBLISHED, idempotency_key=f"{i:032x}",
            depth=(parent.depth + 1) if parent else 0))
        session.add(rows[-1])
        session.flush()
        rows[-1].path = f"{parent.path}/{path_segment(rows[-1].id)}" if parent else path_segment(rows[-1].id)
        rows[-1].root_id = parent.root_id if parent else rows[-1].id
    for i, comment in enumerate(rows):
        locked = comment.parent_id is None and i % 4 == 0
        if locked or i % 5 == 0:
            session.add(CommentModeration(comment_id=comment.id, locked=locked, highlighted=i % 5 == 0,
                                          hold_reasons=[], open_flags=0))
        if i % 3 == 0:
            session.add(Flag(comment_id=comment.id, user_id=scene.participant.id, reason="off_topic"))
        if i % 6 == 1:
            comment.edited_at = comment.created_at
            session.add(ModerationDecision(
                comment_id=comment.id, consultation_id=consultation.id, subject_id=author.id,
                action=DecisionAction.EDIT, actor_id=scene.moderator.id, before_status="published",
                after_status="published", before={"body_html": f"<p>Original {i}</p>"},
                after={"body_html": comment.body_html}))
    session.flush()


@pytest.mark.parametrize("who", ["visitor", "participant", "moderator"])
def test_the_section_page_query_count_does_not_grow_with_comments(app, session, query_counter, who):
    scene = Scene(session)
    scene.moderator = make_moderator(session)  # global: moderates both consultations below
    small = make_consultation(session)
    large = make_consultation(session)
    _bulk(session, scene, small, 10)
    _bulk(session, scene, large, 200)
    switch_client()
    client = app.test_client()
    if who != "visitor":
        login(client, scene.participant if who == "participant" else scene.moderator)
    counts, pages = {}, {}
    for name, consultation in (("small", small), ("large", large)):
        url = f"/consultations/{consultation.id}/sections/{consultation.current_version.sections[0].anchor}"
        client.get(url)  # warm caches (country names, templates)
        with query_counter() as counter:
            response = client.get(url)
        assert response.status_code == 200
        counts[name], pages[name] = counter.statements, response.get_data(as_text=True)
    for page in pages.values():  # the moderation facts are really on the page
        assert "Locked — no new replies" in page and "Key contribution" in page
        assert "Edited by a moderator" in page
        assert ("You flagged this comment" in page) is (who == "participant")
        assert ("Original 1" in page) is (who == "moderator")
    assert len(counts["small"]) == len(counts["large"]), (counts["small"], counts["large"])
    # Not one query per comment: the moderation facts take at most three.
    moderation = [s for s in counts["large"] if "comment_moderation" in s or "comment_flag" in s
                  or "moderation_decision" in s]
    assert len(moderation) <= 3, moderation

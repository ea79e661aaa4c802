"""SQL queries per page do not depend on the number of comments, for the pages
the bench (bench/run.py) measures and that other tests do not already cover:
the whole-thread page, a later window of a section and a permalink into it,
and the review queue from 10 to 300 pending items. (The consultation page and
a section's first window at 10 and 500 comments are asserted in
test_comments_views.py.)"""

from __future__ import annotations

from itertools import count, cycle

from app.accounts.models import Role
from app.comments.models import Comment, CommentStatus, path_segment
from app.core.db import utcnow
from app.moderation.models import CommentModeration, Flag
from app.summaries.models import Summary, SummaryRevision
from tests.factories import grant, login, make_user
from tests.integration.test_comments_fixtures import make_consultation

COMMENT = b'<article class="comment '
_keys = count(1)


def _key() -> str:
    return f"{next(_keys):032x}"


def _write(session, consultation, section, *, roots: int, chain: int, authors, status=CommentStatus.PUBLISHED):
    """``roots`` top-level comments, each with a chain of ``chain`` replies (each
    answering the one before), written as rows. Returns the top-level comments."""
    version = consultation.current_version
    people = cycle(authors)
    n = iter(range(10**6))

    def comment(parent):
        i = next(n)
        return Comment(consultation_id=consultation.id, section_id=section.id if section else None,
                       version_id=version.id, parent_id=parent.id if parent else None, author_id=next(people).id,
                       body_source=f"Point {i} on the licensing of brokers.",
                       body_html=f"<p>Point {i} on the licensing of brokers.</p>", status=status,
                       idempotency_key=_key(), depth=parent.depth + 1 if parent else 0)

    top = [comment(None) for _ in range(roots)]
    session.add_all(top)
    session.flush()
    for c in top:
        c.path, c.root_id = path_segment(c.id), c.id
    tips = top
    for _depth in range(chain):
        replies = [comment(tip) for tip in tips]
        session.add_all(replies)
        session.flush()
        for reply, tip in zip(replies, tips, strict=True):
            reply.path, reply.root_id = f"{tip.path}/{path_segment(reply.id)}", tip.root_id
        tips = replies
    session.flush()
    return top


def _queries(client, query_counter, url: str) -> tuple[int, bytes]:
    client.get(url)  # warm caches (country names, templates)
    with query_counter() as counter:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return counter.count, response.data


def test_whole_thread_page_runs_the_same_queries_for_10_and_500_comments(client, session, query_counter):
    authors = [make_user(session) for _ in range(7)]
    small, large = make_consultation(session, sections=3), make_consultation(session, sections=3)
    # one thread of 10 comments; one of 500: a root with 58 replies, 49 of them at the
    # head of a chain down to depth 10 (1 + 58 + 49 * 9 = 500)
    small_root = _write(session, small, small.current_version.sections[0], roots=1, chain=9, authors=authors)[0]
    large_root = _write(session, large, large.current_version.sections[0], roots=1, chain=0, authors=authors)[0]
    branches = []
    for i in range(58):
        reply = Comment(consultation_id=large.id, section_id=large_root.section_id, version_id=large_root.version_id,
                        parent_id=large_root.id, author_id=authors[i % len(authors)].id, body_source=f"Branch {i}",
                        body_html=f"<p>Branch {i}</p>", status=CommentStatus.PUBLISHED,
                        idempotency_key=_key(), depth=1)
        branches.append(reply)
    session.add_all(branches)
    session.flush()
    tips = branches[:49]
    for reply in branches:
        reply.path, reply.root_id = f"{large_root.path}/{path_segment(reply.id)}", large_root.id
    for depth in range(2, 11):
        nxt = [Comment(consultation_id=large.id, section_id=tip.section_id, version_id=tip.version_id,
                       parent_id=tip.id, author_id=authors[(tip.id + depth) % len(authors)].id,
                       body_source=f"Deeper {tip.id}", body_html=f"<p>Deeper {tip.id}</p>",
                       status=CommentStatus.PUBLISHED, idempotency_key=_key(), depth=depth)
               for tip in tips]
        session.add_all(nxt)
        session.flush()
        for reply, tip in zip(nxt, tips, strict=True):
            reply.path, reply.root_id = f"{tip.path}/{path_segment(reply.id)}", large_root.id
        tips = nxt
    session.flush()

    few, small_page = _queries(client, query_counter, f"/consultations/{small.id}/comments/{small_root.id}/thread")
    many, large_page = _queries(client, query_counter, f"/consultations/{large.id}/comments/{large_root.id}/thread")
    assert small_page.count(COMMENT) == 10
    assert large_page.count(COMMENT) == 500  # the whole thread, on one page
    assert many == few


def test_a_later_window_and_a_permalink_into_it_run_the_same_queries_for_10_and_500_comments(
        client, session, query_counter):
    authors = [make_user(session) for _ in range(9)]
    login(client, make_user(session))
    counts = {}
    for name, roots in (("small", 5), ("large", 250)):
        consultation = make_consultation(session, sections=40)
        section = consultation.current_version.sections[4]
        top = _write(session, consultation, section, roots=roots, chain=1, authors=authors)
        last_page = -(-roots // 20)
        section_url = f"/consultations/{consultation.id}/sections/{section.anchor}?cpage={last_page}"
        counts[(name, "window")], page = _queries(client, query_counter, section_url)
        assert page.count(COMMENT) == 2 * (roots - (last_page - 1) * 20)
        # the permalink of a reply in the last window leads to that window
        reply = session.query(Comment).filter(Comment.parent_id == top[-1].id).one()
        permalink = f"/consultations/{consultation.id}/comments/{reply.id}"
        client.get(permalink)
        with query_counter() as counter:
            response = client.get(permalink)
        assert response.status_code == 302
        assert f"cpage={last_page}" in response.headers["Location"] or last_page == 1
        assert response.headers["Location"].endswith(f"#comment-{reply.id}")
        counts[(name, "permalink")] = counter.count
    assert counts[("small", "window")] == counts[("large", "window")], counts
    assert counts[("small", "permalink")] == counts[("large", "permalink")], counts


def test_review_queue_runs_the_same_queries_for_10_and_300_pending_items(client, session, query_counter):
    moderator = make_user(session)
    grant(session, moderator, Role.MODERATOR)
    login(client, moderator)
    counts = {}
    for name, pending in (("small", 10), ("large", 300)):
        consultation = make_consultation(session, sections=5)
        authors = [make_user(session) for _ in range(min(pending, 30))]
        published = _write(session, consultation, consultation.current_version.sections[1], roots=6, chain=0,
                           authors=authors)
        # pending items: top-level ones on sections and replies to published comments
        items = _write(session, consultation, consultation.current_version.sections[2], roots=pending // 2, chain=0,
                       authors=authors, status=CommentStatus.PENDING)
        for i in range(pending - len(items)):
            parent = published[i % len(published)]
            reply = Comment(consultation_id=consultation.id, section_id=parent.section_id,
                            version_id=parent.version_id, parent_id=parent.id, author_id=authors[i % len(authors)].id,
                            body_source=f"Pending reply {i}", body_html=f"<p>Pending reply {i}</p>",
                            status=CommentStatus.PENDING, idempotency_key=_key(), depth=1)
            session.add(reply)
            session.flush()
            reply.path, reply.root_id = f"{parent.path}/{path_segment(reply.id)}", parent.id
        # open flags on published comments (the flagged tab) from several users
        for comment in published[:3]:
            for flagger in authors[:3]:
                if flagger.id != comment.author_id:
                    session.add(Flag(comment_id=comment.id, user_id=flagger.id, reason="off_topic"))
            session.add(CommentModeration(comment_id=comment.id, open_flags=2))
        session.flush()
        for view, url in (("first", "/manage/moderation/"),
                          ("filtered", f"/manage/moderation/?consultation={consultation.id}&sort=newest"),
                          ("flagged", f"/manage/moderation/?tab=flagged&consultation={consultation.id}")):
            counts[(name, view)], page = _queries(client, query_counter, url)
            if view == "filtered":
                assert page.count(b'name="items"') == min(pending, 25)
    for view in ("first", "filtered", "flagged"):
        assert counts[("small", view)] == counts[("large", view)], counts


def test_consultation_page_runs_the_same_queries_with_and_without_a_summary(client, session, query_counter):
    """The bench compares the consultation page of a summarised consultation with one of a
    consultation without a summary: the panel reads the summary with its revisions at once."""
    counts = []
    for summarised in (False, True):
        consultation = make_consultation(session)
        if summarised:
            summary = Summary(consultation_id=consultation.id, status="published")
            session.add(summary)
            session.flush()
            session.add(SummaryRevision(summary_id=summary.id, number=1, overall_source="s",
                                        overall_html="<p>s</p>", published_at=utcnow()))
        session.commit()
        client.get(f"/consultations/{consultation.id}")
        with query_counter() as counter:
            page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
        assert ("Read the summary of the comments" in page) is summarised
        counts.append(counter.count)
    assert counts[0] == counts[1]

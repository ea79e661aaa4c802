"""Many people writing at once, through the real app, on a real committed
database: participants posting, replying, supporting, flagging and editing
while moderators decide on the same comments and visitors read. No request
ends in a server error, every acknowledged write has its row, counters match
their rows and the audit chain verifies (app/core/transactions.py: one lock
order, and one more try after a deadlock).

The interleaved races at the end (a reply or a decision landing while an
author's edit is under way, a double click on "Send again") need two writers
in flight at once: SQLite lets one writer at a time (``BEGIN IMMEDIATE``), so
they run on PostgreSQL only.
"""

from __future__ import annotations

import os
import random
import re
import threading
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.comments.models import Comment, CommentStatus, Support
from app.core.audit import verify_chain
from app.core.db import db
from app.core.models import AuditEntry, OutboxMessage
from app.moderation.models import ModerationDecision
from tests.conftest import migrated_app, own_database
from tests.factories import grant, login, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation

ON_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")
PARTICIPANTS = 6
MODERATORS = 2
READERS = 2
ROUNDS = 8


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """An app on a migrated database of its own whose requests really commit."""
    with own_database(tmp_path_factory.mktemp("live"), "live") as url:
        app = migrated_app(url, tmp_path_factory)
        try:
            yield app
        finally:
            db.state(app).engine.dispose()
            reader = _READERS.pop(url, None)
            if reader is not None:
                reader.dispose()


def _setup(app, build: Callable[[Session], dict]) -> dict:
    with app.app_context():
        made = build(db.session)
        db.session.commit()
        return {k: (v.id if hasattr(v, "id") else v) for k, v in made.items()}


_READERS: dict[str, object] = {}


def _reading(app) -> Session:
    """The test's own look at the database. On SQLite a plain engine, whose reads take
    no write lock (the app's engine begins every transaction outside a page view as a writer)."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite") and url not in _READERS:
        _READERS[url] = create_engine(url, connect_args={"check_same_thread": False})
    return Session(_READERS.get(url) or db.state(app).engine)


def _client(app, user_id: int | None):
    client = app.test_client()
    if user_id is not None:
        with _reading(app) as s:
            from app.accounts.models import User

            user = s.get(User, user_id)
            assert login(client, user).status_code == 302
    return client


# --- the mix -------------------------------------------------------------------------

def test_a_crowd_writing_at_once_gets_no_server_error_and_loses_nothing(live):
    app = live

    def build(session):
        consultation = make_consultation(session)
        other = make_consultation(session)
        section = consultation.current_version.sections[0]
        starter = make_user(session)
        hot = [add_comment(session, consultation, starter, section=section, body=f"Hot comment {n}.")
               for n in range(3)]
        made = {"consultation": consultation, "other": other, "section": section, "anchor": section.anchor,
                **{f"hot{n}": c for n, c in enumerate(hot)}}
        for n in range(PARTICIPANTS):
            made[f"participant{n}"] = make_user(session)
        for n in range(MODERATORS):
            moderator = make_user(session)
            grant(session, moderator, Role.MODERATOR)
            made[f"moderator{n}"] = moderator
        return made

    ids = _setup(app, build)
    cid, section_id = ids["consultation"], ids["section"]
    hot = [ids[f"hot{n}"] for n in range(3)]
    anchor = ids["anchor"]
    results: list[tuple[str, int, str]] = []
    posted: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(PARTICIPANTS + MODERATORS + READERS)

    def note(kind: str, response) -> None:
        with lock:
            results.append((kind, response.status_code, response.headers.get("Location", "")))

    def participant(n: int) -> None:
        rng = random.Random(n)
        client = _client(app, ids[f"participant{n}"])
        own: list[int] = []
        start.wait()
        for round_ in range(ROUNDS):
            key = uuid.uuid4().hex
            with lock:
                posted.append(key)
            response = client.post(f"/consultations/{cid}/comments/new", data={
                "body": f"Participant {n}, round {round_}: transit controls.", "kind": "comment",
                "audience": "public", "language": "en", "section_id": section_id,
                "version_id": "", "idempotency_key": key})
            note("post", response)
            found = re.search(r"/comments/(\d+)/receipt", response.headers.get("Location", ""))
            if found:
                own.append(int(found.group(1)))
            parent = rng.choice(hot)
            note("reply", client.post(f"/consultations/{cid}/comments/new", data={
                "body": f"Reply from {n} in round {round_}.", "kind": "comment", "audience": "public",
                "language": "en", "parent_id": parent, "section_id": section_id,
                "idempotency_key": uuid.uuid4().hex}))
            note("support", client.post(f"/consultations/{cid}/comments/{rng.choice(hot)}/support"))
            if round_ == 2:
                note("flag", client.post(f"/consultations/{cid}/comments/{rng.choice(hot)}/flag",
                                         data={"reason": "off_topic"}))
            if own:
                mine = own[-1]
                with _reading(app) as s:
                    version = s.scalar(select(Comment.version).where(Comment.id == mine))
                note("edit", client.post(f"/consultations/{cid}/comments/{mine}/edit", data={
                    "body": f"Participant {n}, round {round_}: transit and brokering controls.",
                    "version": version}))

    def moderator(n: int) -> None:
        rng = random.Random(100 + n)
        client = _client(app, ids[f"moderator{n}"])
        start.wait()
        for round_ in range(ROUNDS * 2):
            target = rng.choice(hot)
            with _reading(app) as s:
                comment = s.get(Comment, target)
                version, status = comment.version, comment.status
            if status == CommentStatus.HIDDEN:
                data = {"action": "restore"}
            elif round_ % 3 == 0:
                data = {"action": "hide", "reason_text": "Off topic for this provision"}
            else:
                data = {"action": rng.choice(["highlight", "unhighlight"])}
            note("decide", client.post(f"/manage/moderation/comments/{target}/decide",
                                       data={**data, "version": version}))

    def reader(_n: int) -> None:
        client = _client(app, None)
        start.wait()
        for _round in range(ROUNDS * 2):
            note("read", client.get(f"/consultations/{cid}/sections/{anchor}"))

    def guarded(work: Callable[[int], None], n: int) -> Callable[[], None]:
        def run() -> None:
            try:
                work(n)
            except BaseException as exc:  # noqa: BLE001 - reported below
                with lock:
                    failures.append(exc)
                start.abort()
        return run

    threads = ([threading.Thread(target=guarded(participant, n)) for n in range(PARTICIPANTS)]
               + [threading.Thread(target=guarded(moderator, n)) for n in range(MODERATORS)]
               + [threading.Thread(target=guarded(reader, n)) for n in range(READERS)])
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not failures, failures

    errors = [r for r in results if r[1] >= 500]
    assert not errors, f"{len(errors)} server errors: {errors[:5]}"
    decided = [r for r in results if r[0] == "decide" and r[1] == 302]
    assert decided, "some moderator decisions went through"

    with _reading(app) as s:
        rows = dict(s.execute(select(Comment.idempotency_key, func.count()).where(
            Comment.idempotency_key.in_(posted)).group_by(Comment.idempotency_key)).all())
        acknowledged = [int(m.group(1)) for kind, code, location in results if kind == "post" and code == 302
                        for m in [re.search(r"/comments/(\d+)/receipt", location)] if m]
        assert len(acknowledged) == PARTICIPANTS * ROUNDS, "every post was acknowledged"
        assert set(rows.values()) == {1} and len(rows) == len(acknowledged), "one row per acknowledged post"
        assert s.scalar(select(func.count()).select_from(Comment).where(Comment.id.in_(acknowledged))) == len(
            acknowledged)
        for comment_id in hot:
            comment = s.get(Comment, comment_id)
            supports = s.scalar(select(func.count()).select_from(Support).where(Support.comment_id == comment_id))
            replies = s.scalar(select(func.count()).select_from(Comment).where(
                Comment.parent_id == comment_id, Comment.status == CommentStatus.PUBLISHED))
            assert (comment.support_count, comment.reply_count) == (supports, replies)
        assert s.scalar(select(func.count()).select_from(ModerationDecision).where(
            ModerationDecision.comment_id.in_(hot), ModerationDecision.actor_id.is_not(None))) == len(decided)
        assert verify_chain(s).ok


# --- interleaved races (PostgreSQL) -------------------------------------------------------

postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="SQLite lets one writer at a time: the race "
                                                            "cannot happen there")


def _while_loading(app, table: str, meanwhile: Callable[[], None], work: Callable[[], object]):
    """Run ``work()`` in this thread; the moment it has read its row of ``table``
    (before it changes anything), ``meanwhile()`` runs to its end in another thread."""
    engine = db.state(app).engine
    me = threading.get_ident()
    fired = threading.Event()
    pattern = re.compile(rf"FROM {table}\s+WHERE {table}\.id = ", re.IGNORECASE)

    def hook(_conn, _cursor, statement, *_args):
        if threading.get_ident() == me and not fired.is_set() and pattern.search(statement):
            fired.set()
            other = threading.Thread(target=meanwhile)
            other.start()
            other.join(timeout=60)

    event.listen(engine, "after_cursor_execute", hook)
    try:
        return work()
    finally:
        event.remove(engine, "after_cursor_execute", hook)
        assert fired.is_set(), "the race was staged"


def _own_comment(app) -> dict:
    def build(session):
        consultation = make_consultation(session)
        author = make_user(session)
        comment = add_comment(session, consultation, author, section=consultation.current_version.sections[0],
                              body="The licence covers brokering.")
        moderator = make_user(session)
        grant(session, moderator, Role.MODERATOR)
        return {"consultation": consultation, "author": author, "comment": comment, "moderator": moderator,
                "replier": make_user(session), "version": comment.version, "section": comment.section_id}
    return _setup(app, build)


@postgres_only
def test_a_reply_landing_while_the_author_saves_an_edit_stops_the_edit(live):
    ids = _own_comment(live)
    author, replier = _client(live, ids["author"]), _client(live, ids["replier"])
    url = f"/consultations/{ids['consultation']}/comments/{ids['comment']}"
    typed = "The licence covers brokering and transit."
    replies = []

    def reply():
        replies.append(replier.post(f"/consultations/{ids['consultation']}/comments/new", data={
            "body": "Agreed, brokering matters.", "kind": "comment", "audience": "public", "language": "en",
            "parent_id": ids["comment"], "section_id": ids["section"], "idempotency_key": uuid.uuid4().hex}))

    response = _while_loading(live, "comment", reply, lambda: author.post(
        f"{url}/edit", data={"body": typed, "version": ids["version"]}))
    assert replies[0].status_code == 302
    assert response.status_code == 409
    assert typed in response.get_data(as_text=True), "the typed text is kept"
    with _reading(live) as s:
        comment = s.get(Comment, ids["comment"])
        assert comment.body_source == "The licence covers brokering." and comment.reply_count == 1


@postgres_only
def test_an_edit_losing_to_a_moderators_decision_is_a_409_that_keeps_the_text(live):
    ids = _own_comment(live)
    author, moderator = _client(live, ids["author"]), _client(live, ids["moderator"])
    typed = "My better wording of the brokering point."
    decisions = []

    def decide():
        decisions.append(moderator.post(f"/manage/moderation/comments/{ids['comment']}/decide",
                                        data={"action": "highlight", "version": ids["version"]}))

    response = _while_loading(live, "comment", decide, lambda: author.post(
        f"/consultations/{ids['consultation']}/comments/{ids['comment']}/edit",
        data={"body": typed, "version": ids["version"]}))
    assert decisions[0].status_code == 302
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert typed in page and "This comment changed while you were editing it" in page
    with _reading(live) as s:
        assert s.get(Comment, ids["comment"]).body_source == "The licence covers brokering."


@postgres_only
def test_a_double_click_on_send_again_writes_one_audit_entry(live):
    def build(session):
        admin = make_user(session)
        grant(session, admin, Role.ADMIN)
        message = OutboxMessage(dedupe_key=f"dead-{uuid.uuid4().hex}", to_address="focal@osce.example",
                                subject="Digest", body_text="Digest", status=OutboxMessage.DEAD, attempts=5,
                                last_error="550 5.1.1 mailbox unavailable")
        session.add(message)
        session.flush()
        return {"admin": admin, "message": message}

    ids = _setup(live, build)
    first, second = _client(live, ids["admin"]), _client(live, ids["admin"])
    url = f"/manage/admin/outbox/{ids['message']}/resend"
    clicks = []
    response = _while_loading(live, "outbox_message", lambda: clicks.append(second.post(url)),
                              lambda: first.post(url))
    assert response.status_code == clicks[0].status_code == 302
    for client in (first, second):
        assert "is queued again" in client.get("/manage/admin/outbox").get_data(as_text=True)
    with _reading(live) as s:
        assert s.get(OutboxMessage, ids["message"]).status == OutboxMessage.PENDING
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "outbox.resend", AuditEntry.target_id == str(ids["message"]))) == 1


@postgres_only
def test_a_request_chosen_as_a_deadlock_victim_runs_again_and_writes_everything_once(live, caplog):
    """Another transaction takes the consultation's token, then the comment row the
    request holds: the database aborts the request (it waited first), which is rolled
    back and run again once the other one has committed."""
    ids = _own_comment(live)
    replier = _client(live, ids["replier"])
    engine = db.state(live).engine
    key = uuid.uuid4().hex
    responses = []

    def reply():
        responses.append(replier.post(f"/consultations/{ids['consultation']}/comments/new", data={
            "body": "A reply that meets a deadlock.", "kind": "comment", "audience": "public", "language": "en",
            "parent_id": ids["comment"], "section_id": ids["section"], "idempotency_key": key}))

    with engine.connect() as other, engine.connect() as watcher:
        other.exec_driver_sql("SET deadlock_timeout = '10s'")  # the request waits first: it is the victim
        other.commit()
        transaction = other.begin()
        other.exec_driver_sql("UPDATE content_token SET token = 'held' WHERE scope = %(s)s",
                              {"s": f"consultation:{ids['consultation']}"})
        thread = threading.Thread(target=reply)
        thread.start()
        for _ in range(300):  # until the request waits for the token at its commit
            waiting = watcher.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'").scalar()
            watcher.rollback()
            if waiting:
                break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the request never waited for the token")
        other.exec_driver_sql("UPDATE comment SET support_count = support_count WHERE id = %(c)s",
                              {"c": ids["comment"]})
        transaction.commit()
        thread.join(timeout=60)

    assert responses[0].status_code == 302 and "/receipt" in responses[0].headers["Location"]
    assert "trying again" in caplog.text
    with _reading(live) as s:
        reply_ids = list(s.scalars(select(Comment.id).where(Comment.idempotency_key == key)))
        assert len(reply_ids) == 1
        assert s.get(Comment, ids["comment"]).reply_count == 1
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "comment.posted", AuditEntry.target_id == str(reply_ids[0]))) == 1
        assert verify_chain(s).ok

"""Availability against a real database file and the app's real connection pool
(not the per-test transaction the other tests share): streamed exports give
their connections back, pages render from several threads at once, a large
import leaves other writers free to write."""

from __future__ import annotations

import gc
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.accounts.models import Role, Scope
from app.core.db import db
from app.summaries import services as summary_services
from app.summaries.models import Decision
from app.summaries.services import DispositionInput
from tests.conftest import migrated_app, own_database
from tests.factories import grant, login, make_user
from tests.integration.test_summaries_support import moderator, open_consultation_with_comments, published_summary


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    """A database of this module's own: a SQLite file, or a fresh PostgreSQL database."""
    with own_database(tmp_path_factory.mktemp("live"), "live") as url:
        yield url


@pytest.fixture(scope="module")
def live(live_url, tmp_path_factory):
    """The real app on its own migrated database, with a consultation, a published
    summary and a resolution table; every request checks connections out of the pool."""
    app = migrated_app(live_url, tmp_path_factory, PAGE_CACHE="off")
    with app.app_context():
        session = db.session
        consultation, comments = open_consultation_with_comments(session)
        mod = moderator(session)
        published_summary(session, consultation, mod)
        author = make_user(session, display_name="Government Author")
        grant(session, author, Role.AUTHOR, Scope.COUNTRY, consultation.country_code)
        for n, section in enumerate(consultation.current_version.sections):
            summary_services.save_disposition(session, consultation, DispositionInput(
                section.id, f"Point {n} on {section.number}", Decision.PARTLY_ACCEPTED, f"Reason {n}",
                [c.id for c in comments.values()]), actor=author)
        session.commit()
        ids = {"consultation": consultation.id, "moderator": mod.email, "author": author.email}
        db.session.close()
    yield app, ids
    db.state(app).engine.dispose()


class _Person:
    def __init__(self, email: str) -> None:
        self.email = email


def _checked_out(app) -> int:
    return db.state(app).engine.pool.checkedout()


def test_streamed_exports_give_their_connection_back(live):
    app, ids = live
    client = app.test_client()
    assert login(client, _Person(ids["moderator"])).status_code == 302
    baseline = _checked_out(app)
    urls = (f"/manage/consultations/{ids['consultation']}/comments.csv", "/manage/moderation/comments.csv")
    # With the collector off, a connection left to it would stay checked out: nothing hides a leak.
    gc.disable()
    try:
        for n in range(100):
            response = client.get(urls[n % 2])
            assert response.status_code == 200
            assert response.get_data(as_text=True).count("\n") >= 2
            response.close()
            assert _checked_out(app) == baseline
    finally:
        gc.enable()
    assert client.get(f"/consultations/{ids['consultation']}").status_code == 200
    assert _checked_out(app) == baseline


def test_an_export_abandoned_half_way_gives_its_connection_back(live):
    app, ids = live
    client = app.test_client()
    login(client, _Person(ids["moderator"]))
    baseline = _checked_out(app)
    gc.disable()
    try:
        response = client.get("/manage/moderation/comments.csv", buffered=False)
        first = next(iter(response.response))  # the client reads the first chunk, then goes away
        assert first
        response.close()
        assert _checked_out(app) == baseline
    finally:
        gc.enable()


def test_the_resolution_table_renders_from_several_threads_at_once(live):
    """Readers in threads (gunicorn gthread, flask run), some downloading exports
    at the same time: every page renders, the process stays up, the pool is whole."""
    app, ids = live
    page = f"/consultations/{ids['consultation']}/resolution"
    mod = app.test_client()
    login(mod, _Person(ids["moderator"]))
    start = threading.Barrier(8)

    def read(n: int) -> list[int]:
        client = app.test_client()
        start.wait()
        statuses = []
        for i in range(15):
            if n < 2:
                response = mod.get("/manage/moderation/comments.csv")
                response.get_data()
                response.close()
            response = client.get(page if i % 3 else page + ".xlsx")
            statuses.append(response.status_code)
            if i % 3 and response.status_code == 200:
                assert "Point 0 on Article 1" in response.get_data(as_text=True)
        return statuses

    thresholds = gc.get_threshold()
    gc.set_threshold(50, 2, 2)  # frequent collections: a finalised connection would show up here
    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(read, range(8)))
    finally:
        gc.set_threshold(*thresholds)
    assert {s for statuses in results for s in statuses} == {200}
    assert _checked_out(app) == 0


def test_the_resolution_table_renders_fifty_times_in_each_of_eight_threads(live):
    """The mix that crashed a threaded server (docs/RELIABILITY.md): each of 8 threads
    renders the page 50 times, with the spreadsheet every fifth time, all starting at once
    on a freshly disposed pool, as a worker that has just started."""
    app, ids = live
    page = f"/consultations/{ids['consultation']}/resolution"
    db.state(app).engine.dispose()
    start = threading.Barrier(8)

    def read(_n: int) -> list[int]:
        client = app.test_client()
        start.wait()
        statuses = []
        for i in range(50):
            response = client.get(page + ".xlsx" if i % 5 == 4 else page)
            statuses.append(response.status_code)
            if response.status_code == 200 and i % 5 != 4:
                assert "Point 0 on Article 1" in response.get_data(as_text=True)
        return statuses

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(read, range(8)))
    assert [len(statuses) for statuses in results] == [50] * 8
    assert {s for statuses in results for s in statuses} == {200}
    assert _checked_out(app) == 0


def test_an_export_waits_for_the_write_lock_instead_of_failing(live):
    """Each download writes an audit entry: concurrent downloads queue for the lock."""
    app, ids = live
    client = app.test_client()
    login(client, _Person(ids["moderator"]))

    def download(_n: int) -> int:
        response = client.get(f"/manage/consultations/{ids['consultation']}/comments.csv")
        response.get_data()
        response.close()
        return response.status_code

    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(download, range(24))) == {200}


def _session(app) -> Session:
    return db.state(app).sessionmaker()


def _large_docx(articles: int, paragraphs_per_article: int) -> bytes:
    """A valid Word draft within the import's bounds (app/consultations/importers.py),
    large enough that reading it takes a noticeable while."""
    import io

    import docx

    document = docx.Document()
    for number in range(1, articles + 1):
        document.add_heading(f"Article {number} — Transit of strategic goods, part {number}", level=3)
        for paragraph in range(1, paragraphs_per_article + 1):
            document.add_paragraph(f"({paragraph}) The competent authority shall license the transit of the goods "
                                   f"listed in Annex {number}. ").add_run("Brokering").bold = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_another_user_posts_a_comment_while_a_large_word_import_is_being_read(live):
    """The import reads the document outside any transaction: on SQLite it holds no
    write lock meanwhile, so a participant's comment is saved before the reading ends."""
    import io
    import sys

    from app.consultations import importers

    app, ids = live
    data = _large_docx(articles=400, paragraphs_per_article=20)
    assert len(data) < app.config["ATTACHMENT_MAX_BYTES"]
    with app.app_context():
        session = _session(app)
        participant = make_user(session, display_name="Participant During Import")
        session.commit()
        participant_email = participant.email
        session.close()
    importer, commenter = app.test_client(), app.test_client()
    assert login(importer, _Person(ids["author"])).status_code == 302
    assert login(commenter, _Person(participant_email)).status_code == 302

    reading, read = threading.Event(), threading.Event()
    parse_code = importers.docx_to_markdown.__code__

    def watch(frame, event, _arg):
        # Observes the import's own thread only: the moment the reading starts and ends.
        if frame.f_code is parse_code:
            if event == "call":
                reading.set()
            elif event == "return":
                read.set()

    outcome: dict[str, object] = {}

    def import_draft():
        sys.setprofile(watch)
        try:
            response = importer.post(f"/manage/consultations/{ids['consultation']}/import", data={
                "source": "", "step": "preview", "file": (io.BytesIO(data), "draft-law.docx")},
                content_type="multipart/form-data")
        finally:
            sys.setprofile(None)
            read.set()
        outcome["import"] = response.status_code, response.get_data(as_text=True)

    thread = threading.Thread(target=import_draft)
    thread.start()
    try:
        assert reading.wait(60), "the import never started reading the document"
        response = commenter.post(f"/consultations/{ids['consultation']}/comments/new", data={
            "body": "Posted while a long draft was being imported.", "kind": "comment", "audience": "public",
            "language": "en", "section_id": "", "version_id": "", "idempotency_key": uuid.uuid4().hex})
        still_reading = not read.is_set()
    finally:
        thread.join(120)
    assert response.status_code == 302 and "/receipt" in response.headers["Location"]
    assert still_reading, "the comment was only saved once the import had finished reading"
    status, page = outcome["import"]
    assert status == 200 and "Article 400" in page  # the preview of all 400 articles
    with app.app_context():
        session = _session(app)
        assert session.scalar(text("SELECT count(*) FROM comment WHERE body_source = :b"),
                              {"b": "Posted while a long draft was being imported."}) == 1
        session.close()

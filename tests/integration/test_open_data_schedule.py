"""The worker keeps the open data fresh: each round (``run_jobs``, at the
round's clock) builds the ZIP when there is none or when it is
``OPEN_DATA_INTERVAL`` old, and never when the interval is 0."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta

from app.core.db import db, utcnow
from app.core.jobs import run_jobs
from app.opendata import build
from tests.integration.test_accounts_helpers import other_app
from tests.integration.test_comments_fixtures import make_consultation


def _round(app, now) -> int:
    with app.app_context():
        return run_jobs(db.sessionmaker, now=now)


def _consultation_ids(path) -> set[int]:
    lines = zipfile.ZipFile(path).read("consultations.jsonl").decode().splitlines()
    return {json.loads(line)["id"] for line in lines}


def test_the_worker_builds_the_file_when_missing_and_again_once_it_is_a_day_old(connection, session, tmp_path):
    first = make_consultation(session)
    start = utcnow()
    with other_app(connection, OPEN_DATA_DIR=tmp_path, OPEN_DATA_INTERVAL=timedelta(days=1)) as app:
        assert _round(app, start) == 1  # nothing there yet
        with app.app_context():
            published = build.current(tmp_path)
        assert abs(published.generated_at - start) < timedelta(seconds=1)
        readme = json.loads(zipfile.ZipFile(published.path).read("README.json"))
        assert readme["generated_at"] == start.isoformat().replace("+00:00", "Z")
        assert first.id in _consultation_ids(published.path)

        second = make_consultation(session)
        assert _round(app, start + timedelta(hours=23, minutes=59)) == 0  # still fresh: left alone
        assert second.id not in _consultation_ids(published.path)

        assert _round(app, start + timedelta(days=1)) == 1
        assert second.id in _consultation_ids(published.path)
        with app.app_context():
            assert abs(build.current(tmp_path).generated_at - (start + timedelta(days=1))) < timedelta(seconds=1)
        assert _round(app, start + timedelta(days=1, hours=1)) == 0


def test_an_interval_of_zero_leaves_the_building_to_the_command(connection, session, tmp_path):
    make_consultation(session)
    with other_app(connection, OPEN_DATA_DIR=tmp_path, OPEN_DATA_INTERVAL=timedelta(0)) as app:
        assert _round(app, utcnow()) == 0
        assert _round(app, utcnow() + timedelta(days=400)) == 0
    assert not (tmp_path / build.FILENAME).exists()


def test_the_file_the_worker_built_is_the_one_served(connection, session, tmp_path):
    with other_app(connection, OPEN_DATA_DIR=tmp_path, OPEN_DATA_INTERVAL=timedelta(hours=6)) as app:
        assert _round(app, utcnow()) == 1
        client = app.test_client()
        with app.app_context():
            published = build.current(tmp_path)
        assert published.sha256 in client.get("/open-data").get_data(as_text=True)
        assert client.get(f"/open-data/{build.FILENAME}").data == published.path.read_bytes()

"""Open data: ``flask opendata build`` writes one ZIP (JSON Lines and a
comments CSV) of exactly what a visitor may read, with the configured
licence and a SHA-256 checksum, served on /open-data."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest

from app.consultations.models import Visibility
from app.opendata import build
from tests.integration.test_api import CANARY
from tests.integration.test_comments_fixtures import make_consultation
from tests.integration.test_summaries_support import moderator, open_consultation_with_comments, published_summary


@pytest.fixture()
def open_data_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "OPEN_DATA_DIR", tmp_path)
    return tmp_path


def _build(app, session):
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        return build.publish(session)


def test_the_bulk_download_holds_public_content_only_with_licence_and_checksum(app, session, client,
                                                                                open_data_dir):
    consultation, comments = open_consultation_with_comments(session)
    published_summary(session, consultation, moderator(session), comment_ids=[comments["opposes"].id])
    invited = make_consultation(session, visibility=Visibility.INVITED)
    published = _build(app, session)
    body = published.path.read_bytes()
    assert hashlib.sha256(body).hexdigest() == published.sha256
    assert (open_data_dir / "agora1540-open-data.zip.sha256").read_text().startswith(published.sha256)

    archive = zipfile.ZipFile(io.BytesIO(body))
    everything = "".join(archive.read(name).decode() for name in archive.namelist())
    assert CANARY not in everything
    readme = json.loads(archive.read("README.json"))
    assert readme["licence"] == "CC BY 4.0" and "CC BY 4.0" in archive.read("LICENCE.txt").decode()
    ids = [json.loads(line)["id"] for line in archive.read("consultations.jsonl").decode().splitlines()]
    assert consultation.id in ids and invited.id not in ids
    comment_ids = {json.loads(line)["id"] for line in archive.read("comments.jsonl").decode().splitlines()}
    assert comments["opposes"].id in comment_ids and comments["restricted"].id not in comment_ids
    header, *rows = csv.reader(io.StringIO(archive.read("comments.csv").decode("utf-8-sig")))
    assert tuple(header) == build.CSV_HEADER and {int(r[1]) for r in rows} == comment_ids
    summaries = [json.loads(line) for line in archive.read("summaries.jsonl").decode().splitlines()]
    assert [s["consultation_id"] for s in summaries] == [consultation.id]
    assert archive.read("sections.jsonl") and archive.read("versions.jsonl")

    page = client.get("/open-data").get_data(as_text=True)
    assert published.sha256 in page and "CC BY 4.0" in page
    download = client.get("/open-data/agora1540-open-data.zip")
    assert download.status_code == 200 and download.data == body


def test_the_licence_comes_from_the_configuration(app, session, open_data_dir, monkeypatch):
    monkeypatch.setitem(app.config, "OPEN_DATA_LICENCE", "CC0 1.0")
    published = _build(app, session)
    readme = json.loads(zipfile.ZipFile(published.path).read("README.json"))
    assert readme["licence"] == "CC0 1.0" and readme["licence_url"].endswith("/zero/1.0/")


def test_before_the_first_build_the_page_says_so_and_the_file_is_404(client, open_data_dir):
    assert "has not been generated yet" in client.get("/open-data").get_data(as_text=True)
    assert client.get("/open-data/agora1540-open-data.zip").status_code == 404


def test_the_command_builds_the_file(app, open_data_dir):
    result = app.test_cli_runner().invoke(args=["opendata", "build"])
    assert result.exit_code == 0, result.output
    assert "sha256" in result.output and (open_data_dir / "agora1540-open-data.zip").exists()

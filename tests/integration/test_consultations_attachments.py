"""Attachments: type by content, refused when hostile, served as downloads."""

from __future__ import annotations

import hashlib
import io
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from openpyxl import Workbook

from app.consultations import sharing
from app.consultations.attachments import detect_content_type, safe_filename
from app.consultations.models import Attachment, Consultation
from app.core.db import db
from tests.conftest import CORPORA
from tests.factories import login
from tests.integration.test_consultations_support import make_author, make_consultation
from tests.security.test_permissions import suite_engine  # noqa: F401 - autouse: the suite's database

CORPUS = CORPORA / "payloadsallthethings"
HOSTILE = sorted((CORPUS / "upload").iterdir()) + sorted((CORPUS / "xss_files").iterdir())


def _docx() -> bytes:
    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Explanatory memorandum")
    document.save(buffer)
    return buffer.getvalue()


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active["A1"] = "ECCN"
    workbook.save(buffer)
    return buffer.getvalue()


def _odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
    return buffer.getvalue()


GOOD = {
    "memo.pdf": (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "application/pdf"),
    "annex.docx": (_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "list.xlsx": (_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "note.odt": (_odt(), "application/vnd.oasis.opendocument.text"),
    "control-list.csv": ("code;description\n1C350;Précurseurs chimiques\n".encode(), "text/csv"),
}


@pytest.mark.parametrize("name", GOOD)
def test_accepted_types_are_recognised_by_content(name):
    data, content_type = GOOD[name]
    assert detect_content_type(data) == content_type


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
def test_every_hostile_corpus_file_is_refused_whatever_its_name(path):
    data = path.read_bytes()
    assert detect_content_type(data) in (None, "text/csv")  # text files can only pass as CSV...


def _upload(client, consultation, name, data, title=""):
    return client.post(f"/manage/consultations/{consultation.id}/attachments",
                       data={"title": title, "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
@pytest.mark.parametrize("as_name", ["original", "list.csv", "memo.pdf"])
def test_hostile_uploads_are_refused_with_a_message_and_nothing_is_stored(client, session, app, path, as_name):
    author = make_author(session)
    consultation = make_consultation(session, author)
    login(client, author)
    before = set(Path(app.config["UPLOAD_DIR"]).glob("*")) if Path(app.config["UPLOAD_DIR"]).exists() else set()
    response = _upload(client, consultation, path.name if as_name == "original" else as_name, path.read_bytes())
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "not accepted" in text or "does not match" in text
    session.expire_all()
    assert session.query(Attachment).filter_by(consultation_id=consultation.id).count() == 0
    after = set(Path(app.config["UPLOAD_DIR"]).glob("*")) if Path(app.config["UPLOAD_DIR"]).exists() else set()
    assert after == before


def test_mismatched_name_and_oversized_files_are_refused(client, session, app):
    author = make_author(session)
    consultation = make_consultation(session, author)
    login(client, author)
    response = _upload(client, consultation, "memo.docx", GOOD["memo.pdf"][0])
    assert response.status_code == 400 and "does not match its name" in response.get_data(as_text=True)
    big = b"%PDF-1.7\n" + b"0" * (app.config["ATTACHMENT_MAX_BYTES"])
    response = _upload(client, consultation, "big.pdf", big)
    assert response.status_code == 400 and "larger than 20 MB" in response.get_data(as_text=True)


def test_upload_then_download_as_attachment_with_safe_headers(client, session, app):
    author = make_author(session)
    consultation = make_consultation(session, author)
    login(client, author)
    data = GOOD["annex.docx"][0]
    name = 'Annexe 1; X-Evil: 1 — liste de contrôle.docx'
    response = _upload(client, consultation, name, data, title="Annex I")
    assert response.status_code == 302
    attachment = session.query(Attachment).filter_by(consultation_id=consultation.id).one()
    assert attachment.sha256 == hashlib.sha256(data).hexdigest() and attachment.size == len(data)
    stored = Path(app.config["UPLOAD_DIR"]) / attachment.stored_name
    assert stored.read_bytes() == data
    assert "static" not in str(stored)
    response = client.get(f"/consultations/{consultation.id}/attachments/{attachment.id}")
    assert response.status_code == 200 and response.data == data
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert "\r" not in disposition and "\n" not in disposition and "X-Evil" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"].startswith(GOOD["annex.docx"][1])
    # deleting removes the row and, once committed, the file
    consultation_id, attachment_id = consultation.id, attachment.id
    assert client.post(f"/manage/consultations/{consultation_id}/attachments/{attachment_id}/delete").status_code == 302
    assert client.get(f"/consultations/{consultation_id}/attachments/{attachment_id}").status_code == 404
    assert not stored.exists()


def test_attachment_of_another_consultation_is_404(client, session, app):
    author = make_author(session)
    first, second = make_consultation(session, author), make_consultation(session, author)
    login(client, author)
    _upload(client, first, "memo.pdf", GOOD["memo.pdf"][0])
    attachment = session.query(Attachment).filter_by(consultation_id=first.id).one()
    assert client.get(f"/consultations/{second.id}/attachments/{attachment.id}").status_code == 404


@pytest.mark.parametrize(("raw", "expected"), [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\x\\memo.pdf", "memo.pdf"), ("a\r\nb.pdf", "ab.pdf"),
    ("", "attachment"), ("..", "attachment"), ('q"uote;.pdf', "q_uote_.pdf"),
])
def test_safe_filename(raw, expected):
    assert safe_filename(raw) == expected


# --- a full disk ---------------------------------------------------------------------

@pytest.fixture()
def small_disk(tmp_path):
    """A real 256 KiB file system (tmpfs): writing more than that fails with ENOSPC."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mount_point)],
                                 capture_output=True, text=True, check=False)
    except OSError as error:
        pytest.skip(f"cannot run mount to get a small file system: {error}")
    if mounted.returncode != 0:
        pytest.skip(f"mounting a 256 KiB tmpfs is not permitted here (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_an_upload_that_fills_the_disk_is_refused_on_the_form_leaves_nothing_and_the_next_fits(
        client, session, app, small_disk, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", small_disk)
    author = make_author(session)
    consultation = make_consultation(session, author)
    login(client, author)
    too_big = b"%PDF-1.7\n" + b"0" * (400 * 1024) + b"\n%%EOF\n"
    response = _upload(client, consultation, "annex-ii.pdf", too_big, title="Annex II")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "not enough storage space on the server" in page and "Nothing was saved" in page
    assert 'value="Annex II"' in page  # the form comes back with what was typed
    assert list(small_disk.iterdir()) == []  # no partial file, no temporary file
    session.expire_all()
    assert session.query(Attachment).filter_by(consultation_id=consultation.id).count() == 0

    small = GOOD["memo.pdf"][0]
    response = _upload(client, consultation, "memo.pdf", small, title="Memorandum")
    assert response.status_code == 302
    attachment = session.query(Attachment).filter_by(consultation_id=consultation.id).one()
    assert [p.name for p in small_disk.iterdir()] == [attachment.stored_name]
    assert client.get(f"/consultations/{consultation.id}/attachments/{attachment.id}").data == small


def test_a_stored_file_stays_exactly_when_its_transaction_commits(app, session, tmp_path):
    author = make_author(session)
    consultation = make_consultation(session, author)
    data = GOOD["memo.pdf"][0]

    def add(on):
        return sharing.add_attachment(on, on.get(Consultation, consultation.id), filename="memo.pdf", data=data,
                                      upload_dir=tmp_path, max_bytes=1024 * 1024, actor=author)

    # A request that ends without committing (an error after the service ran): the file goes.
    other = db.state(app).sessionmaker()
    add(other)
    assert len(list(tmp_path.iterdir())) == 1
    other.close()
    assert list(tmp_path.iterdir()) == []

    # A savepoint that rolls back later in the same transaction does not take the file
    # with it; the commit keeps it.
    kept = add(session)
    with pytest.raises(RuntimeError), session.begin_nested():
        raise RuntimeError("an unrelated step refused")
    session.commit()
    assert [p.name for p in tmp_path.iterdir()] == [kept.stored_name]

    # A transaction that rolls back: its file goes, the committed one stays.
    add(session)
    session.rollback()
    assert [p.name for p in tmp_path.iterdir()] == [kept.stored_name]

    # Deleting removes the file only once the deletion commits.
    sharing.delete_attachment(session, session.get(Attachment, kept.id), upload_dir=tmp_path, actor=author)
    session.rollback()
    assert [p.name for p in tmp_path.iterdir()] == [kept.stored_name]
    sharing.delete_attachment(session, session.get(Attachment, kept.id), upload_dir=tmp_path, actor=author)
    session.commit()
    assert list(tmp_path.iterdir()) == []

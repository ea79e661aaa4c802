"""Comments as XLSX beside the CSV: the same columns and rows, every cell
text (a formula stays words), characters XML cannot hold dropped, thread
indentation in the text column, a frozen bold header with a filter, the same
permissions and audit entry as the CSV."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import Role
from app.comments.export import ALL_CONSULTATIONS_HEADER, HEADER
from app.core.models import AuditEntry
from tests.factories import grant, login, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation


def _moderator(session):
    user = make_user(session)
    grant(session, user, Role.MODERATOR)
    return user


def _sheet(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    return load_workbook(io.BytesIO(response.data)).active


def test_xlsx_has_the_csv_columns_and_rows_as_text(session, client):
    consultation = make_consultation(session)
    top = add_comment(session, consultation, make_user(session), body="=HYPERLINK(\"http://evil\",\"x\")")
    reply = add_comment(session, consultation, make_user(session), parent=top, body="Bell \x07 and 日本語")
    login(client, _moderator(session))
    sheet = _sheet(client.get(f"/manage/consultations/{consultation.id}/comments.xlsx"))
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == list(HEADER)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    assert all(c.font.bold for c in rows[0])
    assert all(c.data_type == "s" for row in rows for c in row if c.value is not None)

    csv_text = client.get(f"/manage/consultations/{consultation.id}/comments.csv").get_data(as_text=True)
    _h, *csv_rows = csv.reader(io.StringIO(csv_text[1:]))
    body_at = HEADER.index("body_markdown")
    by_id = {row[0].value: row for row in rows[1:]}
    assert set(by_id) == {str(top.id), str(reply.id)} == {r[0] for r in csv_rows}
    assert by_id[str(top.id)][body_at].value == "=HYPERLINK(\"http://evil\",\"x\")"  # words, not a formula
    assert by_id[str(reply.id)][body_at].value == "Bell  and 日本語"  # BEL cannot be written in XML
    assert by_id[str(reply.id)][body_at].alignment.indent == 1
    assert by_id[str(top.id)][body_at].alignment.indent == 0

    audited = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "comments.exported")).all()
    assert len(audited) == 2  # the XLSX and the CSV, each audited


def test_every_consultation_as_xlsx_for_moderators_only(session, client):
    consultation = make_consultation(session)
    add_comment(session, consultation, make_user(session), body="Hello.")
    login(client, make_user(session))
    assert client.get("/manage/moderation/comments.xlsx").status_code == 403
    assert client.get(f"/manage/consultations/{consultation.id}/comments.xlsx").status_code in (403, 404)
    client.post("/logout")
    login(client, _moderator(session))
    sheet = _sheet(client.get("/manage/moderation/comments.xlsx"))
    assert [c.value for c in next(sheet.iter_rows())] == list(ALL_CONSULTATIONS_HEADER)


def test_bad_parameters_are_refused_as_for_the_csv(session, client):
    consultation = make_consultation(session)
    login(client, _moderator(session))
    assert client.get(f"/manage/consultations/{consultation.id}/comments.xlsx?status=nope").status_code == 400
    assert client.get(f"/manage/consultations/{consultation.id}/comments.xlsx?version=x").status_code == 400
    assert client.get(f"/manage/consultations/{consultation.id}/comments.xlsx?version=99").status_code == 404

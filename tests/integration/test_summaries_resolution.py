"""The comment-resolution table ("you said, we did"): entered by the drafting
government, linked to the changed wording once a new version exists, and
exported to CSV and XLSX without formula injection."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from app.accounts.models import Role, Scope
from app.core.errors import DomainError
from app.summaries import services
from app.summaries.models import Decision
from app.summaries.services import DispositionInput, SummaryNotPublished
from tests.conftest import CORPORA
from tests.factories import grant, login, make_user
from tests.integration.test_comments_fixtures import publish_new_version
from tests.integration.test_summaries_support import moderator, open_consultation_with_comments, published_summary

PAYLOADS = CORPORA / "payloadsallthethings" / "csv_injection" / "csv_formula_payloads.txt"


def _author(session, country="AT"):
    user = make_user(session, display_name="Government Author")
    grant(session, user, Role.AUTHOR, Scope.COUNTRY, country)
    return user


def test_dispositions_need_a_published_summary_and_a_reason_when_not_accepted(session):
    consultation, c = open_consultation_with_comments(session)
    author = _author(session)
    section = consultation.current_version.sections[0]
    with pytest.raises(SummaryNotPublished):
        services.save_disposition(session, consultation, DispositionInput(section.id, "Widen transit",
                                                                          Decision.ACCEPTED), actor=author)
    published_summary(session, consultation, moderator(session))
    with pytest.raises(DomainError) as no_reason:
        services.save_disposition(session, consultation, DispositionInput(section.id, "Widen transit",
                                                                          Decision.NOT_ACCEPTED), actor=author)
    assert no_reason.value.field == "reason"
    disposition = services.save_disposition(session, consultation, DispositionInput(
        section.id, "Widen transit", Decision.PARTLY_ACCEPTED, "Free zones are added; airports are not.",
        [c["opposes"].id]), actor=author)
    assert disposition.round == 1 and disposition.comment_ids == [c["opposes"].id]


def test_author_enters_a_disposition_and_the_public_table_links_to_the_changed_wording(session, client):
    consultation, c = open_consultation_with_comments(session)
    author = _author(session)
    published_summary(session, consultation, moderator(session))
    section = consultation.current_version.sections[0]
    login(client, author)
    response = client.post(f"/manage/consultations/{consultation.id}/resolution", data={
        "section_id": str(section.id), "point_raised": "The transit definition is too narrow.",
        "decision": "accepted", "reason": "", "comment_ids": [str(c["opposes"].id)]})
    assert response.status_code == 302
    table = client.get(f"/consultations/{consultation.id}/resolution").get_data(as_text=True)
    assert "The transit definition is too narrow." in table and "Accepted" in table
    assert "No later version yet" in table
    publish_new_version(session, consultation)
    table = client.get(f"/consultations/{consultation.id}/resolution").get_data(as_text=True)
    assert "See the wording in version 2" in table
    assert f"/consultations/{consultation.id}/compare?" in table and "#article-1" in table


def test_other_countries_authors_cannot_enter_dispositions(session, client):
    consultation, _c = open_consultation_with_comments(session)
    published_summary(session, consultation, moderator(session))
    login(client, _author(session, "FR"))
    assert client.get(f"/manage/consultations/{consultation.id}/resolution").status_code == 404


def _with_payloads(session):
    consultation, c = open_consultation_with_comments(session)
    author = _author(session)
    published_summary(session, consultation, moderator(session))
    payloads = [line for line in PAYLOADS.read_text(encoding="utf-8").splitlines() if line.strip()]
    for payload in payloads:
        services.save_disposition(session, consultation, DispositionInput(
            None, payload, Decision.NOT_ACCEPTED, payload), actor=author)
    return consultation, payloads


def test_csv_export_neutralises_every_formula_payload(session, client):
    consultation, payloads = _with_payloads(session)
    response = client.get(f"/consultations/{consultation.id}/resolution.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    points = [row[2] for row in rows[1:]]
    assert len(points) == len(payloads)
    for cell in points + [row[4] for row in rows[1:]]:
        assert cell.lstrip(" \t\r\n")[:1] not in ("=", "+", "-", "@", "\uff1d", "\u2013") or cell.startswith("'"), cell


def test_xlsx_export_stores_payloads_as_text_never_as_formulas(session, client):
    consultation, payloads = _with_payloads(session)
    response = client.get(f"/consultations/{consultation.id}/resolution.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert len(cells) == len(payloads)
    for cell in cells:
        assert cell.data_type == "s", cell.value
        assert not str(cell.value).startswith("=")

"""The comment-resolution table as CSV and XLSX.

Every text cell goes through ``csv_safe`` (app/core/csvfiles.py): a value a
spreadsheet would read as a formula is prefixed with an apostrophe. openpyxl
stores any string starting with "=" as a formula, so the XLSX needs the same
guard as the CSV.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _

from app.core.csvfiles import csv_lines, csv_safe
from app.core.spreadsheets import xml_safe
from app.summaries.forms import DECISION_LABELS
from app.summaries.queries import ResolutionGroup


def header() -> list[str]:
    return [_("Provision"), _("Summary round"), _("Point raised"), _("Decision"), _("Reason"),
            _("Comments answered"), _("Changed wording")]


def rows(groups: list[ResolutionGroup], base_url: str, consultation_id: int) -> Iterator[list[Any]]:
    for group in groups:
        provision = group.section.title if group.section else _("The draft as a whole")
        for row in group.rows:
            d = row.disposition
            later = ""
            if row.later is not None:
                version, section = row.later
                later = (f"{base_url}/consultations/{consultation_id}/compare?to={version.number}"
                         f"&from={group.section.version.number}#{section.anchor}")
            yield [provision, d.round, d.point_raised, str(DECISION_LABELS.get(d.decision, d.decision)), d.reason,
                   " ".join(f"{base_url}/consultations/{consultation_id}/comments/{c.id}" for c in row.comments),
                   later]


def resolution_csv(groups: list[ResolutionGroup], base_url: str, consultation_id: int) -> Iterator[str]:
    return csv_lines(header(), rows(groups, base_url, consultation_id))


def xlsx_cell(value: Any) -> Any:
    """Numbers as numbers; text without what XML cannot hold, formulas made inert."""
    if isinstance(value, int):
        return value
    return csv_safe(xml_safe(str(value)))


def resolution_xlsx(groups: list[ResolutionGroup], base_url: str, consultation_id: int) -> bytes:
    from openpyxl import Workbook  # imported by the first export, not by every server process
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Resolution table")[:31]
    sheet.append([xlsx_cell(h) for h in header()])
    for row in rows(groups, base_url, consultation_id):
        sheet.append([xlsx_cell(cell) for cell in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

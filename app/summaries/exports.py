"""The comment-resolution table as CSV and XLSX.

Every text cell goes through ``csv_safe`` (app/admin/export.py): a value a
spreadsheet would read as a formula is prefixed with an apostrophe. openpyxl
stores any string starting with "=" as a formula, so the XLSX needs the same
guard as the CSV.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from app.admin.export import csv_lines, csv_safe
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


def _xlsx_text(value: Any) -> str:
    # Control characters make openpyxl refuse the cell; drop them, then guard formulas.
    return csv_safe(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def resolution_xlsx(groups: list[ResolutionGroup], base_url: str, consultation_id: int) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Resolution table")[:31]
    sheet.append([_xlsx_text(h) for h in header()])
    for row in rows(groups, base_url, consultation_id):
        sheet.append([cell if isinstance(cell, int) else _xlsx_text(cell) for cell in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

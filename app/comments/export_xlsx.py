"""Comments as an XLSX file: the CSV's columns and rows (app/comments/export.py),
for people who open exports in a spreadsheet.

Every cell is written as text (data type "s", a shared string), numbers and
dates included: a body that starts with "=" stays the words the person wrote
and is never a formula, and no value is reinterpreted (a receipt number that
looks like a date stays as typed). Characters XML cannot hold are dropped
(``xml_safe``). The header row is bold and frozen with an auto-filter over
every column; replies are indented in the text column by their depth in the
thread (cell indentation, so the text itself is the same as in the CSV).

openpyxl's write-only mode keeps memory flat: rows go to a temporary file as
they are read, through the stream's own session (app/core/streaming.py); the
finished file is sent in chunks.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from flask import Response, stream_with_context
from sqlalchemy.orm import Session, sessionmaker

from app.comments.export import (
    ALL_CONSULTATIONS_HEADER,
    HEADER,
    ExportFilter,
    export_filename,
    export_rows,
    permalink_format,
)
from app.core.spreadsheets import xml_safe
from app.core.streaming import rows_from_own_session

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

CHUNK_BYTES = 64 * 1024
MAX_INDENT = 15  # the most a spreadsheet shows
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@lru_cache(maxsize=1)
def _openpyxl() -> SimpleNamespace:
    """openpyxl's parts and the styles used here, imported by the first export rather than by
    every server process (a worker without it peaked 12 MB lower, bench/RESULTS.md finding 12)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    return SimpleNamespace(Workbook=Workbook, WriteOnlyCell=WriteOnlyCell, get_column_letter=get_column_letter,
                           bold=Font(bold=True),
                           indents=[Alignment(indent=n, wrap_text=True, vertical="top") for n in range(MAX_INDENT + 1)])


def text_cell(sheet: Any, value: Any, *, font: Font | None = None, alignment: Alignment | None = None) -> WriteOnlyCell:
    cell = _openpyxl().WriteOnlyCell(sheet, value=xml_safe("" if value is None else str(value)))
    cell.data_type = "s"  # text, whatever it looks like (openpyxl would store "=..." as a formula)
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def write_workbook(session: Session, filters: ExportFilter, permalink: str, target: Any) -> None:
    header = ALL_CONSULTATIONS_HEADER if filters.consultation_id is None else HEADER
    depth_at, body_at = header.index("depth"), header.index("body_markdown")
    kit = _openpyxl()
    get_column_letter = kit.get_column_letter
    workbook = kit.Workbook(write_only=True)
    sheet = workbook.create_sheet("comments")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}1"
    sheet.append([text_cell(sheet, name, font=kit.bold) for name in header])
    rows = 0
    for row in export_rows(session, filters, permalink):
        indent = kit.indents[min(int(row[depth_at] or 0), MAX_INDENT)]
        sheet.append([text_cell(sheet, value, alignment=indent if i == body_at else None)
                      for i, value in enumerate(row)])
        rows += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{rows + 1}"
    workbook.save(target)


def comments_xlsx(session: Session, filters: ExportFilter, permalink: str) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as spool:
        write_workbook(session, filters, permalink, spool)
        spool.seek(0)
        while chunk := spool.read(CHUNK_BYTES):
            yield chunk


def xlsx_response(maker: sessionmaker[Session], filters: ExportFilter, consultation: Any, today: date) -> Response:
    filename = export_filename(consultation, today).removesuffix(".csv") + ".xlsx"
    permalink = permalink_format()
    chunks = rows_from_own_session(maker, lambda session: comments_xlsx(session, filters, permalink))
    return Response(
        stream_with_context(chunks),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )

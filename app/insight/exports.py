"""Downloads of the insight pages: CSV files equal to the tables on screen, and a
PDF of the coverage picture (WeasyPrint draws the same SVG as the page)."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from typing import Any

from flask import Response
from flask_babel import gettext

from app.insight.picture import STATE_LABELS, Picture

# A cell starting with one of these is a formula to a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(header: list[str], rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_safe(h) for h in header])
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
    return out.getvalue()


def download(body: str | bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def picture_table(picture: Picture) -> tuple[list[str], list[list[str]]]:
    """The table of the coverage page as plain cells, in its order: the State, the
    number of its drafts counted, then per obligation the cell's state in words."""
    header = [gettext("State"), gettext("Drafts")] + [c.code for c in picture.columns]
    rows = [[row.name, str(len(row.drafts))]
            + [str(STATE_LABELS[picture.cell(row, c.code).state]) for c in picture.columns]
            for row in picture.rows]
    return header, rows


def picture_csv(picture: Picture) -> str:
    return csv_text(*picture_table(picture))


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict:
    raise ValueError(f"insight PDFs load no external resources: {url}")


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    for name in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return HTML(string=html, url_fetcher=_refuse).write_pdf()


def analytics_csv(result) -> str:
    """Every table of the analytics page, one after the other in long form, with the
    numbers exactly as the page shows them ("fewer than 3" included)."""
    header = [gettext("Table"), gettext("Row"), gettext("Comments"), gettext("Organisations"),
              gettext("Amendments"), gettext("Opposing"), gettext("Opposition share")]
    rows: list[list[Any]] = [[gettext("Total"), "", result.comments, result.organisations, result.amendments, "", ""]]
    for breakdown in result.breakdowns:
        rows += [[breakdown.title, r.label, r.comments, r.organisations, r.amendments, "", ""] for r in breakdown.rows]
    rows += [[gettext("Amendments and the decisions on them"), label, "", "", value, "", ""]
             for _, label, value in result.decisions]
    rows += [[gettext("Comments per day (UTC)"), day.isoformat(), value, "", "", "", ""] for day, value in result.days]
    rows += [[gettext("Where the debate is"), r.label, r.comments, "", r.amendments, r.opposing, r.opposition_share]
             for r in result.debate]
    return csv_text(header, rows)

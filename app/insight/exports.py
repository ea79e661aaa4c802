"""Downloads of the insight pages: CSV files equal to the tables on screen, and a
PDF and a PNG of the coverage picture (WeasyPrint draws the same SVG as the page;
PDFium, through pypdfium2, turns the PDF's page into pixels)."""

from __future__ import annotations

import csv
import io
import logging
import re
import threading
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


_SVG_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"')
# PDFium may not be called from two threads at once (gthread workers would).
_PDFIUM = threading.Lock()
PNG_SCALE = 2  # device pixels per CSS pixel: sharp on high-density screens and in print


def svg_size(svg: str) -> tuple[float, float]:
    """The width and height an SVG of ours declares on its root element."""
    match = _SVG_SIZE.search(svg)
    if match is None:
        raise ValueError("the SVG declares no width and height")
    return float(match.group(1)), float(match.group(2))


def render_png(html: str, *, scale: float = PNG_SCALE) -> bytes:
    """The first page of the PDF WeasyPrint makes of ``html``, as a PNG, cropped below
    what is drawn (the page is laid out longer than needed)."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageChops

    pdf = render_pdf(html)
    with _PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            image = document[0].render(scale=scale * 96 / 72).to_pil().convert("RGB")
        finally:
            document.close()
    drawn = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if drawn is not None:
        image = image.crop((0, 0, image.width, min(image.height, drawn[3] + round(16 * scale))))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


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
    rows += [[gettext("Consultations by participation"), r.consultation.title, r.comments, r.organisations,
              r.amendments, r.opposing, r.opposition_share] for r in result.consultations]
    return csv_text(header, rows)

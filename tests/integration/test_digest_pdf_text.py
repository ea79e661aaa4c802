"""What a focal point reads in a digest's PDF: titles as typed (escaped once,
never markup and never entities), summaries' sanitised HTML laid out as
formatting (bold is bold), nothing of a hostile title run or shown as tags."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader
from sqlalchemy import select

from app.digests.models import Digest
from app.digests.services import queue_due_digests
from app.summaries import services
from tests.integration.test_summaries_support import (
    focal_point,
    moderator,
    open_consultation_with_comments,
)

SEND_AT = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
IN_PERIOD = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TITLE = 'Law on <b>Goods</b> & R&D <script>alert("x")</script> «Transit»'


def _pdf_runs(pdf: bytes) -> list[tuple[str, str]]:
    """(text, font name) of every piece of text, in reading order."""
    runs: list[tuple[str, str]] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        def visit(text, _cm, _tm, font, _size):
            if text.strip():
                runs.append((text, str((font or {}).get("/BaseFont", ""))))
        page.extract_text(visitor_text=visit)
    return runs


def test_digest_pdf_shows_titles_as_typed_and_summary_html_as_formatting(session):
    consultation, comments = open_consultation_with_comments(session)
    consultation.opens_at = IN_PERIOD - timedelta(days=1)
    consultation.title = TITLE
    mod = moderator(session)
    focal_point(session)
    services.save_summary_text(session, consultation, actor=mod, restricted=False,
                               overall="Participants want **stronger transit controls** & fewer gaps.")
    services.add_point(session, consultation, services.PointInput(
        section_id=None, text="Define *brokering* in Article 2.", comment_ids=[comments["opposes"].id]), actor=mod)
    services.publish_summary(session, consultation, actor=mod, now=IN_PERIOD)
    services.forward_summary(session, consultation, regions=["OSCE"], countries=[], actor=mod, now=IN_PERIOD)
    assert queue_due_digests(session, now=SEND_AT).created == 1
    digest = session.scalar(select(Digest))

    runs = _pdf_runs(digest.pdf)
    text = " ".join(" ".join(t for t, _font in runs).split())
    # The title is text, exactly as typed: its angle brackets and ampersand shown once, never run.
    assert TITLE in text
    assert "&lt;" not in text and "&gt;" not in text and "&amp;" not in text and "&#" not in text
    # The summary is formatting: no tag shows, the sanitiser's output is laid out.
    assert "stronger transit controls" in text and "Define brokering in Article 2." in text
    for tag in ("<strong>", "<p>", "<em>", "</"):
        assert tag not in text.replace(TITLE, "")
    bold = {t.strip() for t, font in runs if "Bold" in font}
    assert any("stronger transit controls" in t for t in bold)
    assert "controls & fewer gaps" in text
    # The bookmarks a PDF reader lists (made from the headings) carry the title as typed too.
    outline = [item.title for item in _flatten(PdfReader(io.BytesIO(digest.pdf)).outline)]
    assert TITLE in outline, outline


def _flatten(items) -> list:
    flat = []
    for item in items:
        flat.extend(_flatten(item) if isinstance(item, list) else [item])
    return flat

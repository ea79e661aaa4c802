"""Rendering a digest once: an HTML fragment (sanitised, so the in-app page
may show it as stored), plain text, and a PDF made by WeasyPrint.

WeasyPrint is given a URL fetcher that refuses everything: the PDF uses
only the fonts installed on the machine (DejaVu, Noto CJK) and never loads
anything from the network.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import render_template
from flask_babel import force_locale, ngettext

from app.core.i18n import force_timezone
from app.core.sanitize import sanitize_html
from app.digests.composition import DigestContent


@dataclass
class RenderedDigest:
    subject: str
    html: str
    text: str
    pdf: bytes


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict:
    raise ValueError(f"digest PDFs load no external resources: {url}")


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    for name in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)  # one line per layout step otherwise

    # PDF/UA-1: tagged (headings, lists, links) for screen readers, with the
    # document's title and language from <title> and <html lang>.
    return HTML(string=html, url_fetcher=_refuse).write_pdf(pdf_variant="pdf/ua-1")


def render_digest(content: DigestContent, *, user: Any, language: str, page_url: str, pdf_url: str) -> RenderedDigest:
    with force_locale(language), force_timezone(getattr(user, "timezone", None)):
        subject = ngettext("Agora 1540 digest: %(num)d consultation", "Agora 1540 digest: %(num)d consultations",
                           content.item_count)
        context = {"content": content, "user": user, "subject": subject, "page_url": page_url, "pdf_url": pdf_url}
        html = sanitize_html(render_template("digests/_content.html", **context))
        text = render_template("digests/_content.txt", **context)
        pdf_body = sanitize_html(render_template("digests/_content.html", for_pdf=True, **context))
        document = render_template("digests/pdf.html", body_html=pdf_body, language=language, **context)
    return RenderedDigest(subject=subject, html=html, text=text, pdf=render_pdf(document))

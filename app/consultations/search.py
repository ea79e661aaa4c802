"""Full-text search over consultation titles, summaries and section text.

One shadow table, ``consultation_fts`` (the _fts suffix keeps Alembic's
autogenerate away from it), created by migration 0002:

* SQLite: an FTS5 virtual table (``rowid`` = consultation id, porter stemming);
* PostgreSQL: a table with a ``tsvector`` column and a GIN index.

The service layer keeps it current through ``index_consultation`` whenever a
title, summary, published version or translation changes; translations of the
title, summary and sections are indexed with the original, so a search in any
language finds what has been translated into it. Chinese (and Japanese) text
has no spaces between words: each ideograph is indexed as a word of its own
and a search looks for the characters as a phrase (``spaced``). ``matching_ids`` is the one
search function: it returns a subquery of consultation ids for the filters
in queries.py. User input never reaches the query syntax: every term is
quoted (FTS5) or parsed by ``websearch_to_tsquery`` (PostgreSQL), which
never raises on odd input.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Integer, bindparam, select, text
from sqlalchemy.orm import Session

from app.consultations.diff import html_to_text
from app.consultations.translation_models import ConsultationTranslation, SectionTranslation

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
_TERM = re.compile(r"\w+", re.UNICODE)
# Han ideographs, kana and CJK compatibility ideographs: written without spaces between words.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_CJK_CHAR = re.compile(f"([{_CJK}])")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_SPACES = re.compile(" {2,}")


def spaced(text: str) -> str:
    """Each ideograph a word of its own: "出口管制法" → "出 口 管 制 法"."""
    text = text or ""
    return _SPACES.sub(" ", _CJK_CHAR.sub(r" \1 ", text)) if _CJK_CHAR.search(text) else text


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def clean_query(raw: str | None) -> str:
    """Drop NULs and control characters, cap the length."""
    raw = (raw or "")[:MAX_QUERY_LENGTH]
    return "".join(ch for ch in raw if ch.isprintable() or ch == " ").strip()


def fts5_query(raw: str) -> str:
    """Each word becomes a quoted FTS5 string; all must match. Empty if no words."""
    terms = _TERM.findall(raw)[:MAX_TERMS]
    # A run of ideographs is one \w+ term; spaced, its quoted string is a phrase of single characters.
    return " ".join('"' + spaced(term).strip().replace('"', '""') + '"' for term in terms)


def tsquery_text(raw: str) -> str:
    """The query for ``websearch_to_tsquery``, each run of ideographs a quoted phrase of its characters."""
    return _CJK_RUN.sub(lambda m: ' "' + " ".join(m.group(0)) + '" ', raw).strip()


def document_of(consultation: Any) -> tuple[str, str, str]:
    version = consultation.current_version
    sections = version.sections if version is not None else []
    body = "\n".join(f"{s.number} {s.heading}\n{html_to_text(s.body_html)}" for s in sections)
    return consultation.title, html_to_text(consultation.summary_html), body


def translations_of(session: Session, consultation: Any) -> tuple[str, str, str]:
    """The translated titles, summaries and sections (of the sections the current version has)."""
    version = consultation.current_version
    anchors = {getattr(s, "anchor", None) for s in (version.sections if version is not None else [])}
    titles, summaries, bodies = [], [], []
    for row in session.scalars(select(ConsultationTranslation).where(
            ConsultationTranslation.consultation_id == consultation.id).order_by(ConsultationTranslation.language)):
        titles.append(row.title)
        summaries.append(html_to_text(row.summary_html))
    if titles and anchors:
        for row in session.scalars(select(SectionTranslation).where(
                SectionTranslation.consultation_id == consultation.id, SectionTranslation.anchor.in_(anchors))
                .order_by(SectionTranslation.language, SectionTranslation.anchor)):
            bodies.append(f"{row.heading}\n{html_to_text(row.body_html)}")
    return "\n".join(titles), "\n".join(summaries), "\n".join(bodies)


def index_consultation(session: Session, consultation: Any) -> None:
    """Replace the consultation's row in the search index."""
    original = document_of(consultation)
    translated = translations_of(session, consultation)
    title, summary, body = (spaced("\n".join(part for part in pair if part))
                            for pair in zip(original, translated, strict=True))
    remove_from_index(session, consultation.id)
    if _dialect(session) == "postgresql":
        session.execute(
            text("INSERT INTO consultation_fts (consultation_id, document) VALUES (:id, "
                 "setweight(to_tsvector('english', :title), 'A') || setweight(to_tsvector('english', :summary), 'B')"
                 " || setweight(to_tsvector('english', :body), 'C'))"),
            {"id": consultation.id, "title": title, "summary": summary, "body": body},
        )
    else:
        session.execute(
            text("INSERT INTO consultation_fts (rowid, title, summary, body) VALUES (:id, :title, :summary, :body)"),
            {"id": consultation.id, "title": title, "summary": summary, "body": body},
        )


def remove_from_index(session: Session, consultation_id: int) -> None:
    if _dialect(session) == "postgresql":
        session.execute(text("DELETE FROM consultation_fts WHERE consultation_id = :id"), {"id": consultation_id})
    else:
        session.execute(text("DELETE FROM consultation_fts WHERE rowid = :id"), {"id": consultation_id})


def matching_ids(session: Session, raw: str):
    """A subquery of the ids of consultations matching ``raw``, or None when it has no searchable words."""
    query = clean_query(raw)
    if not _TERM.search(query):
        return None
    if _dialect(session) == "postgresql":
        stmt = text("SELECT consultation_id AS id FROM consultation_fts "
                    "WHERE document @@ websearch_to_tsquery('english', :fts_q)")
        return stmt.bindparams(bindparam("fts_q", tsquery_text(query))).columns(id=Integer).subquery()
    stmt = text("SELECT rowid AS id FROM consultation_fts WHERE consultation_fts MATCH :fts_q")
    return stmt.bindparams(bindparam("fts_q", fts5_query(query))).columns(id=Integer).subquery()

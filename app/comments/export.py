"""Comments as a CSV file, streamed.

One query whatever the number of rows: plain columns (no ORM entities, so no
row can trigger a lazy load) fetched ``yield_per`` rows at a time — a
server-side cursor on PostgreSQL — so memory stays flat at 100,000 rows.
Every cell goes through ``csv_safe`` (app/core/csvfiles.py): a body that a
spreadsheet would read as a formula comes out prefixed with an apostrophe.

The header holds stable English keys, whatever the reader's language, so
that files downloaded by people working in different languages line up and
scripts can rely on them; the values are the stored codes (``published``,
``restricted``, ``amendment``…) for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from flask import Response, stream_with_context
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.models import Organisation, User
from app.comments.models import COMMENT_STATUSES, STATUSES_IN_THREAD, Comment, CommentStatus
from app.consultations.models import Consultation, DraftVersion, Section
from app.core.audit import record
from app.core.csvfiles import csv_lines
from app.core.streaming import rows_from_own_session
from app.core.urls import parse_id, url_template

HEADER = ("comment_id", "permalink", "thread_root_id", "parent_id", "depth", "version", "section_anchor",
          "section_title", "created_at_utc", "author", "organisation", "organisation_kind",
          "organisation_country", "kind", "stance", "audience", "status", "language", "support_count",
          "body_markdown", "proposed_wording", "receipt_number")
# The export of every consultation says which one each comment belongs to.
ALL_CONSULTATIONS_HEADER = ("consultation_id", *HEADER)

BATCH_ROWS = 1000
CHUNK_CHARS = 64 * 1024  # one write per chunk, not one per row


class StatusChoice(StrEnum):
    """The ``status`` query parameter."""

    ALL = "all"  # everything the reader may see
    PUBLISHED = "published"
    PENDING = "pending"


STATUS_CHOICES = tuple(StatusChoice)


@dataclass(frozen=True)
class ExportFilter:
    status: str = StatusChoice.ALL
    # The statuses the rows may have: what was asked for, within what the reader may see.
    statuses: tuple[str, ...] = STATUSES_IN_THREAD
    consultation_id: int | None = None  # None: every consultation
    version_id: int | None = None
    version_number: int | None = None

    def describe(self) -> dict[str, Any]:
        """For the audit entry."""
        return {"consultation": self.consultation_id or "all", "status": self.status,
                "statuses": list(self.statuses), "version": self.version_number}


def parse_status(value: str | None) -> str | None:
    """The ``status`` query parameter; None when it is not one of the choices."""
    value = value or StatusChoice.ALL
    return value if value in STATUS_CHOICES else None


def parse_version_number(value: str | None) -> int | None:
    """The ``version`` query parameter (a version number); raises ValueError when it is not one."""
    if not value:
        return None
    number = parse_id(value)
    if number is None:
        raise ValueError(value)
    return number


def statuses_for(status: str, *, unpublished: bool) -> tuple[str, ...] | None:
    """The statuses ``status`` selects; None when the reader may not ask for it.

    Without ``unpublished`` (the drafting government) a reader gets what the
    threads show: published comments and the placeholders of withdrawn ones.
    """
    if status == StatusChoice.PUBLISHED:
        return (CommentStatus.PUBLISHED,)
    if status == StatusChoice.PENDING:
        return (CommentStatus.PENDING,) if unpublished else None
    return COMMENT_STATUSES if unpublished else STATUSES_IN_THREAD


def find_version(session: Session, consultation: Consultation, number: int) -> DraftVersion | None:
    return session.scalar(select(DraftVersion).where(DraftVersion.consultation_id == consultation.id,
                                                     DraftVersion.number == number))


def record_comment_export(session: Session, consultation: Consultation | None, filters: ExportFilter, *,
                          actor: Any) -> None:
    """Exports carry restricted and unpublished comments: each one is audited."""
    if consultation is None:
        record(session, actor=actor, action="comments.exported", target_type="Consultation",
               after=filters.describe())
    else:
        record(session, actor=actor, action="comments.exported", target=consultation, after=filters.describe())


def export_statement(filters: ExportFilter):
    """Thread order (a materialised path sorts depth-first), consultation by consultation."""
    stmt = (
        select(Comment.consultation_id, Comment.id, Comment.root_id, Comment.parent_id, Comment.depth,
               DraftVersion.number, Section.anchor, Section.number, Section.heading, Comment.created_at,
               User.display_name, Organisation.name, Organisation.kind, Organisation.country_code,
               Comment.kind, Comment.stance, Comment.audience, Comment.status, Comment.language,
               Comment.support_count, Comment.body_source, Comment.proposed_wording, Comment.receipt_number)
        .join(DraftVersion, DraftVersion.id == Comment.version_id)
        .join(User, User.id == Comment.author_id)
        .outerjoin(Section, Section.id == Comment.section_id)
        .outerjoin(Organisation, Organisation.id == Comment.organisation_id)
        .where(Comment.status.in_(filters.statuses))
        .order_by(Comment.consultation_id, Comment.path, Comment.id)
    )
    if filters.consultation_id is not None:
        stmt = stmt.where(Comment.consultation_id == filters.consultation_id)
    if filters.version_id is not None:
        stmt = stmt.where(Comment.version_id == filters.version_id)
    return stmt.execution_options(yield_per=BATCH_ROWS)


def _utc(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_rows(session: Session, filters: ExportFilter, permalink: str) -> Iterator[tuple[Any, ...]]:
    """One tuple per comment, in HEADER order (ALL_CONSULTATIONS_HEADER for every consultation).

    ``permalink`` is a format string with ``{consultation_id}`` and ``{comment_id}``.
    """
    every_consultation = filters.consultation_id is None
    for (consultation_id, comment_id, root_id, parent_id, depth, version, anchor, number, heading, created_at,
         author, organisation, organisation_kind, organisation_country, kind, stance, audience, status,
         language, supports, body, wording, receipt) in session.execute(export_statement(filters)):
        row = (comment_id, permalink.format(consultation_id=consultation_id, comment_id=comment_id),
               root_id or comment_id, parent_id, depth, version, anchor,
               " — ".join(part for part in (number, heading) if part) if anchor else "", _utc(created_at),
               author, organisation, organisation_kind, organisation_country, kind, stance, audience, status,
               language, supports, body, wording, receipt)
        yield (consultation_id, *row) if every_consultation else row


def chunked(lines: Iterable[str], size: int = CHUNK_CHARS) -> Iterator[str]:
    """Lines joined into chunks of about ``size`` characters."""
    buffer: list[str] = []
    length = 0
    for line in lines:
        buffer.append(line)
        length += len(line)
        if length >= size:
            yield "".join(buffer)
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer)


def comments_csv(session: Session, filters: ExportFilter, permalink: str) -> Iterator[str]:
    header = ALL_CONSULTATIONS_HEADER if filters.consultation_id is None else HEADER
    return chunked(csv_lines(header, export_rows(session, filters, permalink)))


def export_filename(consultation: Consultation | None, today: date) -> str:
    if consultation is None:
        return f"agora1540-comments-{today:%Y-%m-%d}.csv"
    return f"agora1540-consultation-{consultation.id}-comments-{today:%Y-%m-%d}.csv"


def permalink_format() -> str:
    """The absolute permalink as a format string: ``url_for`` once, not once per row
    (100,000 calls would add seconds to a large export). Needs a request."""
    return url_template("comments.permalink", "consultation_id", "comment_id", _external=True)


def csv_response(maker: sessionmaker[Session], filters: ExportFilter, consultation: Consultation | None,
                 today: date) -> Response:
    """The streamed download; the rows are read while the response is sent,
    through a session of the stream's own (app/core/streaming.py)."""
    filename = export_filename(consultation, today)
    permalink = permalink_format()
    chunks = rows_from_own_session(maker, lambda session: comments_csv(session, filters, permalink))
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )

"""What the summary services share: the limits, the summary of a consultation, the
check that a consultation can be summarised, and the text rule of every field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.consultations.models import Consultation, Status
from app.core.errors import Conflict, DomainError
from app.summaries.models import Summary

TEXT_MAX = 20_000
POINT_MAX = 5_000


class SummaryNotPublished(Conflict):
    pass


class ConsultationNotPublished(Conflict):
    pass


def clean_text(value: str, *, field_name: str, max_length: int, required: bool, message) -> str:
    """The text without NUL characters and surrounding blanks, refused when empty (if required) or too long."""
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise DomainError(message, field=field_name)
    if len(value) > max_length:
        raise DomainError(_l("Shorten the text to %(max)d characters or fewer.", max=max_length), field=field_name)
    return value


def check_summarisable(consultation: Consultation) -> None:
    """A consultation that was never published has nothing to summarise or forward."""
    if consultation.status == Status.DRAFT or not consultation.published_versions:
        raise ConsultationNotPublished(_l("This consultation is not published; it cannot be summarised or "
                                          "forwarded."))


def get_summary(session: Session, consultation_id: int, *, with_revisions: bool = False) -> Summary | None:
    """The consultation's summary; ``with_revisions``: its revisions in the same statement (the
    consultation page asks which one its reader may see, summary or not, in one query)."""
    query = select(Summary).where(Summary.consultation_id == consultation_id)
    if with_revisions:
        return session.scalars(query.options(joinedload(Summary.revisions))).unique().first()
    return session.scalar(query)

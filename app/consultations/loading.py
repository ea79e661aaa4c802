"""Loading a consultation for a page: the row, or a 404 for whoever may not see it.
Shared by every blueprint whose pages live under /consultations/<id>/."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from flask_login import current_user
from sqlalchemy import DateTime
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.consultations import queries
from app.consultations.models import Consultation, DraftVersion
from app.consultations.policy import can_view_consultation
from app.core.authz import authorize
from app.core.cache import consultation_scope, draft_scope, page_cache
from app.core.db import db
from app.core.handling import or_404


def load_visible(consultation_id: int, *, whole: bool = True) -> Consultation:
    """The consultation, or 404 for whoever may not see it (its existence stays secret).
    ``whole=False`` for the pages under it (see ``queries.load_consultation``): the
    consultation and its versions, kept (``kept_consultation``)."""
    consultation = or_404(queries.load_consultation(db.session, consultation_id) if whole
                          else kept_consultation(consultation_id))
    authorize(can_view_consultation, current_user, consultation, hide=True)
    return consultation


def kept_consultation(consultation_id: int) -> Consultation | None:
    """The consultation's row and its versions' rows, kept under its draft token (any
    change to either renews it) and joined to the session without a query; read
    from the database when nothing is kept, or in a request that writes."""
    loaded: list[Consultation | None] = []

    def produce() -> dict:
        consultation = queries.load_consultation(db.session, consultation_id, whole=False)
        loaded.append(consultation)
        if consultation is None:
            return {"row": None, "versions": []}
        return {"row": row_values(consultation), "versions": [row_values(v) for v in consultation.versions]}

    cache = page_cache()
    # The discussion's token with the draft's, in one read: every page under it shows both.
    cache.read_tokens_first((consultation_scope(consultation_id), draft_scope(consultation_id)))
    kept = cache.row(("consultation", consultation_id), produce, scopes=(draft_scope(consultation_id),))
    if loaded:
        return loaded[0]
    if kept["row"] is None:
        return None
    consultation = detached_row(Consultation, kept["row"])
    versions = [detached_row(DraftVersion, row) for row in kept["versions"]]
    set_committed_value(consultation, "versions", versions)
    for version in versions:
        set_committed_value(version, "consultation", consultation)
    return db.session.merge(consultation, load=False)


def row_values(obj: Any) -> dict:
    """The row's columns to keep, times as ISO 8601 (the same in memory and in Redis's JSON);
    ``detached_row`` makes the instance again."""
    values = {}
    for column in obj.__mapper__.column_attrs:
        value = getattr(obj, column.key)
        values[column.key] = value.isoformat() if isinstance(value, datetime) else value
    return values


def detached_row(model: type, values: dict) -> Any:
    """An instance as if just loaded from ``values``, in no session."""
    times = _time_columns(model)
    obj = model(**{key: datetime.fromisoformat(value) if key in times and value is not None else value
                   for key, value in values.items()})
    make_transient_to_detached(obj)
    return obj


@lru_cache(maxsize=4)
def _time_columns(model: type) -> frozenset[str]:
    types = {c.key: c.expression.type for c in model.__mapper__.column_attrs}
    return frozenset(key for key, kind in types.items() if isinstance(getattr(kind, "impl_instance", kind), DateTime))

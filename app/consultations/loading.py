"""Loading a consultation for a page: the row, or a 404 for whoever may not see it.
Shared by every blueprint whose pages live under /consultations/<id>/."""

from __future__ import annotations

from flask_login import current_user

from app.consultations import queries
from app.consultations.models import Consultation
from app.consultations.policy import can_view_consultation
from app.core.authz import authorize
from app.core.db import db
from app.core.handling import or_404


def load_visible(consultation_id: int, *, whole: bool = True) -> Consultation:
    """The consultation, or 404 for whoever may not see it (its existence stays secret).
    ``whole=False`` for the pages under it (see ``queries.load_consultation``)."""
    consultation = or_404(queries.load_consultation(db.session, consultation_id, whole=whole))
    authorize(can_view_consultation, current_user, consultation, hide=True)
    return consultation

"""A consultation's comments as a download (CSV or XLSX), for its authors and moderators.

The URLs stand in the management area (/manage/consultations/<id>/comments.csv)
beside the page that links to them; the routes belong to the comments blueprint.
"""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from app.comments import export
from app.comments.export_xlsx import xlsx_response
from app.comments.policy import can_export_comments, can_export_unpublished, can_reach_comment_exports
from app.comments.views import bp
from app.consultations.models import Consultation
from app.core.authz import authorize, requires
from app.core.db import db, utcnow
from app.core.handling import get_or_404

BASE = "/manage/consultations/<int:consultation_id>"


@bp.get(f"{BASE}/comments.csv")
@bp.get(f"{BASE}/comments.xlsx", endpoint="export_comments_xlsx")
@requires(can_reach_comment_exports)
def export_comments(consultation_id: int):
    """Every comment of the consultation the reader may see, restricted ones included (audited)."""
    consultation = get_or_404(Consultation, consultation_id)
    authorize(can_export_comments, current_user, consultation, hide=True)
    status = export.parse_status(request.args.get("status"))
    if status is None:
        abort(400)
    statuses = export.statuses_for(status, unpublished=can_export_unpublished(current_user, consultation))
    if statuses is None:
        abort(403)
    try:
        number = export.parse_version_number(request.args.get("version"))
    except ValueError:
        abort(400)
    version = export.find_version(db.session, consultation, number) if number is not None else None
    if number is not None and version is None:
        abort(404)
    filters = export.ExportFilter(status=status, statuses=statuses, consultation_id=consultation.id,
                                  version_id=version.id if version else None, version_number=number)
    # A page view reads in a deferred transaction; the audit entry is written in
    # one that takes SQLite's write lock first, so concurrent downloads queue.
    db.session.rollback()
    with db.writing():
        export.record_comment_export(db.session, consultation, filters, actor=current_user)
        db.session.commit()
    if request.path.endswith(".xlsx"):
        return xlsx_response(db.sessionmaker, filters, consultation, utcnow().date())
    return export.csv_response(db.sessionmaker, filters, consultation, utcnow().date())


@bp.app_context_processor
def _export_helpers():
    # The management page of a consultation offers the unpublished comments only to those who may take them.
    return {"can_export_unpublished": can_export_unpublished}

"""The authors' comment-resolution table: a disposition per request, with the decision and its reason."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.consultations.models import Consultation
from app.consultations.policy import can_manage_consultations
from app.core.authz import authorize, requires
from app.core.db import db
from app.core.handling import get_or_404, handle_form
from app.summaries import queries, services
from app.summaries.forms import (
    ActionForm,
    DispositionForm,
    to_int,
)
from app.summaries.models import Disposition, SummaryPoint
from app.summaries.policy import (
    can_enter_dispositions,
)
from app.summaries.views import MANAGE, _consultation, _section_choices, bp

# --- the authors' resolution table ---------------------------------------------------------------

def _authored(consultation_id: int) -> Consultation:
    consultation = _consultation(consultation_id)
    authorize(can_enter_dispositions, current_user, consultation, hide=True)
    return consultation


def _disposition_form(consultation: Consultation, disposition: Disposition | None = None) -> DispositionForm:
    form = DispositionForm()
    form.section_id.choices = _section_choices(consultation)
    if request.method == "GET" and disposition is not None:
        form.section_id.data = str(disposition.section_id or "")
        form.point_raised.data, form.decision.data = disposition.point_raised, disposition.decision
        form.reason.data, form.comment_ids.data = disposition.reason, [str(i) for i in disposition.comment_ids]
    elif request.method == "GET" and to_int(request.args.get("point")):
        # "Answer this point": the summary point's words, provision and comments, not retyped.
        point = db.session.get(SummaryPoint, to_int(request.args.get("point")))
        if point is not None and point.revision.summary.consultation_id == consultation.id:
            form.section_id.data = str(point.section_id or "")
            form.point_raised.data = point.text_source
            form.comment_ids.data = [str(i) for i in point.comment_ids]
    return form


def _render_manage_resolution(consultation: Consultation, form: DispositionForm,
                              disposition: Disposition | None = None, status: int = 200):
    summary = services.get_summary(db.session, consultation.id)
    published = summary if summary and summary.is_published else None
    section_id = to_int(form.section_id.data)
    comments = queries.citable_comments(db.session, consultation, section_id=section_id, include_restricted=True)
    return render_template(
        "summaries/manage_resolution.html", consultation=consultation, summary=published, form=form,
        disposition=disposition, groups=queries.resolution_table(db.session, published, consultation, current_user),
        summary_points=[p for p in (published.current_revision.points if published and published.current_revision
                                    else [])],
        comments=comments, chosen={str(i) for i in (form.comment_ids.data or [])}, action_form=ActionForm()), status


@bp.route(MANAGE + "/resolution", methods=["GET", "POST"])
@requires(can_manage_consultations)
def manage_resolution(consultation_id: int):
    consultation = _authored(consultation_id)
    form = _disposition_form(consultation)
    if request.form.get("refresh"):  # the form asked for its choices again: nothing is saved
        return _render_manage_resolution(consultation, form, status=200)
    return handle_form(
        form, lambda: services.save_disposition(db.session, consultation, form.data_for_service(),
                                                actor=current_user),
        render=lambda status: _render_manage_resolution(consultation, form, status=status),
        success=_("The disposition is added to the resolution table."),
        redirect_to=url_for(".manage_resolution", consultation_id=consultation.id))


def _disposition_or_404(consultation: Consultation, disposition_id: int) -> Disposition:
    summary = services.get_summary(db.session, consultation.id)
    return get_or_404(Disposition, disposition_id if summary is not None else None,
                      summary_id=summary.id if summary is not None else None)


@bp.route(MANAGE + "/resolution/<int:disposition_id>/edit", methods=["GET", "POST"])
@requires(can_manage_consultations)
def edit_disposition(consultation_id: int, disposition_id: int):
    consultation = _authored(consultation_id)
    disposition = _disposition_or_404(consultation, disposition_id)
    form = _disposition_form(consultation, disposition)
    if request.form.get("refresh"):  # the form asked for its choices again: nothing is saved
        return _render_manage_resolution(consultation, form, disposition, status=200)
    return handle_form(
        form, lambda: services.save_disposition(db.session, consultation, form.data_for_service(),
                                                actor=current_user, disposition=disposition),
        render=lambda status: _render_manage_resolution(consultation, form, disposition, status=status),
        success=_("The disposition is saved."),
        redirect_to=url_for(".manage_resolution", consultation_id=consultation.id))


@bp.post(MANAGE + "/resolution/<int:disposition_id>/delete")
@requires(can_manage_consultations)
def delete_disposition(consultation_id: int, disposition_id: int):
    consultation = _authored(consultation_id)
    disposition = _disposition_or_404(consultation, disposition_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.delete_disposition(db.session, disposition, actor=current_user)
    db.session.commit()
    flash(_("The disposition is removed."), "success")
    return redirect(url_for(".manage_resolution", consultation_id=consultation.id))

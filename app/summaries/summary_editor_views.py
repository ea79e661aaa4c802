"""The moderators' summary editor: the text, its points and publishing a revision."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.comments.policy import can_see_restricted
from app.consultations.models import Consultation
from app.core.authz import requires
from app.core.db import db
from app.core.handling import get_or_404, handle_button, handle_form
from app.summaries import queries, services
from app.summaries.forms import (
    ActionForm,
    PointForm,
    PublishForm,
    SummaryTextForm,
    to_int,
)
from app.summaries.models import SummaryPoint
from app.summaries.policy import (
    can_manage_summaries,
)
from app.summaries.views import MANAGE, _section_choices, _written, bp

# --- the moderators' editor ---------------------------------------------------------------------

def _render_editor(consultation: Consultation, *, text_form=None, publish_form=None, status: int = 200):
    summary = queries.load_summary(db.session, consultation.id)
    revision = summary.working_revision if summary else None
    shown = revision or (summary.current_revision if summary else None)
    if text_form is None:
        text_form = SummaryTextForm()
        if request.method == "GET" and shown is not None:
            text_form.overall.data = shown.overall_source
            text_form.restricted.data = shown.restricted
    from app.summaries.statistics import compute_statistics

    figures = compute_statistics(db.session, consultation.id, include_restricted=bool(shown and shown.restricted))
    return render_template(
        "summaries/edit.html", consultation=consultation, summary=summary, revision=revision, shown=shown,
        groups=queries.grouped_points(shown, consultation, current_user), figures=figures,
        text_form=text_form, publish_form=publish_form or PublishForm(), action_form=ActionForm()), status


@bp.route(MANAGE + "/summary", methods=["GET", "POST"])
@requires(can_manage_summaries)
def edit_summary(consultation_id: int):
    consultation = _written(consultation_id)
    form = SummaryTextForm()
    return handle_form(
        form, lambda: services.save_summary_text(db.session, consultation, overall=form.overall.data or "",
                                                 restricted=bool(form.restricted.data), actor=current_user),
        render=lambda status: _render_editor(consultation, text_form=form if request.method == "POST" else None,
                                             status=status),
        success=_("The draft summary is saved. It is not public until you publish it."),
        redirect_to=_editor_url(consultation))


def _editor_url(consultation: Consultation) -> str:
    return url_for(".edit_summary", consultation_id=consultation.id)


def _point_form(consultation: Consultation, summary, point: SummaryPoint | None = None) -> PointForm:
    form = PointForm()
    form.section_id.choices = _section_choices(consultation)
    if request.method == "GET":
        if point is not None:
            form.section_id.data = str(point.section_id or "")
            form.text.data = point.text_source
            form.comment_ids.data = [str(i) for i in point.comment_ids]
        elif request.args.get("section"):
            form.section_id.data = request.args.get("section", "")[:12]
    return form


def _render_point(consultation: Consultation, form: PointForm, point: SummaryPoint | None, status: int = 200):
    summary = services.get_summary(db.session, consultation.id)
    shown = summary and (summary.working_revision or summary.current_revision)
    restricted = bool(shown and shown.restricted)
    section_id = to_int(form.section_id.data)
    comments = queries.citable_comments(db.session, consultation, section_id=section_id,
                                        include_restricted=restricted or can_see_restricted(current_user,
                                                                                            consultation))
    chosen = {str(i) for i in (form.comment_ids.data or [])}
    return render_template("summaries/point_form.html", consultation=consultation, form=form, point=point,
                           comments=comments, chosen=chosen, restricted=restricted), status


def _point_or_404(consultation: Consultation, point_id: int) -> SummaryPoint:
    return get_or_404(SummaryPoint, point_id,
                      check=lambda point: point.revision.summary.consultation_id == consultation.id)


@bp.route(MANAGE + "/summary/points/new", methods=["GET", "POST"])
@requires(can_manage_summaries)
def add_point(consultation_id: int):
    consultation = _written(consultation_id)
    summary = services.get_summary(db.session, consultation.id)
    form = _point_form(consultation, summary)
    if request.form.get("refresh"):  # the form asked for its choices again: nothing is saved
        return _render_point(consultation, form, None, 200)
    return handle_form(
        form, lambda: services.add_point(db.session, consultation, form.data_for_service(), actor=current_user),
        render=lambda status: _render_point(consultation, form, None, status),
        success=_("The point is added to the draft summary."), redirect_to=_editor_url(consultation))


@bp.route(MANAGE + "/summary/points/<int:point_id>/edit", methods=["GET", "POST"])
@requires(can_manage_summaries)
def edit_point(consultation_id: int, point_id: int):
    consultation = _written(consultation_id)
    point = _point_or_404(consultation, point_id)
    form = _point_form(consultation, point.revision.summary, point)
    if request.form.get("refresh"):  # the form asked for its choices again: nothing is saved
        return _render_point(consultation, form, point, 200)
    return handle_form(
        form, lambda: services.update_point(db.session, consultation, point, form.data_for_service(),
                                            actor=current_user),
        render=lambda status: _render_point(consultation, form, point, status),
        success=_("The point is saved."), redirect_to=_editor_url(consultation))


@bp.post(MANAGE + "/summary/points/<int:point_id>/delete")
@requires(can_manage_summaries)
def delete_point(consultation_id: int, point_id: int):
    consultation = _written(consultation_id)
    point = _point_or_404(consultation, point_id)
    return handle_button(ActionForm(), lambda: services.delete_point(db.session, consultation, point,
                                                                     actor=current_user),
                         success=_("The point is removed from the draft summary."),
                         redirect_to=_editor_url(consultation))


@bp.post(MANAGE + "/summary/publish")
@requires(can_manage_summaries)
def publish_summary(consultation_id: int):
    consultation = _written(consultation_id)
    form = PublishForm()
    return handle_form(
        form, lambda: services.publish_summary(db.session, consultation, change_note=form.change_note.data or "",
                                               actor=current_user),
        render=lambda status: _render_editor(consultation, publish_form=form, status=status),
        success=lambda revision: _("Revision %(number)d of the summary is published.", number=revision.number),
        redirect_to=_editor_url(consultation))

"""Summary pages: the public summary and resolution table (with CSV/XLSX
export), the moderators' editor and forwarding page under
/manage/consultations/<id>/summary, the authors' resolution editor, and
"forwarded to me" for focal points.

Every view: load or 404 → authorize → validate → one service → one commit →
flash and redirect (or re-render with a 4xx and the errors).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, Scope
from app.accounts.org_forms import KIND_LABELS as ORGANISATION_KIND_LABELS
from app.comments.forms import KIND_BADGES, STANCE_LABELS
from app.comments.policy import can_see_restricted
from app.consultations import queries as consultation_queries
from app.consultations.models import Consultation
from app.consultations.policy import can_manage_consultations, can_view_consultation
from app.core.authz import authorize, login_required, public, requires
from app.core.db import db
from app.core.errors import DomainError
from app.geography.queries import all_regions, country_name
from app.summaries import exports, queries, services
from app.summaries.forms import (
    DECISION_LABELS,
    ActionForm,
    DispositionForm,
    ForwardForm,
    PointForm,
    PublishForm,
    ResponseForm,
    SummaryTextForm,
    to_int,
)
from app.summaries.models import Disposition, Forwarding, SummaryPoint
from app.summaries.policy import (
    can_enter_dispositions,
    can_manage_summaries,
    can_respond_to_forwarding,
    can_use_forwarded_inbox,
    can_view_forwarding,
    can_view_summary,
    can_write_summary,
)

bp = Blueprint("summaries", __name__)

MANAGE = "/manage/consultations/<int:consultation_id>"


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals.update(
        DECISION_LABELS=DECISION_LABELS, can_view_summary=can_view_summary, can_write_summary=can_write_summary,
        can_enter_dispositions=can_enter_dispositions, can_use_forwarded_inbox=can_use_forwarded_inbox,
        summary_of=lambda consultation_id: services.get_summary(db.session, consultation_id),
        # Globals rather than a context processor, so imported macros see them too.
        SUMMARY_KIND_LABELS=KIND_BADGES, SUMMARY_STANCE_LABELS=STANCE_LABELS,
        ORGANISATION_KIND_LABELS=ORGANISATION_KIND_LABELS,
    )


def _consultation(consultation_id: int) -> Consultation:
    consultation = consultation_queries.load_consultation(db.session, consultation_id)
    if consultation is None:
        abort(404)
    return consultation


def _visible(consultation_id: int) -> Consultation:
    consultation = _consultation(consultation_id)
    authorize(can_view_consultation, current_user, consultation, hide=True)
    return consultation


def _written(consultation_id: int) -> Consultation:
    consultation = _consultation(consultation_id)
    authorize(can_write_summary, current_user, consultation, hide=True)
    return consultation


def _section_choices(consultation: Consultation) -> list[tuple[str, str]]:
    choices = [("", _("The draft as a whole"))]
    for section in queries.consultation_sections(db.session, consultation):
        label = section.title or section.anchor
        if section.version.number != (consultation.current_version.number if consultation.current_version else 0):
            label = _("%(title)s (version %(number)d)", title=label, number=section.version.number)
        choices.append((str(section.id), label))
    return choices


# --- public pages --------------------------------------------------------------------------

@bp.get("/consultations/<int:consultation_id>/summary")
@public
def show_summary(consultation_id: int):
    consultation = _visible(consultation_id)
    summary = queries.load_summary(db.session, consultation.id)
    if summary is None or summary.current_revision is None:
        if can_write_summary(current_user, consultation):
            return redirect(url_for(".edit_summary", consultation_id=consultation.id))
        return render_template("summaries/show.html", consultation=consultation, summary=None, revision=None,
                               groups=[], responses=[])
    authorize(can_view_summary, current_user, summary, consultation, hide=True)
    revision = summary.current_revision
    return render_template(
        "summaries/show.html", consultation=consultation, summary=summary, revision=revision,
        groups=queries.grouped_points(revision, consultation, current_user),
        responses=queries.published_responses(db.session, summary))


def _resolution(consultation_id: int):
    consultation = _visible(consultation_id)
    summary = services.get_summary(db.session, consultation.id)
    if summary is not None and summary.is_published and summary.restricted:
        authorize(can_view_summary, current_user, summary, consultation, hide=True)
    groups = queries.resolution_table(db.session, summary if summary and summary.is_published else None,
                                      consultation, current_user)
    return consultation, summary, groups


@bp.get("/consultations/<int:consultation_id>/resolution")
@public
def resolution(consultation_id: int):
    consultation, summary, groups = _resolution(consultation_id)
    return render_template("summaries/resolution.html", consultation=consultation, summary=summary, groups=groups)


def _export_name(consultation: Consultation, extension: str) -> str:
    return f"resolution-table-{consultation.id}.{extension}"


@bp.get("/consultations/<int:consultation_id>/resolution.csv")
@public
def resolution_csv(consultation_id: int):
    consultation, _summary, groups = _resolution(consultation_id)
    base = current_app.config["BASE_URL"].rstrip("/")
    body = "".join(exports.resolution_csv(groups, base, consultation.id))
    return Response(body, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{_export_name(consultation, "csv")}"',
        "X-Content-Type-Options": "nosniff"})


@bp.get("/consultations/<int:consultation_id>/resolution.xlsx")
@public
def resolution_xlsx(consultation_id: int):
    consultation, _summary, groups = _resolution(consultation_id)
    base = current_app.config["BASE_URL"].rstrip("/")
    return Response(exports.resolution_xlsx(groups, base, consultation.id),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers={
                        "Content-Disposition": f'attachment; filename="{_export_name(consultation, "xlsx")}"',
                        "X-Content-Type-Options": "nosniff"})


# --- the moderators' editor ---------------------------------------------------------------------

def _render_editor(consultation: Consultation, *, text_form=None, publish_form=None, status: int = 200):
    summary = queries.load_summary(db.session, consultation.id)
    revision = summary.working_revision if summary else None
    shown = revision or (summary.current_revision if summary else None)
    if text_form is None:
        text_form = SummaryTextForm()
        if request.method == "GET" and shown is not None:
            text_form.overall.data = shown.overall_source
            text_form.restricted.data = summary.restricted
    from app.summaries.statistics import compute_statistics

    figures = compute_statistics(db.session, consultation.id,
                                 include_restricted=bool(summary and summary.restricted))
    return render_template(
        "summaries/edit.html", consultation=consultation, summary=summary, revision=revision, shown=shown,
        groups=queries.grouped_points(shown, consultation, current_user), figures=figures,
        text_form=text_form, publish_form=publish_form or PublishForm(), action_form=ActionForm()), status


@bp.route(MANAGE + "/summary", methods=["GET", "POST"])
@requires(can_manage_summaries)
def edit_summary(consultation_id: int):
    consultation = _written(consultation_id)
    form = SummaryTextForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _render_editor(consultation, text_form=form if request.method == "POST" else None,
                              status=400 if request.method == "POST" else 200)
    try:
        services.save_summary_text(db.session, consultation, overall=form.overall.data or "",
                                   restricted=bool(form.restricted.data), actor=current_user)
    except DomainError as err:
        db.session.rollback()
        form.add_domain_error(err)
        return _render_editor(consultation, text_form=form, status=err.status_code)
    db.session.commit()
    flash(_("The draft summary is saved. It is not public until you publish it."), "success")
    return redirect(url_for(".edit_summary", consultation_id=consultation.id))


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
    restricted = bool(summary and summary.restricted)
    section_id = to_int(form.section_id.data)
    comments = queries.citable_comments(db.session, consultation, section_id=section_id,
                                        include_restricted=restricted or can_see_restricted(current_user,
                                                                                            consultation))
    chosen = {str(i) for i in (form.comment_ids.data or [])}
    return render_template("summaries/point_form.html", consultation=consultation, form=form, point=point,
                           comments=comments, chosen=chosen, restricted=restricted), status


def _point_or_404(consultation: Consultation, point_id: int) -> SummaryPoint:
    point = db.session.get(SummaryPoint, point_id)
    if point is None or point.revision.summary.consultation_id != consultation.id:
        abort(404)
    return point


@bp.route(MANAGE + "/summary/points/new", methods=["GET", "POST"])
@requires(can_manage_summaries)
def add_point(consultation_id: int):
    consultation = _written(consultation_id)
    summary = services.get_summary(db.session, consultation.id)
    form = _point_form(consultation, summary)
    if request.method == "GET" or request.form.get("refresh") or not form.validate_on_submit():
        return _render_point(consultation, form, None, 400 if request.method == "POST" and not request.form.get(
            "refresh") else 200)
    try:
        services.add_point(db.session, consultation, form.data_for_service(), actor=current_user)
    except DomainError as err:
        db.session.rollback()
        form.add_domain_error(err)
        return _render_point(consultation, form, None, err.status_code)
    db.session.commit()
    flash(_("The point is added to the draft summary."), "success")
    return redirect(url_for(".edit_summary", consultation_id=consultation.id))


@bp.route(MANAGE + "/summary/points/<int:point_id>/edit", methods=["GET", "POST"])
@requires(can_manage_summaries)
def edit_point(consultation_id: int, point_id: int):
    consultation = _written(consultation_id)
    point = _point_or_404(consultation, point_id)
    form = _point_form(consultation, point.revision.summary, point)
    if request.method == "GET" or request.form.get("refresh") or not form.validate_on_submit():
        return _render_point(consultation, form, point, 400 if request.method == "POST" and not request.form.get(
            "refresh") else 200)
    try:
        services.update_point(db.session, consultation, point, form.data_for_service(), actor=current_user)
    except DomainError as err:
        db.session.rollback()
        form.add_domain_error(err)
        return _render_point(consultation, form, point, err.status_code)
    db.session.commit()
    flash(_("The point is saved."), "success")
    return redirect(url_for(".edit_summary", consultation_id=consultation.id))


@bp.post(MANAGE + "/summary/points/<int:point_id>/delete")
@requires(can_manage_summaries)
def delete_point(consultation_id: int, point_id: int):
    consultation = _written(consultation_id)
    point = _point_or_404(consultation, point_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.delete_point(db.session, consultation, point, actor=current_user)
    except DomainError as err:
        flash(str(err.message), "error")
    else:
        db.session.commit()
        flash(_("The point is removed from the draft summary."), "success")
    return redirect(url_for(".edit_summary", consultation_id=consultation.id))


@bp.post(MANAGE + "/summary/publish")
@requires(can_manage_summaries)
def publish_summary(consultation_id: int):
    consultation = _written(consultation_id)
    form = PublishForm()
    if not form.validate_on_submit():
        return _render_editor(consultation, publish_form=form, status=400)
    try:
        revision = services.publish_summary(db.session, consultation, change_note=form.change_note.data or "",
                                            actor=current_user)
    except DomainError as err:
        db.session.rollback()
        form.add_domain_error(err)
        return _render_editor(consultation, publish_form=form, status=err.status_code)
    db.session.commit()
    flash(_("Revision %(number)d of the summary is published.", number=revision.number), "success")
    return redirect(url_for(".edit_summary", consultation_id=consultation.id))


# --- forwarding --------------------------------------------------------------------------------

def _forward_form(consultation: Consultation) -> ForwardForm:
    form = ForwardForm()
    form.regions.choices = [(r.code, f"{r.code} — {r.full_name}") for r in all_regions(db.session)]
    codes = {consultation.country_code}
    codes |= set(db.session.scalars(select(RoleGrant.scope_key).where(
        RoleGrant.role == Role.FOCAL_POINT, RoleGrant.scope_type == Scope.COUNTRY)))
    form.countries.choices = sorted(((c, country_name(c)) for c in codes), key=lambda i: i[1].casefold())
    if request.method == "GET":
        form.regions.data = list(consultation.region_codes)
    return form


def _render_forward(consultation: Consultation, form: ForwardForm, status: int = 200):
    summary = queries.load_summary(db.session, consultation.id)
    scopes = db.session.execute(select(RoleGrant.scope_type, RoleGrant.scope_key).where(
        RoleGrant.role == Role.FOCAL_POINT).distinct()).all()
    return render_template("summaries/forward.html", consultation=consultation, summary=summary, form=form,
                           forwardings=queries.forwardings_of(db.session, summary),
                           has_focal_point={f"{kind}:{key}" for kind, key in scopes}), status


@bp.route(MANAGE + "/summary/forward", methods=["GET", "POST"])
@requires(can_manage_summaries)
def forward_summary(consultation_id: int):
    consultation = _written(consultation_id)
    form = _forward_form(consultation)
    if request.method == "GET" or not form.validate_on_submit():
        return _render_forward(consultation, form, 400 if request.method == "POST" else 200)
    try:
        forwardings = services.forward_summary(
            db.session, consultation, regions=form.regions.data or [], countries=form.countries.data or [],
            note=form.note.data or "", actor=current_user)
    except DomainError as err:
        db.session.rollback()
        form.add_domain_error(err)
        return _render_forward(consultation, form, err.status_code)
    db.session.commit()
    people = sum(len(f.recipients) for f in forwardings)
    flash(_("The summary is forwarded to %(targets)s (%(people)s).",
            targets=", ".join(f.target_key for f in forwardings),
            people=_("%(num)d focal points", num=people) if people != 1 else _("1 focal point")), "success")
    return redirect(url_for(".forward_summary", consultation_id=consultation.id))


# --- forwarded to me ----------------------------------------------------------------------------

@bp.get("/forwarded")
@requires(can_use_forwarded_inbox)
def forwarded_to_me():
    page = queries.forwarded_to(db.session, current_user, request.args.get("page"))
    return render_template("summaries/forwarded_list.html", page=page)


def _forwarding(forwarding_id: int) -> tuple[Forwarding, Consultation]:
    forwarding = queries.load_forwarding(db.session, forwarding_id)
    if forwarding is None:
        abort(404)
    consultation = forwarding.revision.summary.consultation
    authorize(can_view_forwarding, current_user, forwarding, consultation, hide=True)
    return forwarding, consultation


def _render_forwarding(forwarding: Forwarding, consultation: Consultation, form: ResponseForm | None = None,
                       status: int = 200):
    revision = forwarding.revision
    changes = services.changes_since_last(db.session, revision.summary, revision, forwarding.target_type,
                                          forwarding.target_key, before=forwarding.created_at)
    mine = next((r for r in forwarding.recipients if r.user_id == current_user.id), None)
    return render_template(
        "summaries/forwarding.html", forwarding=forwarding, consultation=consultation, revision=revision,
        summary=revision.summary, groups=queries.grouped_points(revision, consultation, current_user),
        changes=changes, mine=mine, form=form or ResponseForm(), action_form=ActionForm(),
        may_respond=can_respond_to_forwarding(current_user, forwarding)), status


@bp.get("/forwarded/<int:forwarding_id>")
@login_required
def show_forwarding(forwarding_id: int):
    forwarding, consultation = _forwarding(forwarding_id)
    return _render_forwarding(forwarding, consultation)


@bp.post("/forwarded/<int:forwarding_id>/acknowledge")
@requires(can_use_forwarded_inbox)
def acknowledge(forwarding_id: int):
    forwarding, _consultation = _forwarding(forwarding_id)
    authorize(can_respond_to_forwarding, current_user, forwarding)
    if not ActionForm().validate_on_submit():
        abort(400)
    changed = services.acknowledge_forwarding(db.session, forwarding, actor=current_user)
    db.session.commit()
    flash(_("You acknowledged receipt of this summary.") if changed
          else _("You had already acknowledged this summary."), "success")
    return redirect(url_for(".show_forwarding", forwarding_id=forwarding.id))


@bp.post("/forwarded/<int:forwarding_id>/reply")
@requires(can_use_forwarded_inbox)
def reply(forwarding_id: int):
    forwarding, consultation = _forwarding(forwarding_id)
    authorize(can_respond_to_forwarding, current_user, forwarding)
    form = ResponseForm()
    if not form.validate_on_submit():
        return _render_forwarding(forwarding, consultation, form, 400)
    try:
        services.respond_to_forwarding(db.session, forwarding, body=form.body.data or "",
                                       publish=bool(form.publish.data), actor=current_user)
    except DomainError as err:
        db.session.rollback()
        form.add_domain_error(err)
        return _render_forwarding(forwarding, consultation, form, err.status_code)
    db.session.commit()
    flash(_("Your reply is sent to the moderators and the drafting government."), "success")
    return redirect(url_for(".show_forwarding", forwarding_id=forwarding.id))


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
        comments=comments, chosen={str(i) for i in (form.comment_ids.data or [])}, action_form=ActionForm()), status


@bp.route(MANAGE + "/resolution", methods=["GET", "POST"])
@requires(can_manage_consultations)
def manage_resolution(consultation_id: int):
    consultation = _authored(consultation_id)
    form = _disposition_form(consultation)
    if request.method == "GET" or request.form.get("refresh") or not form.validate_on_submit():
        return _render_manage_resolution(consultation, form, status=400 if request.method == "POST"
                                         and not request.form.get("refresh") else 200)
    try:
        services.save_disposition(db.session, consultation, form.data_for_service(), actor=current_user)
    except DomainError as err:
        db.session.rollback()
        form.add_domain_error(err)
        return _render_manage_resolution(consultation, form, status=err.status_code)
    db.session.commit()
    flash(_("The disposition is added to the resolution table."), "success")
    return redirect(url_for(".manage_resolution", consultation_id=consultation.id))


def _disposition_or_404(consultation: Consultation, disposition_id: int) -> Disposition:
    disposition = db.session.get(Disposition, disposition_id)
    summary = services.get_summary(db.session, consultation.id)
    if disposition is None or summary is None or disposition.summary_id != summary.id:
        abort(404)
    return disposition


@bp.route(MANAGE + "/resolution/<int:disposition_id>/edit", methods=["GET", "POST"])
@requires(can_manage_consultations)
def edit_disposition(consultation_id: int, disposition_id: int):
    consultation = _authored(consultation_id)
    disposition = _disposition_or_404(consultation, disposition_id)
    form = _disposition_form(consultation, disposition)
    if request.method == "GET" or request.form.get("refresh") or not form.validate_on_submit():
        return _render_manage_resolution(consultation, form, disposition, status=400 if request.method == "POST"
                                         and not request.form.get("refresh") else 200)
    try:
        services.save_disposition(db.session, consultation, form.data_for_service(), actor=current_user,
                                  disposition=disposition)
    except DomainError as err:
        db.session.rollback()
        form.add_domain_error(err)
        return _render_manage_resolution(consultation, form, disposition, status=err.status_code)
    db.session.commit()
    flash(_("The disposition is saved."), "success")
    return redirect(url_for(".manage_resolution", consultation_id=consultation.id))


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

"""Forwarding a published summary to focal points, and their inbox of forwarded summaries."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, Scope
from app.consultations.models import Consultation
from app.core.authz import authorize, login_required, requires
from app.core.db import db
from app.core.handling import handle_form, or_404
from app.geography.queries import all_regions, country_name
from app.summaries import queries, services
from app.summaries.forms import (
    ActionForm,
    ForwardForm,
    ResponseForm,
)
from app.summaries.models import Forwarding
from app.summaries.policy import (
    can_manage_summaries,
    can_respond_to_forwarding,
    can_use_forwarded_inbox,
    can_view_forwarding,
    can_view_summary_revision,
)
from app.summaries.views import MANAGE, _written, bp

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

    def forwarded(forwardings) -> str:
        people = sum(len(f.recipients) for f in forwardings)
        return _("The summary is forwarded to %(targets)s (%(people)s).",
                 targets=", ".join(f.target_key for f in forwardings),
                 people=_("%(num)d focal points", num=people) if people != 1 else _("1 focal point"))

    return handle_form(
        form, lambda: services.forward_summary(
            db.session, consultation, regions=form.regions.data or [], countries=form.countries.data or [],
            note=form.note.data or "", actor=current_user),
        render=lambda status: _render_forward(consultation, form, status), success=forwarded,
        redirect_to=url_for(".forward_summary", consultation_id=consultation.id))


# --- forwarded to me ----------------------------------------------------------------------------

@bp.get("/forwarded")
@requires(can_use_forwarded_inbox)
def forwarded_to_me():
    page = queries.forwarded_to(db.session, current_user, request.args.get("page"))
    return render_template("summaries/forwarded_list.html", page=page)


def _forwarding(forwarding_id: int) -> tuple[Forwarding, Consultation]:
    forwarding = or_404(queries.load_forwarding(db.session, forwarding_id))
    consultation = forwarding.revision.summary.consultation
    authorize(can_view_forwarding, current_user, forwarding, consultation, hide=True)
    return forwarding, consultation


def _render_forwarding(forwarding: Forwarding, consultation: Consultation, form: ResponseForm | None = None,
                       status: int = 200):
    revision = forwarding.revision
    changes = services.changes_since_last(db.session, revision.summary, revision, forwarding.target_type,
                                          forwarding.target_key, before=forwarding.created_at)
    if changes is not None:
        changes = [r for r in changes if can_view_summary_revision(current_user, r, consultation)]
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
    return handle_form(
        form, lambda: services.respond_to_forwarding(db.session, forwarding, body=form.body.data or "",
                                                     publish=bool(form.publish.data), actor=current_user),
        render=lambda status: _render_forwarding(forwarding, consultation, form, status),
        success=_("Your reply is sent to the moderators and the drafting government."),
        redirect_to=url_for(".show_forwarding", forwarding_id=forwarding.id))

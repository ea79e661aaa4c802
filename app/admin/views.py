"""Administration pages under /manage/admin: users, role grants,
organisations to verify, the outbox and the audit log."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import organisations as organisation_services
from app.accounts import roles as role_services
from app.accounts.models import Organisation, RoleGrant, User
from app.accounts.policy import is_admin
from app.admin import queries, services
from app.admin.forms import (
    ROLE_LABELS,
    SCOPE_LABELS,
    USER_STATUS_LABELS,
    AuditFilterForm,
    ConfirmForm,
    GrantForm,
    ReactivateForm,
    SuspendForm,
    UserSearchForm,
)
from app.core.audit import verify_chain
from app.core.authz import requires
from app.core.csvfiles import csv_lines
from app.core.db import db, utcnow
from app.core.handling import get_or_404, handle_button, handle_form, or_404
from app.core.i18n import select_timezone
from app.core.models import OutboxMessage
from app.core.pagination import paginate
from app.core.security import safe_next
from app.core.streaming import rows_from_own_session

bp = Blueprint("admin", __name__, url_prefix="/manage/admin")

PER_PAGE = 25


@bp.context_processor
def _labels():
    return {"ROLE_LABELS": ROLE_LABELS, "SCOPE_LABELS": SCOPE_LABELS, "USER_STATUS_LABELS": USER_STATUS_LABELS}


def _back(default: str) -> str:
    return safe_next(request.form.get("next"), default)


# --- home ---------------------------------------------------------------------------

@bp.get("/")
@requires(is_admin)
def index():
    return render_template("admin/index.html", counts=queries.admin_counts(db.session))


# --- users and role grants --------------------------------------------------------

@bp.get("/users")
@requires(is_admin)
def users():
    search = UserSearchForm(request.args)
    valid = search.validate()
    stmt = queries.users_query(search.q.data if valid else None, search.status.data if valid else None)
    page = paginate(stmt, request.args.get("page"), PER_PAGE)
    return render_template("admin/users.html", search=search, page=page,
                           filtered=any(request.args.get(k) for k in ("q", "status")))


def _render_user(user: User, status: int = 200, **forms):
    forms.setdefault("grant_form", GrantForm(formdata=None, prefix="grant"))
    forms.setdefault("suspend_form", SuspendForm(formdata=None, prefix="suspend"))
    forms.setdefault("reactivate_form", ReactivateForm(formdata=None, prefix="reactivate"))
    return render_template("admin/user.html", user=user, grants=queries.grants_of(db.session, user),
                           **forms), status


def _user_or_404(user_id: int) -> User:
    user = or_404(queries.user_with_details(db.session, user_id))
    return user


@bp.get("/users/<int:user_id>")
@requires(is_admin)
def user(user_id: int):
    return _render_user(_user_or_404(user_id))


@bp.post("/users/<int:user_id>/suspend")
@requires(is_admin)
def suspend_user(user_id: int):
    target = _user_or_404(user_id)
    form = SuspendForm(prefix="suspend")
    return handle_form(
        form, lambda: services.suspend_user(db.session, target, reason=form.reason.data, actor=current_user),
        render=lambda status: _render_user(_user_or_404(user_id), status, suspend_form=form),
        success=_("%(name)s is suspended and signed out everywhere.", name=target.display_name),
        redirect_to=url_for(".user", user_id=target.id))


@bp.post("/users/<int:user_id>/reactivate")
@requires(is_admin)
def reactivate_user(user_id: int):
    target = _user_or_404(user_id)
    form = ReactivateForm(prefix="reactivate")
    return handle_form(
        form, lambda: services.reactivate_user(db.session, target, reason=form.reason.data, actor=current_user),
        render=lambda status: _render_user(_user_or_404(user_id), status, reactivate_form=form),
        success=_("%(name)s can sign in again.", name=target.display_name),
        redirect_to=url_for(".user", user_id=target.id))


@bp.post("/users/<int:user_id>/grants")
@requires(is_admin)
def grant_role(user_id: int):
    target = _user_or_404(user_id)
    form = GrantForm(prefix="grant")
    return handle_form(
        form, lambda: role_services.grant_role(db.session, target, role=form.role.data,
                                               scope_type=form.scope_type.data, scope_key=form.scope_key.data,
                                               reason=form.reason.data, actor=current_user),
        render=lambda status: _render_user(_user_or_404(user_id), status, grant_form=form),
        success=lambda _grant: _("%(name)s is now %(role)s.", name=target.display_name,
                                 role=ROLE_LABELS[form.role.data]),
        redirect_to=url_for(".user", user_id=target.id))


@bp.post("/users/<int:user_id>/grants/<int:grant_id>/revoke")
@requires(is_admin)
def revoke_role(user_id: int, grant_id: int):
    target = _user_or_404(user_id)
    role_grant = get_or_404(RoleGrant, grant_id, user_id=target.id)
    return handle_button(ConfirmForm(), lambda: role_services.revoke_role(db.session, role_grant, actor=current_user),
                         success=_("The role is revoked."), redirect_to=url_for(".user", user_id=target.id))


# --- organisations --------------------------------------------------------------------

@bp.get("/organisations")
@requires(is_admin)
def organisations():
    show = request.args.get("show", "awaiting")
    if show not in ("awaiting", "verified", "all"):
        show = "awaiting"
    page = paginate(queries.organisations_to_verify_query(show), request.args.get("page"), PER_PAGE)
    counts = organisation_services.member_counts(db.session, [o.id for o in page.items])
    return render_template("admin/organisations.html", page=page, show=show, counts=counts,
                           back=request.full_path.rstrip("?"))


def _set_verified(organisation_id: int, verified: bool):
    organisation = get_or_404(Organisation, organisation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    action = organisation_services.verify_organisation if verified else organisation_services.unverify_organisation
    action(db.session, organisation, actor=current_user)
    db.session.commit()
    if verified:
        flash(_("%(name)s is verified. Its members can now comment on its behalf.", name=organisation.name), "success")
    else:
        flash(_("%(name)s is no longer verified.", name=organisation.name), "success")
    return redirect(_back(url_for("organisations.profile", organisation_id=organisation.id)))


@bp.post("/organisations/<int:organisation_id>/verify")
@requires(is_admin)
def verify_organisation(organisation_id: int):
    return _set_verified(organisation_id, True)


@bp.post("/organisations/<int:organisation_id>/unverify")
@requires(is_admin)
def unverify_organisation(organisation_id: int):
    return _set_verified(organisation_id, False)


# --- outbox ---------------------------------------------------------------------------

@bp.get("/outbox")
@requires(is_admin)
def outbox():
    page = paginate(queries.dead_letters_query(), request.args.get("page"), PER_PAGE)
    return render_template("admin/outbox.html", counts=queries.outbox_counts(db.session), page=page)


@bp.post("/outbox/<int:message_id>/resend")
@requires(is_admin)
def resend_message(message_id: int):
    message = get_or_404(OutboxMessage, message_id)
    address = message.to_address
    # A second click changes nothing and gets the same answer.
    return handle_button(ConfirmForm(), lambda: services.resend_outbox_message(db.session, message,
                                                                               actor=current_user),
                         success=_("The message to %(address)s is queued again.", address=address),
                         redirect_to=url_for(".outbox"))


# --- audit log ------------------------------------------------------------------------

def _audit_filters() -> tuple[AuditFilterForm, queries.AuditFilter | None]:
    form = AuditFilterForm(request.args, actions=queries.audit_actions(db.session),
                           target_types=queries.audit_target_types(db.session))
    if not form.validate():
        return form, None
    return form, queries.AuditFilter(
        action=form.action.data or None, actor=form.actor.data or None, target_type=form.target_type.data or None,
        date_from=form.date_from.data, date_to=form.date_to.data, timezone=select_timezone(),
    )


@bp.get("/audit")
@requires(is_admin)
def audit():
    form, filters = _audit_filters()
    if filters is None:
        return render_template("admin/audit.html", form=form, page=None, actors={}, filtered=True), 400
    page = paginate(queries.audit_query(db.session, filters), request.args.get("page"), PER_PAGE)
    return render_template(
        "admin/audit.html", form=form, page=page, actors=queries.actors_by_id(db.session, page.items),
        filtered=any(request.args.get(k) for k in ("action", "actor", "target_type", "date_from", "date_to")),
    )


AUDIT_CSV_HEADER = ("id", "created_at_utc", "actor_id", "actor_email", "action", "target_type", "target_id",
                    "reason", "before", "after", "prev_hash", "hash")


@bp.get("/audit/export.csv")
@requires(is_admin)
def audit_export():
    _form, filters = _audit_filters()
    if filters is None:
        abort(400)

    def rows(session):
        for entry, email in queries.audit_rows_for_export(session, filters):
            yield (entry.id, entry.created_at.isoformat(), entry.actor_id, email, entry.action, entry.target_type,
                   entry.target_id, entry.reason, entry.before, entry.after, entry.prev_hash, entry.hash)

    filename = f"agora1540-audit-{utcnow():%Y%m%d-%H%M%S}.csv"
    return Response(
        stream_with_context(rows_from_own_session(
            db.sessionmaker, lambda session: csv_lines(AUDIT_CSV_HEADER, rows(session)))),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "X-Content-Type-Options": "nosniff"},
    )


@bp.get("/audit/verify")
@requires(is_admin)
def audit_verify():
    # A session of its own: verify_chain empties its session between batches.
    session = db.sessionmaker()
    try:
        report = verify_chain(session)
    finally:
        session.close()
    return render_template("admin/audit_verify.html", report=report)

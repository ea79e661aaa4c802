"""An author's moderation history, and sanctions: give one, lift one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import User
from app.comments.models import Comment
from app.core.authz import requires
from app.core.db import db
from app.core.handling import get_or_404, handle_form
from app.core.i18n import select_timezone
from app.moderation import queries, services
from app.moderation.forms import (
    SANCTION_LABELS,
    LiftForm,
    SanctionForm,
    to_int,
)
from app.moderation.models import Sanction
from app.moderation.policy import (
    can_sanction,
    can_use_queue,
    moderated_consultation_ids,
)
from app.moderation.views import _forged_reason, _with_reasons, bp

# --- authors and sanctions -----------------------------------------------------------

def _render_user(user: User, status: int = 200, form: SanctionForm | None = None,
                 lift_forms: dict | None = None, messages: list[str] = ()):
    for message in messages:  # a refusal that belongs to no field of the small lift form
        flash(message, "error")
    if form is None:
        form = _with_reasons(SanctionForm(formdata=None, comment_id=request.args.get("comment", "")))
    scope = moderated_consultation_ids(current_user)
    sanctions = queries.user_sanctions(db.session, user.id, consultation_ids=scope)
    return render_template(
        "moderation/user.html", subject=user, sanctions=sanctions, form=form,
        decisions=queries.user_decisions(db.session, user.id, consultation_ids=scope),
        lift_forms=lift_forms or {}, lift_form=LiftForm(formdata=None), now=services.utcnow()), status


@bp.get("/manage/moderation/users/<int:user_id>")
@requires(can_use_queue)
def show_user(user_id: int):
    return _render_user(get_or_404(User, user_id))


def _utc_from_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(select_timezone())).astimezone(ZoneInfo("UTC"))


@bp.post("/manage/moderation/users/<int:user_id>/sanctions")
@requires(can_sanction)
def sanction_user(user_id: int):
    subject = get_or_404(User, user_id)
    form = _with_reasons(SanctionForm())
    if form.is_submitted() and _forged_reason(form):
        abort(400)

    def call():
        comment_id = to_int(form.comment_id.data)
        comment = db.session.get(Comment, comment_id) if comment_id else None
        return services.sanction_user(db.session, subject, kind=form.kind.data or "",
                                      reason_id=to_int(form.reason_id.data), reason_text=form.reason_text.data or "",
                                      ends_at=_utc_from_local(form.ends_at.data), comment=comment,
                                      actor=current_user)

    return handle_form(
        form, call, render=lambda status: _render_user(get_or_404(User, user_id), status, form=form),
        success=lambda _sanction: _("Sanction recorded: %(kind)s. %(name)s has been told why.",
                                    kind=SANCTION_LABELS[form.kind.data], name=subject.display_name),
        redirect_to=url_for(".show_user", user_id=subject.id))


@bp.post("/manage/moderation/sanctions/<int:sanction_id>/lift")
@requires(can_sanction)
def lift_sanction(sanction_id: int):
    sanction = get_or_404(Sanction, sanction_id)
    form = LiftForm()
    user_id = sanction.user_id
    return handle_form(
        form, lambda: services.lift_sanction(db.session, sanction, reason_text=form.reason_text.data or "",
                                             actor=current_user),
        render=lambda status: _render_user(get_or_404(User, user_id), status, lift_forms={sanction_id: form},
                                           messages=form.form_errors),
        success=_("The sanction was lifted; the account holder has been told."),
        redirect_to=url_for(".show_user", user_id=user_id))

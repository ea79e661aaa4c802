"""Pages of a person's own data: "Your data" (a copy, closing the account)
and the same two actions for administrators acting on a person's letter."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.personal_models import DataExport
from app.accounts.policy import is_admin
from app.accounts.sessions import end_session
from app.accounts.tokens import TokenExpired, TokenInvalid
from app.core.authz import login_required, public, requires
from app.core.db import db
from app.core.errors import DomainError
from app.privacy import services
from app.privacy.forms import AdminEraseForm, DeleteAccountForm

bp = Blueprint("privacy", __name__)


@bp.get("/account/data")
@login_required
def your_data():
    user = current_user._get_current_object()
    return render_template("privacy/your_data.html", exports=services.exports_of(db.session, user))


@bp.post("/account/data/export")
@login_required
def request_export():
    user = current_user._get_current_object()
    services.request_export(db.session, user, actor=user)
    db.session.commit()
    flash(_("We are preparing a copy of your data. You will receive a download link by e-mail, "
            "valid for 24 hours."), "success")
    return redirect(url_for(".your_data"))


@bp.get("/account/data/exports/<int:export_id>/<token>")
@public
def download_export(export_id: int, token: str):
    try:
        export = services.export_for_download(db.session, export_id, token)
    except TokenInvalid as err:
        return render_template("privacy/download_failed.html", message=err.message,
                               expired=isinstance(err, TokenExpired)), (410 if isinstance(err, TokenExpired) else 400)
    data = db.session.scalar(select(DataExport.archive).where(DataExport.id == export.id))
    services.mark_downloaded(db.session, export)
    db.session.commit()
    filename = f"agora1540-data-{export.user_id}-{export.ready_at:%Y%m%d}.zip"
    return Response(data or b"", mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer"})


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    user = current_user._get_current_object()
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.check_password(user, form.password.data)
            flagged = services.erase_account(db.session, user, actor=user,
                                             remove_comments=form.remove_comments.data,
                                             removal_reason=form.removal_reason.data or "")
        except DomainError as err:
            form.add_domain_error(err)
        else:
            db.session.commit()
            end_session()
            message = _("Your account is closed and your personal data erased.")
            if flagged:
                message += " " + _("The moderators will review the removal of your comments.")
            flash(message, "success")
            return redirect(url_for("site.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("privacy/delete_account.html", form=form), status


# --- administrators, for a person who asks by letter ---------------------------------


def _person(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/manage/admin/users/<int:user_id>/data-export")
@requires(is_admin)
def admin_request_export(user_id: int):
    user = _person(user_id)
    try:
        services.request_export(db.session, user, actor=current_user)
    except DomainError as err:
        flash(str(err.message), "danger")
        return redirect(url_for("admin.user", user_id=user.id))
    db.session.commit()
    flash(_("A copy of this person's data is being prepared; the link goes to their e-mail address."), "success")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/manage/admin/users/<int:user_id>/erase", methods=["GET", "POST"])
@requires(is_admin)
def admin_erase(user_id: int):
    user = _person(user_id)
    form = AdminEraseForm()
    if form.validate_on_submit():
        try:
            services.erase_account(db.session, user, actor=current_user, note=form.note.data,
                                   remove_comments=form.remove_comments.data,
                                   removal_reason=form.removal_reason.data or "")
        except DomainError as err:
            form.add_domain_error(err)
        else:
            db.session.commit()
            if user.id == current_user.id:
                end_session()
                return redirect(url_for("site.home"))
            flash(_("The account is closed and the person's data erased."), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    return render_template("privacy/admin_erase.html", form=form, user=user), status

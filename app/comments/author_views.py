"""What an author does with their own comment afterwards: edit, withdraw; and what readers do: support, follow."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.comments import services
from app.comments.forms import (
    ActionForm,
    EditCommentForm,
)
from app.comments.models import Comment
from app.comments.policy import (
    can_support_comment,
    can_withdraw_comment,
    is_comment_author,
)
from app.comments.views import _can_edit_now, _load_comment, _section_of, bp, edit_window, max_length
from app.consultations.loading import load_visible
from app.core.authz import authorize, login_required
from app.core.db import db
from app.core.handling import handle_form
from app.core.security import safe_next
from app.core.urls import parse_id

# --- author's lifecycle ------------------------------------------------------------------

@bp.route("/consultations/<int:consultation_id>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(consultation_id: int, comment_id: int):
    consultation = load_visible(consultation_id)
    comment = _load_comment(consultation, comment_id)
    # A comment that changed since the form was loaded is the service's to judge:
    # its author gets the conflict page with the typed text, never a bare refusal.
    authorize(_can_edit_now if request.method == "GET" else is_comment_author, current_user, comment)
    form = EditCommentForm()
    if request.method == "GET":
        form.body.data = comment.body_source
        form.proposed_wording.data = comment.proposed_wording or ""
        form.version.data = str(comment.version)

    def render(status: int):
        current = db.session.get(Comment, comment_id)  # its author's own, whatever happened to it
        editable = _can_edit_now(current_user, current)
        if status == 409 and editable:
            form.version.data = str(current.version)  # saving again applies to the current text
        return render_template("comments/edit.html", consultation=consultation, comment=current, form=form,
                               section=_section_of(current), max_length=max_length(), conflict=status == 409,
                               editable=editable), status

    return handle_form(
        form, lambda: services.edit_comment(db.session, comment, body=form.body.data or "",
                                            proposed_wording=form.proposed_wording.data or "",
                                            expected_version=parse_id(form.version.data or "") or -1,
                                            actor=current_user, window=edit_window(), max_length=max_length()),
        validated=request.method == "POST" and form.validate(), render=render,
        success=_("Your comment was updated. The earlier text is kept in its history."),
        redirect_to=url_for(".permalink", consultation_id=consultation.id, comment_id=comment.id))


@bp.route("/consultations/<int:consultation_id>/comments/<int:comment_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw_comment(consultation_id: int, comment_id: int):
    consultation = load_visible(consultation_id)
    comment = _load_comment(consultation, comment_id, own=True)  # a hidden comment too
    authorize(can_withdraw_comment, current_user, comment)
    form = ActionForm()
    return handle_form(
        form, lambda: services.withdraw_comment(db.session, comment, actor=current_user),
        render=lambda status: (render_template("comments/withdraw.html", consultation=consultation,
                                               comment=db.session.get(Comment, comment_id), form=form), status),
        success=_("Your comment was withdrawn. Replies to it stay in the thread."),
        redirect_to=url_for(".permalink", consultation_id=consultation.id, comment_id=comment.id))


@bp.post("/consultations/<int:consultation_id>/comments/<int:comment_id>/support")
@login_required
def support_comment(consultation_id: int, comment_id: int):
    consultation = load_visible(consultation_id)
    comment = _load_comment(consultation, comment_id)
    authorize(can_support_comment, current_user, comment)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    supported = services.toggle_support(db.session, comment, actor=current_user)
    db.session.commit()
    flash(_("You support this comment.") if supported else _("You no longer support this comment."), "success")
    return redirect(url_for(".permalink", consultation_id=consultation.id, comment_id=comment.id))


@bp.post("/consultations/<int:consultation_id>/follow")
@login_required
def follow(consultation_id: int):
    consultation = load_visible(consultation_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("follow") == "0":
        services.unfollow_consultation(db.session, consultation, actor=current_user)
        message = _("You no longer follow this consultation.")
    else:
        services.follow_consultation(db.session, consultation, actor=current_user)
        message = _("You follow this consultation: you will be reminded 7 days before it closes.")
    db.session.commit()
    flash(message, "success")
    return redirect(safe_next(request.form.get("next"),
                              url_for("consultations.show_consultation", consultation_id=consultation.id)))

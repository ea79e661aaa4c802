"""Posting a comment or a reply: the form, its preview, the draft kept across a sign-in, the receipt."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.comments import hooks, services
from app.comments.forms import (
    CommentForm,
)
from app.comments.models import Comment, CommentDraft
from app.comments.policy import (
    can_comment,
    can_reply_to,
    can_see_comment,
    can_see_restricted,
    is_comment_author,
)
from app.comments.views import _fail, _load_comment, _section_of, _set_choices, bp, max_length, new_comment_form
from app.consultations.loading import load_visible
from app.consultations.models import Consultation, Section
from app.core.authz import authorize, login_required, public
from app.core.db import db
from app.core.errors import DomainError
from app.core.sanitize import render_comment_markdown
from app.core.urls import parse_id
from app.extensions import csrf

# --- posting -----------------------------------------------------------------------------

@bp.route("/consultations/<int:consultation_id>/comments/new", methods=["GET", "POST"])
@public  # an expired session must not lose the text: anonymous posts are kept and sent to sign-in
@csrf.exempt  # the form's own CSRF field is checked for signed-in users (see below)
def new_comment(consultation_id: int):
    consultation = load_visible(consultation_id)
    if request.method == "POST" and not current_user.is_authenticated:
        return _keep_draft_and_sign_in(consultation)
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    authorize(can_comment, current_user, consultation)

    if request.method == "GET":
        parent = section = None
        parent_id, section_id = parse_id(request.args.get("parent")), parse_id(request.args.get("section"))
        if request.args.get("parent") and parent_id is None or request.args.get("section") and section_id is None:
            abort(404)
        if parent_id is not None:
            parent = _load_comment(consultation, parent_id)
            authorize(can_reply_to, current_user, parent)
            locked = _thread_locked(parent)
            if locked is not None:
                flash(locked, "error")
                return redirect(url_for(".permalink", consultation_id=consultation.id, comment_id=parent.id))
            section = _section_of(parent)
        elif section_id is not None:
            section = db.session.get(Section, section_id)
            current = consultation.current_version
            if section is None or current is None or section.version_id != current.id:
                abort(404)
        form = new_comment_form(consultation, section=section, parent=parent)
        draft_key = request.args.get("draft", "")
        if services.IDEMPOTENCY_KEY.match(draft_key):
            draft = db.session.get(CommentDraft, draft_key)
            if draft is not None and draft.consultation_id == consultation.id:
                form.restore(draft.data)
                form.idempotency_key.data = draft_key
                parent, section = _context_from(form, consultation)
                flash(_("Your text was kept while you signed in. Check it and post it."), "info")
        return _render_form(consultation, form, parent, section)

    form = CommentForm()
    _set_choices(form, consultation)
    parent, section = _context_from(form, consultation)
    status = 200
    preview_html = preview_diff = None
    if form.validate():
        data = form.data_for_service()
        if request.form.get("action") == "preview":
            try:
                checked = services.validate_comment(db.session, consultation, data, actor=current_user,
                                                    max_length=max_length())
            except DomainError as err:
                status = _fail(form, err)
            else:
                preview_html = render_comment_markdown(data.body)
                preview_diff = checked["diff"]
        else:
            try:
                comment, created = services.post_comment(db.session, consultation, data, actor=current_user,
                                                          max_length=max_length())
            except DomainError as err:
                status = _fail(form, err)
            else:
                db.session.commit()
                if created:
                    flash(_("Your comment was received. Receipt number: %(number)s.",
                            number=comment.receipt_number), "success")
                else:
                    flash(_("This comment was already posted; here is its receipt."), "info")
                return redirect(url_for(".receipt", consultation_id=comment.consultation_id,
                                        comment_id=comment.id))
    else:
        status = 400
    return _render_form(consultation, form, parent, section, preview_html=preview_html, preview_diff=preview_diff,
                        status=status)


def _thread_locked(parent: Comment) -> str | None:
    """Why no reply form is offered under ``parent`` (moderation hook: a locked thread)."""
    try:
        hooks.check_may_reply(db.session, parent)
    except hooks.ThreadLocked as err:
        return str(err.message)
    return None


def _context_from(form: CommentForm, consultation: Consultation):
    """Parent and section named by the form, for showing context (validated by the service)."""
    parent = section = None
    parent_id = parse_id(form.parent_id.data or "")
    if parent_id is not None:
        candidate = db.session.get(Comment, parent_id)
        if candidate is not None and can_see_comment(current_user, candidate, consultation):
            parent = candidate
            section = _section_of(candidate)
    section_id = parse_id(form.section_id.data or "")
    if parent is None and section_id is not None:
        candidate = db.session.get(Section, section_id)
        current = consultation.current_version
        if candidate is not None and current is not None and candidate.version_id == current.id:
            section = candidate
    return parent, section


def _render_form(consultation, form, parent, section, *, preview_html=None, preview_diff=None, status=200):
    form.offer_kinds(on_section=section is not None)
    return render_template("comments/new.html", consultation=consultation, form=form, parent=parent,
                           section=section, preview_html=preview_html, preview_diff=preview_diff,
                           max_length=max_length(),
                           sees_restricted=can_see_restricted(current_user, consultation)), status


def _keep_draft_and_sign_in(consultation: Consultation):
    form = CommentForm(meta={"csrf": False})
    key = form.idempotency_key.data or ""
    target = url_for(".new_comment", consultation_id=consultation.id)
    if services.IDEMPOTENCY_KEY.match(key) and (form.body.data or "").strip():
        try:
            services.save_draft(db.session, consultation, key=key, data=form.draft_data(), max_length=max_length())
        except DomainError:
            pass
        else:
            db.session.commit()
            target = url_for(".new_comment", consultation_id=consultation.id, draft=key)
            flash(_("Your session ended before you posted. Sign in again: your text is kept and will be "
                    "back in the form."), "info")
    return redirect(url_for("accounts.login", next=target))


@bp.get("/consultations/<int:consultation_id>/comments/<int:comment_id>/receipt")
@login_required
def receipt(consultation_id: int, comment_id: int):
    consultation = load_visible(consultation_id)
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.consultation_id != consultation.id:
        abort(404)
    # The author keeps the receipt of every comment, rejected, hidden or spam ones too:
    # it is where they read what was decided and why.
    authorize(is_comment_author, current_user, comment, hide=True)
    return render_template("comments/receipt.html", consultation=consultation, comment=comment,
                           section=_section_of(comment))

"""What moderators configure: reason templates, the watch list, each consultation's
guidelines (and the public page that shows them)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.consultations.models import Consultation
from app.consultations.policy import can_view_consultation
from app.core.authz import authorize, public, requires
from app.core.db import db
from app.core.handling import get_or_404, handle_form
from app.moderation import queries, reader_queries, services
from app.moderation.forms import (
    ActionForm,
    GuidelinesForm,
    ReasonForm,
    WatchWordForm,
)
from app.moderation.guidelines import default_guidelines_html, default_guidelines_source
from app.moderation.models import ReasonTemplate, WatchWord
from app.moderation.policy import (
    can_edit_reasons,
    can_edit_watch_words,
    can_moderate_consultation,
    can_use_queue,
)
from app.moderation.views import bp

# --- reasons and the watch list ------------------------------------------------------

def _save_reason(template: ReasonTemplate | None, page: str, done: str, **context):
    """Add (template None) or edit a reason template; one form, one service."""
    form = ReasonForm(formdata=request.form if request.method == "POST" else None, obj=template)
    return handle_form(
        form, lambda: services.save_reason(db.session, template, code=form.code.data, label=form.label.data,
                                           message=form.message.data, active=form.active.data, actor=current_user),
        validated=request.method == "POST" and form.validate(),
        render=lambda status: (render_template(page, form=form, **context), status),
        success=done, redirect_to=url_for(".reasons"))


@bp.route("/manage/moderation/reasons", methods=["GET", "POST"])
@requires(can_edit_reasons)
def reasons():
    return _save_reason(None, "moderation/reasons.html", _("Reason added."),
                        reasons=queries.all_reasons(db.session))


@bp.route("/manage/moderation/reasons/<int:reason_id>", methods=["GET", "POST"])
@requires(can_edit_reasons)
def edit_reason(reason_id: int):
    template = get_or_404(ReasonTemplate, reason_id)
    return _save_reason(template, "moderation/reason_edit.html", _("Reason saved."), reason=template)


@bp.route("/manage/moderation/watch-words", methods=["GET", "POST"])
@requires(can_edit_watch_words)
def watch_words():
    form = WatchWordForm(formdata=request.form if request.method == "POST" else None)
    return handle_form(
        form, lambda: services.add_watch_word(db.session, form.word.data, actor=current_user),
        validated=request.method == "POST" and form.validate(),
        render=lambda status: (render_template("moderation/watch_words.html", words=queries.watch_words(db.session),
                                               form=form, delete_form=ActionForm(formdata=None)), status),
        success=_("Added to the watch list. New comments containing it are held for review."),
        redirect_to=url_for(".watch_words"))


@bp.post("/manage/moderation/watch-words/<int:word_id>/delete")
@requires(can_edit_watch_words)
def delete_watch_word(word_id: int):
    entry = get_or_404(WatchWord, word_id)
    if ActionForm().validate_on_submit():
        services.remove_watch_word(db.session, entry, actor=current_user)
        db.session.commit()
        flash(_("Removed from the watch list."), "success")
    return redirect(url_for(".watch_words"))


# --- guidelines and public figures ---------------------------------------------------

def _visible_consultation(consultation_id: int) -> Consultation:
    consultation = get_or_404(Consultation, consultation_id)
    authorize(can_view_consultation, current_user, consultation, hide=True)
    return consultation


@bp.get("/consultations/<int:consultation_id>/moderation")
@public
def transparency(consultation_id: int):
    consultation = _visible_consultation(consultation_id)
    guidelines = reader_queries.guidelines_for(db.session, consultation.id)
    return render_template("moderation/transparency.html", consultation=consultation,
                           figures=reader_queries.public_figures(db.session, consultation.id),
                           guidelines_html=guidelines.html if guidelines else default_guidelines_html(),
                           custom=guidelines is not None)


@bp.route("/manage/moderation/consultations/<int:consultation_id>/guidelines", methods=["GET", "POST"])
@requires(can_use_queue)
def edit_guidelines(consultation_id: int):
    consultation = get_or_404(Consultation, consultation_id)
    authorize(can_moderate_consultation, current_user, consultation, hide=True)
    guidelines = reader_queries.guidelines_for(db.session, consultation.id)
    form = GuidelinesForm(formdata=request.form if request.method == "POST" else None,
                          source=guidelines.source if guidelines else default_guidelines_source())
    return handle_form(
        form, lambda: services.save_guidelines(db.session, consultation, source=form.source.data,
                                               actor=current_user),
        validated=request.method == "POST" and form.validate(),
        render=lambda status: (render_template("moderation/guidelines_edit.html", consultation=consultation,
                                               form=form), status),
        success=_("Moderation guidelines saved."),
        redirect_to=url_for(".transparency", consultation_id=consultation.id))

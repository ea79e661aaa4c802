"""The moderators' translation pages of a summary,
/manage/consultations/<id>/summary/translations/..., and the ``summary_text``
template global with which the summary pages show a revision in the reader's
language.

Every view: load or 404 → authorize → validate → one service → one commit →
flash and redirect (or re-render with a 4xx and the errors).
"""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.consultations.models import UN_LANGUAGES, Consultation
from app.consultations.reader_language import reader_language
from app.core.authz import authorize, requires
from app.core.db import db
from app.core.handling import handle_button, handle_form
from app.summaries import queries, translations
from app.summaries.forms import ActionForm
from app.summaries.policy import can_manage_summaries, can_translate_summary
from app.summaries.translation_forms import summary_translation_form
from app.summaries.translations import summary_text
from app.summaries.views import MANAGE, _consultation, bp

BASE = MANAGE + "/summary/translations"


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals.update(
        summary_text=lambda revision, consultation: summary_text(db.session, revision, consultation,
                                                                 reader_language()))


def _translated(consultation_id: int) -> Consultation:
    consultation = _consultation(consultation_id)
    authorize(can_translate_summary, current_user, consultation, hide=True)
    return consultation


def _language(consultation: Consultation, language: str) -> str:
    if language not in UN_LANGUAGES or language == consultation.original_language:
        abort(404)
    return language


def _revision(consultation: Consultation):
    """The summary and the revision moderators translate: the draft they work on, else the published one."""
    summary = queries.load_summary(db.session, consultation.id)
    revision = (summary.working_revision or summary.current_revision) if summary else None
    return summary, revision


@bp.get(BASE)
@requires(can_manage_summaries)
def summary_translations(consultation_id: int):
    consultation = _translated(consultation_id)
    summary, revision = _revision(consultation)
    rows = translations.translations_of(db.session, summary)
    texts = {code: summary_text(db.session, revision, consultation, code) for code in rows} if revision else {}
    return render_template("summaries/translations/index.html", consultation=consultation, summary=summary,
                           revision=revision, rows=rows, texts=texts,
                           languages=[c for c in UN_LANGUAGES if c != consultation.original_language])


@bp.route(BASE + "/<language>", methods=["GET", "POST"])
@requires(can_manage_summaries)
def edit_summary_translation(consultation_id: int, language: str):
    consultation = _translated(consultation_id)
    language = _language(consultation, language)
    summary, revision = _revision(consultation)
    if revision is None:
        abort(404)  # nothing written yet: nothing to translate
    form = summary_translation_form(list(revision.points))
    text = summary_text(db.session, revision, consultation, language)
    if request.method == "GET" and text.is_translation:
        if text.overall_translated:
            form.overall.data = text.translation.overall_source
        for point in revision.points:
            form.point_field(point.id).data = text.point(point).source  # an out-of-date one is a start
    return handle_form(
        form, lambda: translations.save_summary_translation(db.session, consultation, revision, language,
                                               form.data_for_service(), actor=current_user),
        render=lambda status: (render_template(
            "summaries/translations/edit.html", consultation=consultation, summary=summary, revision=revision,
            language=language, form=form, text=text, row=translations.translation_in(db.session, summary, language),
            action_form=ActionForm()), status),
        success=_("The translation of the summary is saved."),
        redirect_to=url_for(".summary_translations", consultation_id=consultation.id))


@bp.post(BASE + "/<language>/delete")
@requires(can_manage_summaries)
def delete_summary_translation(consultation_id: int, language: str):
    consultation = _translated(consultation_id)
    language = _language(consultation, language)
    summary, _revision_shown = _revision(consultation)
    if summary is None:
        abort(404)
    return handle_button(
        ActionForm(), lambda: translations.delete_summary_translation(db.session, consultation, summary, language,
                                                                      actor=current_user),
        success=_("The translation of the summary is deleted."),
        redirect_to=url_for(".summary_translations", consultation_id=consultation.id))

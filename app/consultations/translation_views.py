"""The authors' translation pages, /manage/consultations/<id>/translations/...:
the languages and how far each has come, the language of the original, the
title, summary and questions in one language, and each provision.

Every view: load or 404 → authorize → validate → one service → one commit →
flash and redirect (or re-render with a 4xx and the errors).
"""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.consultations import queries, translations
from app.consultations.forms import ActionForm
from app.consultations.models import UN_LANGUAGES, Consultation
from app.consultations.policy import can_manage_consultations, can_translate_consultation
from app.consultations.reader_language import TEXT_LANGUAGE_ARG, chosen_text_language, content_title
from app.consultations.translation_forms import (
    ConsultationTranslationForm,
    OriginalLanguageForm,
    SectionTranslationForm,
)
from app.consultations.views import bp
from app.core.authz import authorize, requires
from app.core.db import db
from app.core.handling import handle_button, handle_form, or_404
from app.core.i18n import text_direction

BASE = "/manage/consultations/<int:consultation_id>/translations"


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals.update(content_title=content_title, chosen_text_language=chosen_text_language,
                                       TEXT_LANGUAGE_ARG=TEXT_LANGUAGE_ARG, language_direction=text_direction)


def _load(consultation_id: int) -> Consultation:
    consultation = or_404(queries.load_consultation(db.session, consultation_id))
    authorize(can_translate_consultation, current_user, consultation, hide=True)
    return consultation


def _language(consultation: Consultation, language: str) -> str:
    """A language the consultation may be translated into, or a 404."""
    if language not in UN_LANGUAGES or language == consultation.original_language:
        abort(404)
    return language


def _index_url(consultation: Consultation) -> str:
    return url_for("consultations.manage_translations", consultation_id=consultation.id)


def _render_index(consultation: Consultation, form: OriginalLanguageForm, status: int = 200):
    return render_template(
        "consultations/translations/index.html", consultation=consultation, form=form,
        version=translations.translatable_version(consultation),
        languages=translations.progress(db.session, consultation), action_form=ActionForm()), status


@bp.route(BASE, methods=["GET", "POST"])
@requires(can_manage_consultations)
def manage_translations(consultation_id: int):
    """The languages of the consultation; the form sets the language of the original."""
    consultation = _load(consultation_id)
    form = OriginalLanguageForm()
    if request.method == "GET":
        form.language.data = consultation.original_language
    return handle_form(
        form, lambda: translations.set_original_language(db.session, consultation, form.language.data,
                                                         actor=current_user),
        render=lambda status: _render_index(consultation, form, status),
        success=_("The language of the original is saved."), redirect_to=_index_url(consultation))


@bp.route(BASE + "/<language>", methods=["GET", "POST"])
@requires(can_manage_consultations)
def edit_translation(consultation_id: int, language: str):
    """The title, summary and questions in one language."""
    consultation = _load(consultation_id)
    language = _language(consultation, language)
    row = translations.main_translation(db.session, consultation, language)
    form = ConsultationTranslationForm()
    if request.method == "GET" and row is not None:
        form.fill_from(row)
    version = translations.translatable_version(consultation)
    text = translations.translated(db.session, consultation, language)
    return handle_form(
        form, lambda: translations.save_consultation_translation(db.session, consultation, language,
                                                                 form.data_for_service(), actor=current_user),
        render=lambda status: (render_template(
            "consultations/translations/edit.html", consultation=consultation, language=language, row=row,
            form=form, version=version, text=text, action_form=ActionForm()), status),
        success=_("The translation is saved."), redirect_to=_index_url(consultation))


@bp.route(BASE + "/<language>/sections/<anchor>", methods=["GET", "POST"])
@requires(can_manage_consultations)
def edit_section_translation(consultation_id: int, language: str, anchor: str):
    """One provision of the version readers see, in one language."""
    consultation = _load(consultation_id)
    language = _language(consultation, language)
    version = translations.translatable_version(consultation)
    section = or_404(next((s for s in (version.sections if version else []) if s.anchor == anchor), None))
    row = translations.section_translation(db.session, consultation, anchor, language)
    form = SectionTranslationForm()
    if request.method == "GET" and row is not None:
        form.fill_from(row)
    return handle_form(
        form, lambda: translations.save_section_translation(db.session, consultation, section, language,
                                                            form.data_for_service(), actor=current_user),
        render=lambda status: (render_template(
            "consultations/translations/section.html", consultation=consultation, language=language,
            section=section, row=row, form=form, version=version,
            main=translations.main_translation(db.session, consultation, language)), status),
        success=_("The translation of %(title)s is saved.", title=section.title),
        redirect_to=url_for("consultations.edit_translation", consultation_id=consultation.id, language=language))


@bp.post(BASE + "/<language>/delete")
@requires(can_manage_consultations)
def delete_translation(consultation_id: int, language: str):
    consultation = _load(consultation_id)
    language = _language(consultation, language)
    return handle_button(ActionForm(), lambda: translations.delete_translation(db.session, consultation, language,
                                                                              actor=current_user),
                         success=_("The translation is deleted."), redirect_to=_index_url(consultation))

"""Forms of the authors' translation pages. They validate; the services decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.consultations.models import UN_LANGUAGES
from app.consultations.translations import (
    BODY_MAX,
    TEXT_MAX,
    TITLE_MAX,
    ConsultationTranslationInput,
    SectionTranslationInput,
)
from app.core.forms import Form
from app.core.i18n import LANGUAGE_NAMES


class OriginalLanguageForm(Form):
    language = SelectField(_l("Language of the original"), choices=[(c, LANGUAGE_NAMES[c]) for c in UN_LANGUAGES])


class ConsultationTranslationForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    summary = TextAreaField(_l("Summary and explanatory memorandum"), validators=[Length(max=TEXT_MAX)])
    questions = TextAreaField(_l("Consultation questions"), validators=[Length(max=TEXT_MAX)])

    def data_for_service(self) -> ConsultationTranslationInput:
        return ConsultationTranslationInput(title=self.title.data or "", summary=self.summary.data or "",
                                            questions=self.questions.data or "")

    def fill_from(self, row) -> None:
        self.title.data, self.summary.data, self.questions.data = row.title, row.summary_source, row.questions_source


class SectionTranslationForm(Form):
    heading = StringField(_l("Heading"), validators=[Length(max=TITLE_MAX)])
    body = TextAreaField(_l("Text"), validators=[Length(max=BODY_MAX)])

    def data_for_service(self) -> SectionTranslationInput:
        return SectionTranslationInput(heading=self.heading.data or "", body=self.body.data or "")

    def fill_from(self, row) -> None:
        self.heading.data, self.body.data = row.heading, row.body_source

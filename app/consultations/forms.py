"""Forms of the consultation management area. They validate; services decide."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.consultations.models import (
    UN_LANGUAGES,
    InstrumentType,
    ModerationMode,
    SectionLevel,
    Status,
    Visibility,
)
from app.consultations.services import ConsultationDetails, SectionInput
from app.core.forms import (
    ActionForm,  # noqa: F401 - imported from here by the views
    Form,
)

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"

INSTRUMENT_LABELS = {
    InstrumentType.LAW: _l("Law"),
    InstrumentType.DECREE: _l("Decree"),
    InstrumentType.REGULATION: _l("Regulation"),
    InstrumentType.CONTROL_LIST: _l("Control list"),
    InstrumentType.OTHER: _l("Other instrument"),
}
WEAPON_LABELS = {
    "NW": _l("Nuclear weapons (NW)"),
    "CW": _l("Chemical weapons (CW)"),
    "BW": _l("Biological weapons (BW)"),
    "MoD": _l("Means of delivery (MoD)"),
    "RM": _l("Related materials (RM)"),
}
CONSULTATION_STATUS_LABELS = {
    Status.DRAFT: _l("Draft (not published)"),
    Status.SCHEDULED: _l("Scheduled"),
    Status.OPEN: _l("Open"),
    Status.CLOSED: _l("Closed"),
    Status.SUMMARISED: _l("Summarised"),
    Status.FORWARDED: _l("Forwarded"),
}
LEVEL_LABELS = {
    SectionLevel.PART: _l("Part"),
    SectionLevel.CHAPTER: _l("Chapter"),
    SectionLevel.ARTICLE: _l("Article"),
    SectionLevel.PARAGRAPH: _l("Paragraph"),
}


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def to_local(value: datetime | None, tz: str | None) -> datetime | None:
    return value.astimezone(zone(tz)).replace(tzinfo=None) if value else None


def obligation_groups(choices) -> list[tuple[tuple[str, str], list[tuple[str, str]]]]:
    """Obligation choices in taxonomy order, grouped by operative paragraph: each
    paragraph (a code without a dot, "OP3d") with its elements ("OP3d.transit")."""
    groups: list[tuple[tuple[str, str], list[tuple[str, str]]]] = []
    for value, label in choices:
        if "." not in str(value) or not groups:
            groups.append(((value, label), []))
        else:
            groups[-1][1].append((value, label))
    return groups


def initial_groups(choices) -> list[tuple[str, list[tuple[str, str]]]]:
    """Choices sorted by label, grouped by the label's first letter (accents aside)."""
    import unicodedata

    groups: dict[str, list[tuple[str, str]]] = {}
    for value, label in choices:
        initial = unicodedata.normalize("NFKD", str(label))[:1].upper() or "?"
        groups.setdefault(initial, []).append((value, label))
    return list(groups.items())


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConsultationForm(Form):
    country_code = SelectField(_l("State"), validators=[DataRequired()])
    title = StringField(_l("Title of the draft measure"), validators=[DataRequired(), Length(max=300)])
    instrument_type = SelectField(_l("Type of instrument"), choices=list(INSTRUMENT_LABELS.items()),
                                  validators=[DataRequired()])
    drafting_authority = StringField(_l("Drafting authority"), validators=[DataRequired(), Length(max=300)])
    summary = TextAreaField(_l("Summary and explanatory memorandum"), validators=[Length(max=50_000)])
    questions = TextAreaField(_l("Consultation questions"), validators=[Length(max=20_000)])
    languages = CheckboxesField(_l("Languages"), choices=[(c, c) for c in UN_LANGUAGES], validate_choice=False)
    weapon_categories = CheckboxesField(_l("Weapon categories"), choices=list(WEAPON_LABELS.items()),
                                        validate_choice=False)
    visibility = RadioField(_l("Who can read it"), default=Visibility.PUBLIC, choices=[
        (Visibility.PUBLIC, _l("Everyone (public)")),
        (Visibility.INVITED, _l("Only invited organisations and users")),
    ])
    moderation_mode = RadioField(_l("Moderation"), default=ModerationMode.PRE, choices=[
        (ModerationMode.PRE, _l("Pre-moderation: comments wait for approval")),
        (ModerationMode.POST, _l("Post-moderation: comments are published at once")),
    ])
    opens_at = DateTimeLocalField(_l("Opens for comments"), format=DATETIME_FORMAT, validators=[DataRequired()])
    closes_at = DateTimeLocalField(_l("Closes for comments"), format=DATETIME_FORMAT, validators=[DataRequired()])
    regions = SelectMultipleField(_l("Regional organisations"), validate_choice=False)
    obligations = SelectMultipleField(_l("1540 obligations addressed"), validate_choice=False)

    def details(self, tz: str | None, *, derive_regions: bool) -> ConsultationDetails:
        local = zone(tz)
        return ConsultationDetails(
            country_code=self.country_code.data, title=self.title.data or "",
            instrument_type=self.instrument_type.data, drafting_authority=self.drafting_authority.data or "",
            opens_at=self.opens_at.data.replace(tzinfo=local), closes_at=self.closes_at.data.replace(tzinfo=local),
            summary=self.summary.data or "", questions=self.questions.data or "",
            languages=list(self.languages.data or []), weapon_categories=list(self.weapon_categories.data or []),
            visibility=self.visibility.data, moderation_mode=self.moderation_mode.data,
            regions=(list(self.regions.data) if self.regions.data or not derive_regions else None),
            obligations=list(self.obligations.data or []),
        )

    def fill_from(self, consultation, tz: str | None) -> None:
        for name in ("country_code", "title", "instrument_type", "drafting_authority", "visibility",
                     "moderation_mode", "languages", "weapon_categories"):
            getattr(self, name).data = getattr(consultation, name)
        self.summary.data = consultation.summary_source
        self.questions.data = consultation.questions_source
        self.opens_at.data = to_local(consultation.opens_at, tz)
        self.closes_at.data = to_local(consultation.closes_at, tz)
        self.regions.data = consultation.region_codes
        self.obligations.data = consultation.obligation_codes


class ImportForm(Form):
    source = TextAreaField(_l("Draft text (Markdown)"), validators=[Length(max=2_000_000)])
    file = FileField(_l("Or upload a file (.docx or .md)"))
    step = HiddenField(default="preview")


class SectionForm(Form):
    level = SelectField(_l("Level"), choices=list(LEVEL_LABELS.items()), default=SectionLevel.ARTICLE)
    number = StringField(_l("Number"), validators=[Length(max=64)])
    heading = StringField(_l("Heading"), validators=[Length(max=300)])
    anchor = StringField(_l("Anchor"), validators=[Length(max=80)])
    body = TextAreaField(_l("Text"), validators=[Length(max=200_000)])
    obligations = SelectMultipleField(_l("1540 obligations addressed by this section"), validate_choice=False)

    def data_for_service(self) -> SectionInput:
        return SectionInput(level=self.level.data, number=self.number.data or "", heading=self.heading.data or "",
                            anchor=self.anchor.data or "", body=self.body.data or "",
                            obligations=list(self.obligations.data or []))

    def fill_from(self, section) -> None:
        self.level.data, self.number.data, self.heading.data = section.level, section.number, section.heading
        self.anchor.data, self.body.data = section.anchor, section.body_source
        self.obligations.data = section.obligation_codes


class PublishForm(Form):
    change_note = TextAreaField(_l("What changed in this version"), validators=[Length(max=10_000)])


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class InviteForm(Form):
    email = StringField(_l("E-mail address"), validators=[Optional(), Email(), Length(max=320)])
    organisation_id = SelectField(_l("Or an organisation"), coerce=int, default=0, validate_choice=False)


class AttachmentForm(Form):
    title = StringField(_l("Title"), validators=[Length(max=200)])
    file = FileField(_l("File"))



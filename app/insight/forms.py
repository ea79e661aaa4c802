"""The comparison picker: two drafts and one obligation code (a GET form)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired, Optional, ValidationError

from app.consultations.forms import INSTRUMENT_LABELS, WEAPON_LABELS
from app.core.forms import Form
from app.core.urls import parse_id
from app.geography.queries import country_name
from app.insight.picture import PICTURE_GROUPS, Filters


def _int_or_none(value: Any) -> int | None:
    return parse_id(value)


class CompareForm(Form):
    class Meta:
        csrf = False

    a = SelectField(_l("First draft"), coerce=_int_or_none,
                    validators=[InputRequired(_l("Choose the first draft."))])
    b = SelectField(_l("Second draft"), coerce=_int_or_none,
                    validators=[InputRequired(_l("Choose the second draft."))])
    code = SelectField(_l("Obligation (matrix data field or operative paragraph)"),
                       validators=[InputRequired(_l("Choose an obligation."))])

    def __init__(self, *args: Any, drafts=(), taxonomy=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        draft_choices = [("", _l("Choose a draft…"))] + [
            (d.id, f"{country_name(d.country_code)}: {d.title}") for d in drafts]
        self.a.choices = self.b.choices = draft_choices
        groups: dict[str, list[tuple[str, str]]] = {}
        if taxonomy is not None:
            for section in taxonomy.sections:
                groups[section.code] = [(section.code, f"{section.code} — {section.title}")] + [
                    (o.code, f"{o.code} — {o.title}") for o in taxonomy.elements.get(section.code, [])]
        self.code.choices = groups
        # Whatever the reason an id is not offered (unknown, unpublished, not visible
        # to this viewer), the answer is the same, so nothing leaks.
        self.a.invalid_choice_message = self.b.invalid_choice_message = _l("Choose a draft from the list.")
        self.code.invalid_choice_message = _l("Choose an obligation from the list.")

    def validate_b(self, field) -> None:
        if field.data is not None and field.data == self.a.data:
            raise ValidationError(_l("Choose two different drafts."))


class CoverageFilterForm(Form):
    """Filters of the coverage picture and table (a GET form: the URL is the state)."""

    class Meta:
        csrf = False

    weapon = SelectField(_l("Weapon category"), default="")
    instrument = SelectField(_l("Instrument type"), default="")
    start = DateField(_l("Period from"), validators=[Optional()])
    end = DateField(_l("Period to"), validators=[Optional()])
    group = SelectField(_l("Columns"), default="")

    def __init__(self, *args: Any, taxonomy=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.weapon.choices = [("", _l("All weapon categories"))] + list(WEAPON_LABELS.items())
        self.instrument.choices = [("", _l("All instrument types"))] + list(INSTRUMENT_LABELS.items())
        self.group.choices = [("", _l("Operative paragraphs (OP1, OP2, OP3a–d)"))] + [
            (s.code, _l("Data fields of %(code)s", code=s.code))
            for s in (taxonomy.sections if taxonomy is not None else []) if s.code in PICTURE_GROUPS]
        for select in (self.weapon, self.instrument, self.group):
            select.invalid_choice_message = _l("Choose an option from the list.")

    def validate_end(self, field) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end of the period must not be before its start."))

    def filters(self) -> Filters:
        return Filters(weapon=self.weapon.data or None, instrument=self.instrument.data or None,
                       start=self.start.data, end=self.end.data, group=self.group.data or None)

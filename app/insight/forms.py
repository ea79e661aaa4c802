"""The comparison picker: two drafts and one obligation code (a GET form)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import InputRequired, ValidationError

from app.core.forms import Form
from app.geography.queries import country_name


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


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

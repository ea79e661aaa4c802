"""Forms of the organisation pages. They validate; services write."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SearchField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.accounts.models import ORGANISATION_KINDS, OrganisationKind
from app.accounts.organisations import DESCRIPTION_MAX, NAME_MAX, WEBSITE_MAX, clean_website, strip_controls
from app.core.db import db
from app.core.errors import DomainError
from app.core.forms import Form
from app.geography.models import Country
from app.geography.queries import country_choices, country_name

KIND_LABELS = {
    OrganisationKind.NGO: _l("Non-governmental organisation"),
    OrganisationKind.ACADEMIA: _l("University or research institute"),
    OrganisationKind.THINK_TANK: _l("Think tank"),
    OrganisationKind.INDUSTRY: _l("Industry association or company"),
    OrganisationKind.PROFESSIONAL_BODY: _l("Professional body"),
    OrganisationKind.INTERNATIONAL: _l("International organisation"),
    OrganisationKind.GOVERNMENT: _l("Government body"),
    OrganisationKind.OTHER: _l("Other"),
}


def kind_label(kind: str | None) -> str:
    return str(KIND_LABELS.get(kind or "", kind or ""))


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, str(KIND_LABELS[kind])) for kind in ORGANISATION_KINDS]


def country_options() -> list[tuple[str, str]]:
    """Every ISO country, plus the loaded countries ISO does not know (the demo States)."""
    choices = country_choices()
    known = {code for code, _ in choices}
    extra = [(code, country_name(code)) for code in db.session.scalars(select(Country.code)) if code not in known]
    return sorted([*choices, *extra], key=lambda item: item[1].casefold())


class OrganisationForm(Form):
    name = StringField(_l("Name"), filters=[strip_controls],
                       validators=[DataRequired(_l("Enter the organisation's name.")), Length(max=NAME_MAX)])
    kind = SelectField(_l("Kind of organisation"),
                       validators=[DataRequired(_l("Choose what kind of organisation this is."))])
    country_code = SelectField(_l("Country"), validators=[Optional()])
    website = StringField(_l("Website (optional)"), filters=[strip_controls],
                          validators=[Optional(), Length(max=WEBSITE_MAX)])
    description = TextAreaField(_l("Description (optional)"), filters=[strip_controls],
                                validators=[Optional(), Length(max=DESCRIPTION_MAX)])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = options([("", _l("Choose…")), *kind_choices()])
        self.country_code.choices = options([("", _l("No single country (international or regional)")),
                                             *country_options()])

    def validate_website(self, field) -> None:
        try:
            field.data = clean_website(field.data)
        except DomainError as err:
            raise ValidationError(str(err.message)) from err


class OrganisationFilterForm(Form):
    """The search and filters of the organisations list (GET, no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search by name"), filters=[strip_controls], validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    country = SelectField(_l("Country"), validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = options([("", _l("All kinds")), *kind_choices()])
        self.country.choices = options([("", _l("All countries")), *country_options()])


class ConfirmForm(Form):
    """A button that changes something: carries only the CSRF token."""

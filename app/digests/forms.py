"""The focal point's subscription form. It validates shapes; the service checks the codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, SelectMultipleField

from app.core.forms import Form
from app.digests.models import Frequency

FREQUENCY_LABELS = {
    Frequency.IMMEDIATE: _l("As things happen (at most once an hour)"),
    Frequency.DAILY: _l("Daily"),
    Frequency.WEEKLY: _l("Weekly (Mondays)"),
}


class SubscriptionForm(Form):
    regions = SelectMultipleField(_l("Regional organisations"), validate_choice=False)
    countries = SelectMultipleField(_l("Countries"), validate_choice=False)
    obligations = SelectMultipleField(_l("Obligations (optional)"), validate_choice=False)
    frequency = RadioField(_l("How often"), choices=list(FREQUENCY_LABELS.items()), validate_choice=False)
    language = SelectField(_l("Language of the digest"), validate_choice=False)

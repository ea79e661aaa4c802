"""Shared form pieces.

Every form derives from ``Form``, whose fields get the same treatment of raw
input: white space around text is dropped; in single-line fields (titles,
names, e-mail addresses, links) line breaks of any kind become spaces, so a
title can never cut an e-mail subject in two; in multi-line text NUL
characters are dropped (PostgreSQL cannot store them and no reader can see
them), and in every other field (single-line, hidden, choices, the values of
a multiple choice) a NUL character is refused, and so is a number beyond the
ids the database holds."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import StopValidation

from app.core.urls import MAX_ID, parse_id

SINGLE_LINE_FIELDS = frozenset({"StringField", "EmailField", "URLField", "SearchField", "TelField"})
MULTI_LINE_FIELDS = frozenset({"TextAreaField"})
# CR, LF and every other character Unicode treats as ending a line.
_LINE_BREAKS = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


class Form(FlaskForm):
    """Base form: strips surrounding white space from text input."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            kind = unbound_field.field_class.__name__
            if kind in SINGLE_LINE_FIELDS:
                filters.append(one_line)
            elif kind in MULTI_LINE_FIELDS:
                filters.append(without_nul)
            if kind in SINGLE_LINE_FIELDS | MULTI_LINE_FIELDS:
                filters.append(_strip)
            field = unbound_field.bind(form=form, filters=filters, **options)
            if kind not in MULTI_LINE_FIELDS:
                field.validators = [refuse_nul, refuse_out_of_range, *field.validators]
            return field

    def add_domain_error(self, error) -> None:
        """Put a DomainError's message on its field, or on the form."""
        field = getattr(self, error.field, None) if error.field else None
        if field is not None:
            field.errors = [*field.errors, str(error.message)]
        else:
            self.form_errors.append(str(error.message))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def one_line(value):
    """Line breaks become single spaces."""
    return _LINE_BREAKS.sub(" ", value) if isinstance(value, str) else value


def without_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


def refuse_nul(_form, field) -> None:
    values = field.data if isinstance(field.data, list | tuple) else [field.data]
    if any(isinstance(value, str) and "\x00" in value for value in values):
        # Stops the field's other validators too: none of them (some ask the database) sees it.
        raise StopValidation(_l("This field cannot contain a NUL character."))


def refuse_out_of_range(_form, field) -> None:
    """A number no id column holds (they are 32-bit on PostgreSQL, where a larger one in a query
    is an error) is refused before the field's other checks, like a choice beyond the list."""
    if isinstance(field.data, int) and not isinstance(field.data, bool) and not 0 <= field.data <= MAX_ID:
        raise StopValidation(_l("Give a whole number from 1 to %(most)d.", most=MAX_ID))


class ActionForm(Form):
    """A button that changes something: CSRF protection only."""


def to_int(value) -> int | None:
    """An id from a form or query value, or None when it is not one (see ``parse_id``)."""
    return parse_id(str(value or ""))

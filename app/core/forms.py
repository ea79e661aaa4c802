"""Shared form pieces."""

from __future__ import annotations

from flask_wtf import FlaskForm


class Form(FlaskForm):
    """Base form: strips surrounding white space from text input."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            text_fields = {"StringField", "TextAreaField", "EmailField", "URLField", "SearchField"}
            if unbound_field.field_class.__name__ in text_fields:
                filters.append(_strip)
            return unbound_field.bind(form=form, filters=filters, **options)

    def add_domain_error(self, error) -> None:
        """Put a DomainError's message on its field, or on the form."""
        field = getattr(self, error.field, None) if error.field else None
        if field is not None:
            field.errors = [*field.errors, str(error.message)]
        else:
            self.form_errors.append(str(error.message))


def _strip(value):
    return value.strip() if isinstance(value, str) else value

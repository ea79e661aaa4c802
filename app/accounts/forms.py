"""Account forms: they validate, the services write."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, ValidationError

from app.accounts.services import display_name_problem, password_problem, timezone_choices
from app.core.forms import Form
from app.core.i18n import LANGUAGE_NAMES, time_zone_choices, viewer_locale


def _email_field() -> EmailField:
    return EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(message=_l("Enter your e-mail address.")),
            Length(max=320, message=_l("Use at most %(max)d characters.")),
            Email(message=_l("Enter an e-mail address like name@example.org."), check_deliverability=False),
        ],
    )


class _NewPassword:
    """The password rules, shared with the services (which check them again)."""

    def __init__(self, email_field: str | None = None, name_field: str | None = None) -> None:
        self.email_field, self.name_field = email_field, name_field

    def __call__(self, form: Form, field: PasswordField) -> None:
        email = form[self.email_field].data if self.email_field else getattr(form, "_user_email", None)
        name = form[self.name_field].data if self.name_field else getattr(form, "_user_name", None)
        problem = password_problem(field.data or "", email=email, display_name=name)
        if problem:
            raise ValidationError(problem)


def _display_name(form: Form, field: StringField) -> None:
    problem = display_name_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class _ChoiceField(SelectField):
    """A select whose "not in the list" error speaks the user's language."""

    def __init__(self, label=None, validators=None, *, invalid=None, **kwargs) -> None:
        super().__init__(label, validators, choices=[], **kwargs)
        self.invalid_message = invalid

    def pre_validate(self, form: Form) -> None:
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError(self.invalid_message or self.gettext("Not a valid choice."))


class LoginForm(Form):
    email = _email_field()
    password = PasswordField(_l("Password"), validators=[InputRequired(message=_l("Enter your password."))])
    next = HiddenField()


class RegistrationForm(Form):
    email = _email_field()
    display_name = StringField(
        _l("Name shown to others"),
        validators=[DataRequired(message=_l("Enter the name other participants will see.")), _display_name],
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Choose a password.")), _NewPassword("email", "display_name")],
    )
    accept_terms = BooleanField(
        _l("I accept the terms of participation and have read the privacy notice"),
        validators=[DataRequired(message=_l("Accept the terms of participation to create an account."))],
    )


class ForgotPasswordForm(Form):
    email = _email_field()


class ResetPasswordForm(Form):
    new_password = PasswordField(
        _l("New password"),
        validators=[InputRequired(message=_l("Choose a new password.")), _NewPassword()],
    )

    def for_user(self, user) -> ResetPasswordForm:
        self._user_email, self._user_name = user.email, user.display_name
        return self


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired(message=_l("Enter your current password."))]
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[InputRequired(message=_l("Choose a new password.")), _NewPassword()],
    )

    def for_user(self, user) -> ChangePasswordForm:
        self._user_email, self._user_name = user.email, user.display_name
        return self


class ProfileForm(Form):
    display_name = StringField(
        _l("Name shown to others"),
        validators=[DataRequired(message=_l("Enter the name other participants will see.")), _display_name],
    )
    preferred_language = _ChoiceField(_l("Language"), invalid=_l("Choose one of the languages in the list."))
    timezone = _ChoiceField(_l("Time zone"), invalid=_l("Choose a time zone from the list."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.preferred_language.choices = [("", _l("The language of my browser"))] + [
            (code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]
        ]
        self.timezone.choices = time_zone_choices(tuple(timezone_choices()), viewer_locale())

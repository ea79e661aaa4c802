"""Forms of the "Your data" pages: they validate, the services write."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.core.forms import Form


class DeleteAccountForm(Form):
    password = PasswordField(_l("Your password"), validators=[DataRequired(message=_l("Enter your password."))])
    remove_comments = BooleanField(_l("Also ask the moderators to remove my comments"))
    removal_reason = TextAreaField(_l("Why should your comments be removed?"),
                                   validators=[Length(max=2000, message=_l("Use at most %(max)d characters."))])
    confirm = BooleanField(_l("I understand that my account is closed at once and cannot be restored."),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])


class AdminEraseForm(Form):
    note = TextAreaField(_l("On whose request (letter, date, reference)"),
                         validators=[DataRequired(message=_l("Say who asked for this and how.")),
                                     Length(max=2000, message=_l("Use at most %(max)d characters."))])
    remove_comments = BooleanField(_l("The person also asks for the removal of their comments"))
    removal_reason = TextAreaField(_l("Their reason for the removal"),
                                   validators=[Length(max=2000, message=_l("Use at most %(max)d characters."))])
    confirm = BooleanField(_l("The account is closed at once and cannot be restored."),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])

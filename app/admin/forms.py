"""Forms of the administration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.accounts.models import Role, Scope, User
from app.accounts.org_forms import options
from app.accounts.organisations import strip_controls
from app.core.forms import Form

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.MODERATOR: _l("Moderator"),
    Role.AUTHOR: _l("Author (government)"),
    Role.FOCAL_POINT: _l("Focal point"),
}

SCOPE_LABELS = {
    Scope.GLOBAL: _l("Everything"),
    Scope.CONSULTATION: _l("One consultation"),
    Scope.COUNTRY: _l("One country"),
    Scope.REGION: _l("One regional organisation"),
}

USER_STATUS_LABELS = {
    User.ACTIVE: _l("Active"),
    User.SUSPENDED: _l("Suspended"),
    User.BANNED: _l("Banned"),
}


class UserSearchForm(Form):
    class Meta:
        csrf = False

    q = SearchField(_l("Name or e-mail address"), filters=[strip_controls], validators=[Optional(), Length(max=200)])
    status = SelectField(_l("Status"), validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = options([("", _l("Any status")), *USER_STATUS_LABELS.items()])


class SuspendForm(Form):
    reason = TextAreaField(_l("Reason for the suspension"), filters=[strip_controls],
                           validators=[DataRequired(_l("Give the reason; it is kept in the audit log.")),
                                       Length(max=2000)])


class ReactivateForm(Form):
    reason = StringField(_l("Reason (optional)"), filters=[strip_controls], validators=[Optional(), Length(max=2000)])


class GrantForm(Form):
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose a role."))])
    scope_type = SelectField(_l("Scope"), validators=[DataRequired(_l("Choose a scope."))])
    scope_key = StringField(_l("Country, regional organisation or consultation"),
                            filters=[strip_controls], validators=[Optional(), Length(max=32)])
    reason = StringField(_l("Reason (optional)"), filters=[strip_controls], validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = options([("", _l("Choose…")), *ROLE_LABELS.items()])
        self.scope_type.choices = options([("", _l("Choose…")), *SCOPE_LABELS.items()])


class ConfirmForm(Form):
    """A button that changes something; ``next`` says where to go back to."""

    next = HiddenField()


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    actor = StringField(_l("Done by (e-mail address or account number)"), filters=[strip_controls],
                        validators=[Optional(), Length(max=320)])
    target_type = SelectField(_l("Concerning"), validators=[Optional()])
    date_from = DateField(_l("From (date)"), validators=[Optional()])
    date_to = DateField(_l("To (date, included)"), validators=[Optional()])

    def __init__(self, *args, actions: list[str] = (), target_types: list[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = options([("", _l("Any action")), *((a, a) for a in actions)])
        self.target_type.choices = options([("", _l("Anything")), *((t, t) for t in target_types)])

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

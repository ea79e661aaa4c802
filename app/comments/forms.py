"""Forms of the discussion. They validate input shapes; services decide."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from app.comments.models import Audience, CommentKind, Stance
from app.comments.services import DEFAULT_MAX_LENGTH, CommentInput
from app.core.forms import (
    ActionForm,  # noqa: F401 - imported from here by the views
    Form,
)
from app.core.urls import parse_id

KIND_LABELS = {
    CommentKind.COMMENT: _l("Comment"),
    CommentKind.QUESTION: _l("Question"),
    CommentKind.AMENDMENT: _l("Proposed wording (amendment)"),
}
KIND_BADGES = {
    CommentKind.COMMENT: _l("Comment"),
    CommentKind.QUESTION: _l("Question"),
    CommentKind.AMENDMENT: _l("Amendment"),
}
STANCE_LABELS = {
    Stance.SUPPORTS: _l("Supports the provision"),
    Stance.OPPOSES: _l("Opposes the provision"),
    Stance.NEUTRAL: _l("Neutral"),
}
AUDIENCE_LABELS = {
    Audience.PUBLIC: _l("Public — anyone can read it"),
    Audience.RESTRICTED: _l("Restricted — only moderators, the drafting government and focal points"),
}
SORT_LABELS = {"oldest": _l("Oldest first"), "newest": _l("Newest first"), "supported": _l("Most supported")}


def _text_length(maximum: int = DEFAULT_MAX_LENGTH) -> Length:
    """The longest text a field takes; browsers read it as ``maxlength`` (and the
    character counter shows what is left)."""
    return Length(max=maximum, message=_l("Shorten your text to %(max)d characters or fewer (it has %(length)d)."))


def _unix_newlines(value):
    """Browsers send line breaks as CR LF but count them as one character."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def new_idempotency_key() -> str:
    return secrets.token_hex(16)


class CommentForm(Form):
    body = TextAreaField(_l("Your comment"), validators=[_text_length()], filters=[_unix_newlines])
    kind = RadioField(_l("Type"), choices=list(KIND_LABELS.items()), default=CommentKind.COMMENT,
                      validate_choice=False)
    proposed_wording = TextAreaField(_l("Proposed wording for this provision"), validators=[_text_length()],
                                     filters=[_unix_newlines])
    stance = RadioField(_l("Your position on the provision (optional)"),
                        choices=[("", _l("No position given")), *STANCE_LABELS.items()], default="",
                        validate_choice=False, validators=[Optional()])
    audience = RadioField(_l("Who can read it"), choices=list(AUDIENCE_LABELS.items()), default=Audience.PUBLIC,
                          validate_choice=False)
    organisation_id = SelectField(_l("Speaking for"), default="", validate_choice=False)
    language = SelectField(_l("Language of your comment"), validate_choice=False)
    section_id = HiddenField()
    parent_id = HiddenField()
    version_id = HiddenField()
    idempotency_key = HiddenField()

    def data_for_service(self) -> CommentInput:
        return CommentInput(
            body=self.body.data or "", kind=self.kind.data or CommentKind.COMMENT, stance=self.stance.data or None,
            audience=self.audience.data or Audience.PUBLIC, language=self.language.data or "",
            organisation_id=_int(self.organisation_id.data), section_id=_int(self.section_id.data),
            parent_id=_int(self.parent_id.data), version_id=_int(self.version_id.data),
            proposed_wording=self.proposed_wording.data or "", idempotency_key=self.idempotency_key.data or "",
            malformed=[name for name in ("organisation_id", "section_id", "parent_id", "version_id")
                       if (getattr(self, name).data or "").strip() and _int(getattr(self, name).data) is None],
        )

    def offer_kinds(self, *, on_section: bool) -> None:
        """Proposed wording belongs to a provision: not offered on the draft as a whole."""
        self.kind.choices = [(k, label) for k, label in KIND_LABELS.items()
                             if on_section or k != CommentKind.AMENDMENT]

    def draft_data(self) -> dict:
        """What is kept server-side when the writer's session expired."""
        return {name: (getattr(self, name).data or "") for name in (
            "body", "kind", "proposed_wording", "stance", "audience", "organisation_id", "language",
            "section_id", "parent_id", "version_id")}

    def restore(self, data: dict) -> None:
        for name, value in data.items():
            if name in self._fields and isinstance(value, str):
                self._fields[name].data = value


class EditCommentForm(Form):
    body = TextAreaField(_l("Your comment"), validators=[_text_length()], filters=[_unix_newlines])
    proposed_wording = TextAreaField(_l("Proposed wording for this provision"), validators=[_text_length()],
                                     filters=[_unix_newlines])
    version = HiddenField()




class NotificationSettingsForm(Form):
    email_replies = BooleanField(_l("E-mail me when someone replies to my comment"))
    email_closing = BooleanField(_l("E-mail me 7 days before a consultation I follow or commented on closes"))


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return parse_id(value)

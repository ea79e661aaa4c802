"""Moderation forms: they validate shapes; services decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from app.core.forms import ActionForm, Form, to_int  # noqa: F401 - imported from here by the views
from app.moderation.labels import (  # noqa: F401 - re-exported for the views
    ACTION_DONE,
    ACTION_LABELS,
    AUDIENCE_LABELS,
    COMMENT_STATUS_LABELS,
    FLAG_LABELS,
    SANCTION_LABELS,
    SORT_LABELS,
    TAB_LABELS,
)
from app.moderation.models import BULK_ACTIONS, SanctionKind
from app.moderation.models import DecisionAction as A
from app.moderation.reasons import shown


def reason_choices(rows) -> list[tuple[str, str]]:
    """What a form offers from the reasons' (id, label) rows (``queries.active_reason_rows``)."""
    return [("", _l("— No template: write the reason below —")),
            *[(str(reason_id), shown(label)) for reason_id, label in rows]]


class DecisionForm(Form):
    action = SelectField(_l("Decision"), choices=[(k, v) for k, v in ACTION_LABELS.items() if k != A.UNDO],
                         validate_choice=False)
    reason_id = SelectField(_l("Reason"), validate_choice=False)
    # An edit publishes its reason under the comment: the label says so where the moderator types it.
    reason_text = TextAreaField(_l("Reason in your own words (for “Edit the text” it is published with the "
                                   "comment for every reader)"))
    body = TextAreaField(_l("Edited text (for “Edit the text”)"))
    passage = TextAreaField(_l("Passage to redact (for “Redact a passage”)"))
    audience = RadioField(_l("Who can read it (for “Change who can read it”)"),
                          choices=list(AUDIENCE_LABELS.items()), validate_choice=False, validators=[Optional()])
    version = HiddenField()


class BulkDecisionForm(Form):
    action = SelectField(_l("Decision for the selected items"),
                         choices=[(k, ACTION_LABELS[k]) for k in BULK_ACTIONS], validate_choice=False)
    reason_id = SelectField(_l("Reason"), validate_choice=False)
    reason_text = TextAreaField(_l("Reason in your own words"))


class UndoForm(Form):
    version = HiddenField()
    reason_text = TextAreaField(_l("Why you undo it (optional)"))


class FlagForm(Form):
    reason = RadioField(_l("What is wrong with this comment?"), choices=list(FLAG_LABELS.items()),
                        validate_choice=False)
    text = TextAreaField(_l("Details (required for “Something else”)"))


class SanctionForm(Form):
    kind = RadioField(_l("Sanction"), choices=list(SANCTION_LABELS.items()), default=SanctionKind.WARNING,
                      validate_choice=False)
    ends_at = DateTimeLocalField(_l("Suspended until (for a suspension)"), format="%Y-%m-%dT%H:%M",
                                 validators=[Optional()])
    reason_id = SelectField(_l("Reason"), validate_choice=False)
    reason_text = TextAreaField(_l("Reason in your own words"))
    comment_id = HiddenField()


class LiftForm(Form):
    reason_text = TextAreaField(_l("Why the sanction is lifted"))


class ReasonForm(Form):
    code = StringField(_l("Code"))
    label = StringField(_l("Label (shown to moderators and in public figures)"))
    message = TextAreaField(_l("Message to the author"))
    active = BooleanField(_l("Offered to moderators"), default=True)


class WatchWordForm(Form):
    word = StringField(_l("Word or phrase"))


class GuidelinesForm(Form):
    source = TextAreaField(_l("Guidelines (Markdown)"))



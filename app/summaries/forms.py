"""Forms of the summary editor, forwarding, answers and the resolution table.
They validate shapes; services decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, TextAreaField

from app.core.forms import Form
from app.summaries.models import Decision
from app.summaries.services import DispositionInput, PointInput

DECISION_LABELS = {
    Decision.ACCEPTED: _l("Accepted"),
    Decision.PARTLY_ACCEPTED: _l("Partly accepted"),
    Decision.NOT_ACCEPTED: _l("Not accepted"),
    Decision.NOTED: _l("Noted"),
}


def to_ids(values) -> list[int]:
    ids = []
    for value in values or []:
        text = str(value).strip()
        if text.isascii() and text.isdigit() and len(text) < 12:
            ids.append(int(text))
    return ids


def to_int(value) -> int | None:
    ids = to_ids([value])
    return ids[0] if ids else None


class ActionForm(Form):
    """A button that changes something: CSRF only."""


class SummaryTextForm(Form):
    overall = TextAreaField(_l("Overall summary"))
    restricted = BooleanField(_l("Restricted summary"))


class PointForm(Form):
    section_id = SelectField(_l("Provision"), validate_choice=False)
    text = TextAreaField(_l("The point"))
    comment_ids = SelectMultipleField(_l("Comments cited"), validate_choice=False)

    def data_for_service(self) -> PointInput:
        return PointInput(section_id=to_int(self.section_id.data), text=self.text.data or "",
                          comment_ids=to_ids(self.comment_ids.data))


class PublishForm(Form):
    change_note = TextAreaField(_l("What changed since the last published summary"))


class ForwardForm(Form):
    regions = SelectMultipleField(_l("Regional organisations"), validate_choice=False)
    countries = SelectMultipleField(_l("Countries (national points of contact)"), validate_choice=False)
    note = TextAreaField(_l("Note to the focal points (optional)"))


class ResponseForm(Form):
    body = TextAreaField(_l("Your reply"))
    publish = BooleanField(_l("Publish this reply on the summary page"))


class DispositionForm(Form):
    section_id = SelectField(_l("Provision"), validate_choice=False)
    point_raised = TextAreaField(_l("Point raised"))
    decision = RadioField(_l("Decision"), choices=list(DECISION_LABELS.items()), validate_choice=False)
    reason = TextAreaField(_l("Reason"))
    comment_ids = SelectMultipleField(_l("Comments this answers"), validate_choice=False)

    def data_for_service(self) -> DispositionInput:
        return DispositionInput(section_id=to_int(self.section_id.data), point_raised=self.point_raised.data or "",
                                decision=self.decision.data or "", reason=self.reason.data or "",
                                comment_ids=to_ids(self.comment_ids.data))

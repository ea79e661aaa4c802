"""Forms of the summary editor, forwarding, answers and the resolution table.
They validate shapes; services decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Length

from app.core.forms import ActionForm, Form, to_int  # noqa: F401 - imported from here by the views
from app.core.urls import parse_id
from app.summaries.models import Decision
from app.summaries.services import POINT_MAX, TEXT_MAX, DispositionInput, PointInput

DECISION_LABELS = {
    Decision.ACCEPTED: _l("Accepted"),
    Decision.PARTLY_ACCEPTED: _l("Partly accepted"),
    Decision.NOT_ACCEPTED: _l("Not accepted"),
    Decision.NOTED: _l("Noted"),
}


def to_ids(values) -> list[int]:
    ids = []
    for value in values or []:
        number = parse_id(str(value))
        if number is not None:
            ids.append(number)
    return ids




def _text_length(maximum: int) -> Length:
    """Read by browsers as ``maxlength``, and by the character counter."""
    return Length(max=maximum, message=_l("Shorten your text to %(max)d characters or fewer (it has %(length)d)."))


class SummaryTextForm(Form):
    overall = TextAreaField(_l("Overall summary"), validators=[_text_length(TEXT_MAX)])
    restricted = BooleanField(_l("Restricted summary"))


class PointForm(Form):
    section_id = SelectField(_l("Provision"), validate_choice=False)
    text = TextAreaField(_l("The point"), validators=[_text_length(POINT_MAX)])
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

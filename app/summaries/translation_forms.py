"""The form of a summary's translation: the overall text and one field per point
of the revision being translated. It validates; the service decides."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Length

from app.core.forms import Form
from app.summaries.translations import POINT_MAX, TEXT_MAX, SummaryTranslationInput


class SummaryTranslationForm(Form):
    overall = TextAreaField(_l("Overall summary"), validators=[Length(max=TEXT_MAX)])
    point_ids: list[int] = []

    def point_field(self, point_id: int) -> Any:
        return self[f"point_{point_id}"]

    def data_for_service(self) -> SummaryTranslationInput:
        return SummaryTranslationInput(overall=self.overall.data or "", points={
            point_id: self.point_field(point_id).data or "" for point_id in self.point_ids})


def summary_translation_form(points: list[Any]) -> SummaryTranslationForm:
    """The form for ``points`` (the revision's), each labelled with its number."""

    class PointsForm(SummaryTranslationForm):
        pass

    for number, point in enumerate(points, start=1):
        setattr(PointsForm, f"point_{point.id}", TextAreaField(_l("Point %(number)d", number=number),
                                                               validators=[Length(max=POINT_MAX)]))
    PointsForm.point_ids = [point.id for point in points]
    return PointsForm()

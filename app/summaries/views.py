"""Summary pages: the public summary and resolution table (with CSV/XLSX
export), the moderators' editor and forwarding page under
/manage/consultations/<id>/summary, the authors' resolution editor, and
"forwarded to me" for focal points. This module holds the blueprint and the
public pages; the others live in summary_editor_views.py, forwarding_views.py
and resolution_views.py.

Every view: load or 404 → authorize → validate → one service → one commit →
flash and redirect (or re-render with a 4xx and the errors).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.org_forms import KIND_LABELS as ORGANISATION_KIND_LABELS
from app.comments.forms import KIND_BADGES, STANCE_LABELS
from app.consultations import queries as consultation_queries
from app.consultations.models import Consultation
from app.consultations.policy import can_view_consultation
from app.core.authz import authorize, public
from app.core.db import db
from app.core.handling import or_404
from app.summaries import exports, queries, services
from app.summaries.forms import (
    DECISION_LABELS,
)
from app.summaries.policy import (
    can_enter_dispositions,
    can_use_forwarded_inbox,
    can_view_summary,
    can_write_summary,
    shown_revision,
    visible_revisions,
)

bp = Blueprint("summaries", __name__)

MANAGE = "/manage/consultations/<int:consultation_id>"


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals.update(
        DECISION_LABELS=DECISION_LABELS, can_view_summary=can_view_summary, can_write_summary=can_write_summary,
        can_enter_dispositions=can_enter_dispositions, can_use_forwarded_inbox=can_use_forwarded_inbox,
        summary_of=lambda consultation_id: services.get_summary(db.session, consultation_id, with_revisions=True),
        summary_revision_for=lambda summary, consultation: shown_revision(current_user, summary, consultation),
        # Globals rather than a context processor, so imported macros see them too.
        SUMMARY_KIND_LABELS=KIND_BADGES, SUMMARY_STANCE_LABELS=STANCE_LABELS,
        ORGANISATION_KIND_LABELS=ORGANISATION_KIND_LABELS,
        comment_cited_in=_cited_in,
    )


def _cited_in(consultation: Consultation) -> dict[int, list[tuple[str, str]]]:
    """Summary points and dispositions citing each comment of a page (comments link back to
    them), loaded once per request and consultation."""
    from flask import g

    kept = g.setdefault("comment_cited_in", {})
    if consultation.id not in kept:
        kept[consultation.id] = queries.cited_in(db.session, consultation, current_user)
    return kept[consultation.id]


def _consultation(consultation_id: int) -> Consultation:
    consultation = or_404(consultation_queries.load_consultation(db.session, consultation_id))
    return consultation


def _visible(consultation_id: int) -> Consultation:
    consultation = _consultation(consultation_id)
    authorize(can_view_consultation, current_user, consultation, hide=True)
    return consultation


def _written(consultation_id: int) -> Consultation:
    consultation = _consultation(consultation_id)
    authorize(can_write_summary, current_user, consultation, hide=True)
    return consultation


def _section_choices(consultation: Consultation) -> list[tuple[str, str]]:
    choices = [("", _("The draft as a whole"))]
    for section in queries.consultation_sections(db.session, consultation):
        label = section.title or section.anchor
        if section.version.number != (consultation.current_version.number if consultation.current_version else 0):
            label = _("%(title)s (version %(number)d)", title=label, number=section.version.number)
        choices.append((str(section.id), label))
    return choices


# --- public pages --------------------------------------------------------------------------

@bp.get("/consultations/<int:consultation_id>/summary")
@public
def show_summary(consultation_id: int):
    consultation = _visible(consultation_id)
    summary = queries.load_summary(db.session, consultation.id)
    if summary is None or summary.current_revision is None:
        if can_write_summary(current_user, consultation):
            return redirect(url_for(".edit_summary", consultation_id=consultation.id))
        return render_template("summaries/show.html", consultation=consultation, summary=None, revision=None,
                               groups=[], responses=[])
    authorize(can_view_summary, current_user, summary, consultation, hide=True)
    revision = shown_revision(current_user, summary, consultation)
    return render_template(
        "summaries/show.html", consultation=consultation, summary=summary, revision=revision,
        revisions=visible_revisions(current_user, summary, consultation),
        groups=queries.grouped_points(revision, consultation, current_user),
        responses=queries.published_responses(db.session, summary, current_user))


def _resolution(consultation_id: int):
    consultation = _visible(consultation_id)
    summary = services.get_summary(db.session, consultation.id)
    if summary is not None and summary.is_published:
        authorize(can_view_summary, current_user, summary, consultation, hide=True)
    groups = queries.resolution_table(db.session, summary if summary and summary.is_published else None,
                                      consultation, current_user)
    return consultation, summary, groups


@bp.get("/consultations/<int:consultation_id>/resolution")
@public
def resolution(consultation_id: int):
    consultation, summary, groups = _resolution(consultation_id)
    return render_template("summaries/resolution.html", consultation=consultation, summary=summary, groups=groups)


def _export_name(consultation: Consultation, extension: str) -> str:
    return f"resolution-table-{consultation.id}.{extension}"


@bp.get("/consultations/<int:consultation_id>/resolution.csv")
@public
def resolution_csv(consultation_id: int):
    consultation, _summary, groups = _resolution(consultation_id)
    base = current_app.config["BASE_URL"].rstrip("/")
    body = "".join(exports.resolution_csv(groups, base, consultation.id))
    return Response(body, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{_export_name(consultation, "csv")}"',
        "X-Content-Type-Options": "nosniff"})


@bp.get("/consultations/<int:consultation_id>/resolution.xlsx")
@public
def resolution_xlsx(consultation_id: int):
    consultation, _summary, groups = _resolution(consultation_id)
    base = current_app.config["BASE_URL"].rstrip("/")
    return Response(exports.resolution_xlsx(groups, base, consultation.id),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers={
                        "Content-Disposition": f'attachment; filename="{_export_name(consultation, "xlsx")}"',
                        "X-Content-Type-Options": "nosniff"})


# The pages of this blueprint live in several modules; importing them registers their routes.
from app.summaries import forwarding_views, resolution_views, summary_editor_views  # noqa: E402, F401, I001
from app.summaries import translation_views  # noqa: E402, F401, I001  (the moderators' translation pages)

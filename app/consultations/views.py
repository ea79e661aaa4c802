"""Reading consultations: list and search, the consultation, its sections,
version comparison and attachment downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import get_timezone
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from app.consultations import queries, translations
from app.consultations.diff import compare_sections
from app.consultations.forms import (
    CONSULTATION_STATUS_LABELS,
    INSTRUMENT_LABELS,
    LEVEL_LABELS,
    WEAPON_LABELS,
    initial_groups,
    obligation_groups,
)
from app.consultations.loading import detached_row, load_visible, row_values
from app.consultations.models import Attachment, Consultation, Section, Status
from app.consultations.policy import can_edit_consultation, can_manage_consultations
from app.consultations.reader_language import chosen_text_language, reader_language
from app.core.authz import public
from app.core.cache import consultation_scope, draft_scope, page_cache
from app.core.db import db
from app.core.handling import or_404
from app.core.i18n import viewer_locale
from app.geography.codes import COUNTRY_CODE, OBLIGATION_CODE, REGION_CODE, shaped
from app.geography.queries import all_regions, country_name, obligation_tree

bp = Blueprint("consultations", __name__)

FRAME_PARTS = ("title", "breadcrumbs", "head", "rest")
FILTER_ARGS = ("q", "status", "country", "region", "obligation", "instrument", "closing_soon")
STATUS_FILTERS = (Status.OPEN, Status.SCHEDULED, Status.CLOSED, Status.SUMMARISED, Status.FORWARDED)


@bp.record_once
def _template_globals(state) -> None:
    # Globals rather than a context processor, so imported macros see them too.
    state.app.jinja_env.globals.update(
        INSTRUMENT_LABELS=INSTRUMENT_LABELS, WEAPON_LABELS=WEAPON_LABELS, LEVEL_LABELS=LEVEL_LABELS,
        CONSULTATION_STATUS_LABELS=CONSULTATION_STATUS_LABELS, can_edit_consultation=can_edit_consultation,
        can_manage_consultations=can_manage_consultations,
    )
    state.app.jinja_env.filters.update(obligation_groups=obligation_groups, initial_groups=initial_groups)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 9 else None


def _filters() -> queries.Filters:
    args = request.args
    def one(name: str, allowed=None) -> str:
        value = args.get(name, "")[:200]
        return value if allowed is None or value in allowed else ""

    def code(name: str, pattern) -> str:  # a code of another shape names nothing: no filter
        value = args.get(name, "")
        return value if shaped(pattern, value) else ""
    return queries.Filters(
        q=one("q"), status=one("status", STATUS_FILTERS), country=code("country", COUNTRY_CODE).upper(),
        region=code("region", REGION_CODE), obligation=code("obligation", OBLIGATION_CODE),
        instrument=one("instrument", tuple(INSTRUMENT_LABELS)), closing_soon=args.get("closing_soon") == "1",
    )


@bp.get("/consultations")
@public
def list_consultations():
    filters = _filters()
    page = queries.list_consultations(db.session, current_user, filters, page=_int_arg("page") or 1)
    language = reader_language()
    titles = translations.titles_in(db.session, [c.id for c in page.items], language)
    countries = db.session.scalars(
        select(Consultation.country_code).where(queries.visible_condition(current_user)).distinct()).all()
    return render_template(
        "consultations/list.html", page=page, filters=filters, statuses=STATUS_FILTERS,
        countries=sorted(((c, country_name(c)) for c in countries), key=lambda item: item[1].casefold()),
        regions=all_regions(db.session), obligation_tree=obligation_tree(db.session), titles=titles,
        title_language=language,
        args={k: v for k, v in request.args.items() if k in FILTER_ARGS and v},
    )


def _reader_version(consultation: Consultation):
    """?version=N among published versions; authors may preview the working draft."""
    number = _int_arg("version")
    include_drafts = can_edit_consultation(current_user, consultation)
    version = queries.version_by_number(consultation, number, include_drafts=include_drafts and number is not None)
    if number is not None and version is None:
        abort(404)
    return version


@bp.get("/consultations/<int:consultation_id>")
@public
def show_consultation(consultation_id: int):
    page_cache().read_tokens_first((consultation_scope(consultation_id),))  # before what its discussion keeps
    consultation = load_visible(consultation_id)
    version = _reader_version(consultation)
    sections = queries.load_sections(db.session, version)
    return render_template(
        "consultations/show.html", consultation=consultation, version=version, sections=sections,
        text=translations.translated(db.session, consultation, reader_language()),
        comment_counts=queries.section_comment_counts(db.session, version),
        status=consultation.effective_status(),
    )


@bp.get("/consultations/<int:consultation_id>/sections/<anchor>")
@public
def show_section(consultation_id: int, anchor: str):
    page_cache().read_tokens_first((consultation_scope(consultation_id), draft_scope(consultation_id)))
    consultation = load_visible(consultation_id, whole=False)
    version = _reader_version(consultation)
    frame, section = _section_frame(consultation, version, anchor)
    return render_template(
        "consultations/section.html", consultation=consultation, version=version, frame=frame,
        section=section, status=consultation.effective_status(),
    )


def _section_frame(consultation: Consultation, version: Any, anchor: str) -> tuple[dict, Section]:
    """What the section page shows of the draft (consultations/_section_frame.html), kept
    for every reader allowed to see the version under the consultation's draft token
    (a change to its text, versions, sections, translations or translators renews it;
    comments, supports and flags do not),
    per interface language, time zone, content language and address; 404 for an anchor
    the version does not have. With it the section's row, for the discussion: kept with
    the frame, it joins the session without a query (``merge(load=False)``)."""
    language = reader_language()
    rendered: list[Section] = []

    def render() -> dict:
        sections = queries.load_sections(db.session, version, obligations=False)
        index = or_404(next((i for i, s in enumerate(sections) if s.anchor == anchor), None))
        rendered.append(sections[index])
        context = {"consultation": consultation, "version": version, "section": sections[index],
                   "text": translations.translated(db.session, consultation, language),
                   "previous": sections[index - 1] if index > 0 else None,
                   "next": sections[index + 1] if index + 1 < len(sections) else None}
        current_app.update_template_context(context)
        module = current_app.jinja_env.get_template("consultations/_section_frame.html").make_module(context)
        return {"section": row_values(sections[index]),
                **{part: str(getattr(module, part)) for part in FRAME_PARTS}}

    frame = page_cache().frame(
        ("section", consultation.id, version.id if version else None, anchor, viewer_locale(),
         str(get_timezone()), language, chosen_text_language()),
        render, scopes=(draft_scope(consultation.id),))
    if rendered:
        section = rendered[0]
    else:
        section = db.session.merge(detached_row(Section, frame["section"]), load=False)
    return {part: Markup(frame[part]) for part in FRAME_PARTS}, section  # noqa: S704 - our template's output


@bp.get("/consultations/<int:consultation_id>/compare")
@public
def compare_versions(consultation_id: int):
    consultation = load_visible(consultation_id)
    published = consultation.published_versions
    if len(published) < 2:
        return render_template("consultations/compare.html", consultation=consultation, changes=None,
                               versions=published, old=None, new=None)
    old = queries.version_by_number(consultation, _int_arg("from") or published[-2].number)
    new = queries.version_by_number(consultation, _int_arg("to") or published[-1].number)
    if old is None or new is None:
        abort(404)
    changes = compare_sections(queries.load_sections(db.session, old), queries.load_sections(db.session, new))
    return render_template("consultations/compare.html", consultation=consultation, changes=changes,
                           versions=published, old=old, new=new)


@bp.get("/consultations/<int:consultation_id>/attachments/<int:attachment_id>")
@public
def download_attachment(consultation_id: int, attachment_id: int):
    consultation = load_visible(consultation_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.consultation_id != consultation.id:
        abort(404)
    from app.consultations.attachments import stored_path

    path = stored_path(Path(current_app.config["UPLOAD_DIR"]), attachment.stored_name)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.original_filename, max_age=0, etag=attachment.sha256)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store" if consultation.visibility != "public" else "no-cache"
    return response


from app.consultations import manage_views  # noqa: E402,F401,I001  (routes of the management area)
from app.consultations import translation_views  # noqa: E402,F401,I001  (the authors' translation pages)

"""Regional coverage: the matrix of member States × obligation sections, a
State's drafts field by field, one draft's addressed / not addressed view and
side-by-side provisions of two drafts. Read-only; only what the viewer may read
counts (public consultations for visitors, invited-only ones for those invited
and staff; unpublished drafts never)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup

from app.consultations.models import Consultation
from app.consultations.policy import can_view_consultation
from app.consultations.queries import load_consultation
from app.core.authz import authorize, login_required, public
from app.core.db import db, utcnow
from app.core.handling import or_404
from app.geography.codes import COUNTRY_CODE, find_region, shaped
from app.geography.models import Region, RegionMember
from app.geography.queries import country_name, regions_of_country
from app.insight import analytics, exports, overview, queries
from app.insight import region_analytics as regional
from app.insight.forms import CompareForm, CoverageFilterForm
from app.insight.picture import (
    CELL_STATE_ORDER,
    STATE_HINTS,
    STATE_LABELS,
    STATE_SHORT,
    Filters,
    Picture,
    coverage_picture,
)
from app.insight.policy import can_view_region_overview

bp = Blueprint("insight", __name__)


def member_term(region: Region):
    """How the organisation calls its members, translatable ("participating States" for the OSCE)."""
    term = (region.membership_term or "").casefold()
    if term.startswith("participating"):
        return _l("participating States")
    if term.startswith("partner"):
        return _l("Partner States")
    if term.startswith("participants"):
        return _l("participants")
    if term.startswith("members"):
        return _l("members")
    return _l("member States")


@bp.app_context_processor
def _helpers():
    return {"member_term": member_term}


def _region_or_404(code: str) -> Region:
    return or_404(find_region(db.session, code))


@bp.get("/regions/<code>/coverage/<country_code>")
@public
def state_coverage(code: str, country_code: str):
    region = _region_or_404(code)
    if not shaped(COUNTRY_CODE, country_code) or db.session.get(RegionMember, (region.code, country_code)) is None:
        abort(404)
    drafts = queries.state_breakdowns(db.session, region, country_code, current_user)
    return render_template("insight/state.html", region=region, country_code=country_code,
                           state_name=country_name(country_code), drafts=drafts)


@bp.get("/consultations/<int:consultation_id>/obligations")
@public
def consultation_obligations(consultation_id: int):
    consultation = or_404(load_consultation(db.session, consultation_id))
    authorize(can_view_consultation, current_user, consultation, hide=True)
    return render_template("insight/obligations.html", consultation=consultation,
                           draft=queries.consultation_breakdown(db.session, consultation),
                           regions=regions_of_country(db.session, consultation.country_code))


def _compare(region: Region | None):
    conditions = []
    if region is not None:
        conditions.append(Consultation.country_code.in_(queries.member_codes(db.session, region.code)))
    drafts = queries.visible_drafts(db.session, current_user, *conditions)
    taxonomy = queries.load_taxonomy(db.session)
    asked = any(request.args.get(name) for name in ("a", "b", "code"))
    form = CompareForm(request.args if asked else None, drafts=drafts, taxonomy=taxonomy)
    context = dict(region=region, form=form, drafts=drafts, sides=None, obligation=None)
    if not asked:
        return render_template("insight/compare.html", **context)
    if not form.validate():
        return render_template("insight/compare.html", **context), 400
    chosen = queries.load_with_versions(db.session, [form.a.data, form.b.data])
    pair = [chosen[form.a.data], chosen[form.b.data]]
    for consultation in pair:
        authorize(can_view_consultation, current_user, consultation, hide=True)
    provisions = queries.tagged_provisions(db.session, pair, form.code.data)
    context.update(sides=[(c, provisions[c.id]) for c in pair], obligation=taxonomy.by_code.get(form.code.data))
    return render_template("insight/compare.html", **context)


@bp.get("/compare")
@public
def compare_provisions():
    return _compare(None)


@bp.get("/regions/<code>/compare")
@public
def region_compare(code: str):
    return _compare(_region_or_404(code))


# --- the coverage picture and its downloads ----------------------------------------------

def _picture(code: str):
    """(region, filter form, picture or None when the filters are invalid)."""
    region = _region_or_404(code)
    taxonomy = queries.load_taxonomy(db.session)
    form = CoverageFilterForm(request.args, taxonomy=taxonomy)
    if request.args and not form.validate():
        return region, form, None
    filters = form.filters() if request.args else Filters()
    return region, form, coverage_picture(db.session, region, current_user, filters, taxonomy=taxonomy)


def picture_words(picture: Picture) -> dict:
    """The heat map's title and description (for screen readers, and the PDF's caption)."""
    region = picture.region
    members = member_term(region)
    if picture.group is None:
        heading = _("Coverage map of %(region)s: %(members)s by operative paragraph of resolution 1540",
                    region=region.code, members=members)
    else:
        heading = _("Coverage map of %(region)s: %(members)s by data field of %(code)s",
                    region=region.code, members=members, code=picture.group.code)
    totals = dict.fromkeys(CELL_STATE_ORDER, 0)
    for column in picture.columns:
        for state, count in picture.column_counts(column.code).items():
            totals[state] += count
    description = " ".join([
        _("%(rows)d States (rows) × %(columns)d columns.", rows=len(picture.rows), columns=len(picture.columns)),
        "; ".join(ngettext("%(state)s: %(num)d cell", "%(state)s: %(num)d cells", totals[s], state=STATE_LABELS[s])
                  for s in CELL_STATE_ORDER) + ".",
        _("Each cell describes drafts on the platform, not whether a State meets its obligations."),
        _("The table that follows gives the same information."),
    ])
    return {"heading": heading, "description": description, "STATE_LABELS": STATE_LABELS,
            "STATE_SHORT": STATE_SHORT, "STATE_HINTS": STATE_HINTS, "STATE_ORDER": CELL_STATE_ORDER}


def _filename(picture: Picture, extension: str) -> str:
    suffix = f"-{picture.group.code}" if picture.group else ""
    return f"agora1540-coverage-{picture.region.code}{suffix}-{picture.now:%Y-%m-%d}.{extension}"


@bp.get("/regions/<code>/coverage")
@public
def region_coverage(code: str):
    region, form, picture = _picture(code)
    context = dict(region=region, form=form, picture=picture, download_args=request.args.to_dict(),
                   show_overview=can_view_region_overview(current_user, region))
    if picture is None:
        return render_template("insight/coverage.html", **context), 400
    return render_template("insight/coverage.html", **context, **picture_words(picture))


@bp.get("/regions/<code>/coverage.svg")
@public
def coverage_svg(code: str):
    region, form, picture = _picture(code)
    if picture is None:
        abort(400)
    svg = render_template("insight/_heatmap.svg", picture=picture, **picture_words(picture))
    return exports.download('<?xml version="1.0" encoding="UTF-8"?>\n' + svg, "image/svg+xml",
                            _filename(picture, "svg"))


@bp.get("/regions/<code>/coverage.csv")
@public
def coverage_csv(code: str):
    region, form, picture = _picture(code)
    if picture is None:
        abort(400)
    return exports.download(exports.picture_csv(picture), "text/csv", _filename(picture, "csv"))


@bp.get("/regions/<code>/coverage.pdf")
@public
def coverage_pdf(code: str):
    region, form, picture = _picture(code)
    if picture is None:
        abort(400)
    html = render_template("insight/coverage_pdf.html", region=region, picture=picture, **picture_words(picture))
    return exports.download(exports.render_pdf(html), "application/pdf", _filename(picture, "pdf"))


@bp.get("/regions/<code>/coverage.png")
@public
def coverage_png(code: str):
    region, form, picture = _picture(code)
    if picture is None:
        abort(400)
    words = picture_words(picture)
    svg = Markup(render_template("insight/_heatmap.svg", picture=picture, **words))  # noqa: S704 - our template's output
    width, height = exports.svg_size(svg)
    html = render_template("insight/coverage_png.html", picture=picture, svg=svg, width=width, height=height,
                           **words)
    return exports.download(exports.render_png(html), "image/png", _filename(picture, "png"))


# --- stakeholder analytics of one consultation -------------------------------------------

def _analytics(consultation_id: int):
    consultation = load_consultation(db.session, consultation_id)
    if consultation is None:
        abort(404)
    authorize(can_view_consultation, current_user, consultation, hide=True)
    version = consultation.current_version
    sections = list(version.sections) if version is not None else []
    section = None
    anchor = request.args.get("section") or ""
    if anchor:
        section = next((s for s in sections if s.anchor == anchor), None)
        if section is None:
            abort(404)
    language_name = current_app.jinja_env.filters["language_name"]
    result = analytics.consultation_analytics(db.session, consultation, current_user, section,
                                              language_name=_safe_language_name(language_name))
    return consultation, sections, result


def _safe_language_name(name_of):
    def name(code: str) -> str:
        try:
            return name_of(code)
        except (ValueError, TypeError, LookupError):
            return code
    return name


def _section_label(section) -> str:
    return " — ".join(p for p in (section.number, section.heading) if p) or section.anchor


@bp.get("/consultations/<int:consultation_id>/analytics")
@public
def consultation_analytics(consultation_id: int):
    consultation, sections, result = _analytics(consultation_id)
    by = "day" if request.args.get("by") == "day" else "week"
    args = {k: v for k, v in (("section", request.args.get("section")), ("by", request.args.get("by"))) if v}
    return render_template("insight/analytics.html", consultation=consultation, sections=sections, a=result,
                           by=by, args=args,
                           section_label=_section_label(result.section) if result.section else None)


@bp.get("/consultations/<int:consultation_id>/analytics.csv")
@public
def consultation_analytics_csv(consultation_id: int):
    consultation, sections, result = _analytics(consultation_id)
    suffix = f"-{result.section.anchor}" if result.section else ""
    return exports.download(exports.analytics_csv(result), "text/csv",
                            f"agora1540-consultation-{consultation.id}{suffix}-participation.csv")


# --- stakeholder analytics of a regional organisation's members --------------------------

def _region_analytics(code: str):
    region = _region_or_404(code)
    language_name = _safe_language_name(current_app.jinja_env.filters["language_name"])
    return region, regional.region_analytics(db.session, region, current_user, language_name=language_name)


@bp.get("/regions/<code>/analytics")
@public
def region_analytics(code: str):
    region, result = _region_analytics(code)
    by = "day" if request.args.get("by") == "day" else "week"
    return render_template("insight/region_analytics.html", region=region, a=result, by=by)


@bp.get("/regions/<code>/analytics.csv")
@public
def region_analytics_csv(code: str):
    region, result = _region_analytics(code)
    return exports.download(exports.analytics_csv(result), "text/csv",
                            f"agora1540-{region.code}-participation-{utcnow():%Y-%m-%d}.csv")


# --- a regional organisation's overview, for its focal points ----------------------------

@bp.get("/regions/<code>/overview")
@login_required
def region_overview(code: str):
    region = _region_or_404(code)
    authorize(can_view_region_overview, current_user, region)
    result = overview.region_overview(db.session, region, current_user, utcnow())
    return render_template("insight/overview.html", region=region, o=result)

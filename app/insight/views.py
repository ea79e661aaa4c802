"""Regional coverage: the matrix of member States × obligation sections, a
State's drafts field by field, one draft's addressed / not addressed view and
side-by-side provisions of two drafts. Read-only; only what the viewer may read
counts (public consultations for visitors, invited-only ones for those invited
and staff; unpublished drafts never)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.consultations.models import Consultation
from app.consultations.policy import can_view_consultation
from app.consultations.queries import load_consultation
from app.core.authz import authorize, public
from app.core.db import db
from app.geography.models import Region, RegionMember
from app.geography.queries import country_name, regions_of_country
from app.insight import queries
from app.insight.forms import CompareForm

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
    region = db.session.get(Region, code)
    if region is None:
        abort(404)
    return region


@bp.get("/regions/<code>/coverage")
@public
def region_coverage(code: str):
    region = _region_or_404(code)
    coverage = queries.region_coverage(db.session, region, current_user)
    return render_template("insight/coverage.html", region=region, coverage=coverage)


@bp.get("/regions/<code>/coverage/<country_code>")
@public
def state_coverage(code: str, country_code: str):
    region = _region_or_404(code)
    if db.session.get(RegionMember, (region.code, country_code)) is None:
        abort(404)
    drafts = queries.state_breakdowns(db.session, region, country_code, current_user)
    return render_template("insight/state.html", region=region, country_code=country_code,
                           state_name=country_name(country_code), drafts=drafts)


@bp.get("/consultations/<int:consultation_id>/obligations")
@public
def consultation_obligations(consultation_id: int):
    consultation = load_consultation(db.session, consultation_id)
    if consultation is None:
        abort(404)
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

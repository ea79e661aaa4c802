"""Regional organisations and the 1540 obligations taxonomy."""

from flask import Blueprint, render_template

from app.core.authz import public
from app.core.db import db
from app.core.handling import or_404
from app.geography import queries
from app.geography.codes import find_region
from app.geography.names import region_name, region_short_name, weapon_category

bp = Blueprint("geography", __name__)


@bp.app_context_processor
def _helpers():
    return {"country_name": queries.country_name,
            "weapon_categories": lambda codes: [weapon_category(code).lower() for code in codes or ()],
            "region_short_name": region_short_name, "region_name": region_name}


@bp.get("/regions")
@public
def regions():
    return render_template("geography/regions.html", regions=queries.all_regions(db.session))


@bp.get("/regions/<code>")
@public
def region(code: str):
    region = or_404(find_region(db.session, code))
    return render_template("geography/region.html", region=region, members=queries.member_names(region))


@bp.get("/obligations")
@public
def obligations():
    return render_template("geography/obligations.html", tree=queries.obligation_tree(db.session))

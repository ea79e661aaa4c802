"""Regional organisations and the 1540 obligations taxonomy."""

from flask import Blueprint, render_template

from app.core.authz import public
from app.core.db import db
from app.core.handling import or_404
from app.geography import queries
from app.geography.models import Region

bp = Blueprint("geography", __name__)


@bp.app_context_processor
def _helpers():
    return {"country_name": queries.country_name}


@bp.get("/regions")
@public
def regions():
    return render_template("geography/regions.html", regions=queries.all_regions(db.session))


@bp.get("/regions/<code>")
@public
def region(code: str):
    region = or_404(db.session.get(Region, code))
    return render_template("geography/region.html", region=region)


@bp.get("/obligations")
@public
def obligations():
    return render_template("geography/obligations.html", tree=queries.obligation_tree(db.session))

"""Organisation pages."""

from flask import Blueprint, render_template

from app.core.authz import public

bp = Blueprint("organisations", __name__)


@bp.get("/organisations")
@public
def index():
    return render_template("errors/error.html", status=501, title="Organisations", hint="")

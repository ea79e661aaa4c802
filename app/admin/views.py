"""Administration pages under /manage/admin."""

from flask import Blueprint, render_template

from app.accounts.policy import is_admin
from app.core.authz import requires

bp = Blueprint("admin", __name__, url_prefix="/manage/admin")


@bp.get("/")
@requires(is_admin)
def index():
    return render_template("errors/error.html", status=501, title="Admin", hint="")

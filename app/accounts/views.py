"""Account pages. (Being built: registration, verification, reset, profile.)"""

from flask import Blueprint, redirect, render_template, url_for

from app.accounts.sessions import end_session
from app.core.authz import login_required, public

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    return render_template("errors/error.html", status=501, title="Sign in", hint="")


@bp.post("/logout")
@login_required
def logout():
    end_session()
    return redirect(url_for("site.home"))


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    return render_template("errors/error.html", status=501, title="Register", hint="")


@bp.get("/account")
@login_required
def profile():
    return render_template("errors/error.html", status=501, title="Profile", hint="")

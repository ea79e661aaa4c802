"""/open-data: the public bulk download, its licence and checksum."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_file

from app.core.authz import public
from app.opendata import build

bp = Blueprint("opendata", __name__)


@bp.get("/open-data")
@public
def index():
    published = build.current()
    return render_template("opendata/index.html", published=published, licence=build.licence(),
                           licence_url=build.LICENCE_URLS.get(build.licence()))


@bp.get(f"/open-data/{build.FILENAME}")
@public
def download():
    published = build.current()
    if published is None:
        abort(404)
    return send_file(published.path, mimetype="application/zip", as_attachment=True,
                     download_name=build.FILENAME, etag=published.sha256, conditional=True, max_age=300)

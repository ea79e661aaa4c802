"""Digest pages: a focal point's digests (page with read state, PDF), their
subscription, the administrators' delivery figures, and the public Atom
feed of each regional organisation's summaries."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import undefer

from app.accounts.policy import is_admin, is_focal_point
from app.core.authz import authorize, login_required, public, requires
from app.core.db import db, utcnow
from app.core.handling import handle_form, or_404
from app.digests import feeds, queries, services
from app.digests.forms import FREQUENCY_LABELS, SubscriptionForm
from app.digests.models import Digest
from app.digests.policy import is_digest_recipient
from app.geography.codes import find_region
from app.geography.queries import all_regions, country_name, obligation_tree

bp = Blueprint("digests", __name__)


def _own_digest(digest_id: int, *columns) -> Digest:
    digest = or_404(db.session.get(Digest, digest_id, options=[undefer(c) for c in columns]))
    authorize(is_digest_recipient, current_user, digest, hide=True)
    return digest


@bp.get("/digests")
@requires(is_focal_point)
def list_digests():
    page = queries.digests_of(db.session, current_user, request.args.get("page"))
    return render_template("digests/list.html", page=page)


@bp.get("/digests/<int:digest_id>")
@login_required
def show_digest(digest_id: int):
    digest = _own_digest(digest_id, Digest.body_html)
    if services.mark_read(db.session, digest, actor=current_user):
        db.session.commit()
    return render_template("digests/show.html", digest=digest)


@bp.get("/digests/<int:digest_id>.pdf")
@login_required
def digest_pdf(digest_id: int):
    digest = _own_digest(digest_id, Digest.pdf)
    if not digest.pdf:
        abort(404)
    return Response(digest.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="agora1540-digest-{digest.period_key}.pdf"',
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


def country_choices(session) -> list[tuple[str, str]]:
    """Every country by its name in the reader's language, sorted by that name."""
    from sqlalchemy import select

    from app.geography.models import Country

    codes = session.scalars(select(Country.code)).all()
    return sorted(((code, country_name(code)) for code in codes), key=lambda item: item[1].casefold())


def _subscription_form(subscription) -> SubscriptionForm:
    form = SubscriptionForm()
    form.regions.choices = [(r.code, f"{r.code} — {r.full_name}") for r in all_regions(db.session)]
    form.language.choices = [(code, name) for code, name in current_app.jinja_env.globals["LANGUAGE_NAMES"].items()]
    form.countries.choices = country_choices(db.session)
    form.obligations.choices = [choice for paragraph, elements in obligation_tree(db.session)
                                for choice in [(paragraph.code, f"{paragraph.code} — {paragraph.title}"),
                                               *((e.code, f"{e.code} — {e.title}") for e in elements)]]
    if request.method == "GET":
        form.regions.data = list(subscription.regions or [])
        form.countries.data = list(subscription.countries or [])
        form.obligations.data = list(subscription.obligations or [])
        form.frequency.data, form.language.data = subscription.frequency, subscription.language
    return form


@bp.route("/digests/subscription", methods=["GET", "POST"])
@requires(is_focal_point)
def subscription():
    current = services.subscription_for(db.session, current_user)
    form = _subscription_form(current)
    return handle_form(
        form, lambda: services.save_subscription(
            db.session, current_user, regions=form.regions.data or [], countries=form.countries.data or [],
            obligations=form.obligations.data or [], frequency=form.frequency.data or "",
            language=form.language.data or "", actor=current_user),
        render=lambda status: (render_template(
            "digests/subscription.html", form=form, FREQUENCY_LABELS=FREQUENCY_LABELS,
            saved=db.session.get(type(current), current_user.id) is not None), status),
        success=_("Your digest subscription is saved."), redirect_to=url_for(".subscription"))


@bp.get("/manage/digests")
@requires(is_admin)
def admin_digests():
    return render_template("digests/admin.html", periods=queries.delivery_counts(db.session))


@bp.get("/regions/<code>/summaries.atom")
@public
def region_feed(code: str):
    region = or_404(find_region(db.session, code.upper()))
    body = feeds.region_feed(db.session, region, base_url=current_app.config["BASE_URL"].rstrip("/"), now=utcnow())
    return Response(body, mimetype="application/atom+xml; charset=utf-8")

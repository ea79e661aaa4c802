"""Organisation pages: list, profile, register, edit, join, members."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import organisations as services
from app.accounts import policy
from app.accounts.models import Membership, Organisation
from app.accounts.org_forms import ConfirmForm, OrganisationFilterForm, OrganisationForm, kind_label
from app.core.authz import authorize, login_required, public
from app.core.db import db
from app.core.handling import get_or_404, handle_button, handle_form, or_404
from app.core.pagination import paginate

bp = Blueprint("organisations", __name__)

PER_PAGE = 20

# Predicates templates use through ``can(...)``.
TEMPLATE_PREDICATES = (
    "is_admin", "is_moderator", "is_author", "is_focal_point", "is_member", "is_representative",
    "can_edit_organisation", "can_manage_members", "can_ask_to_join", "can_verify_organisation",
    "can_manage_roles",
)


@bp.app_context_processor
def _helpers():
    helpers = {name: getattr(policy, name) for name in TEMPLATE_PREDICATES}
    helpers["kind_label"] = kind_label
    return helpers


def _organisation_or_404(organisation_id: int) -> Organisation:
    organisation = or_404(services.load_organisation(db.session, organisation_id))
    return organisation


def _membership_or_404(organisation: Organisation, membership_id: int) -> Membership:
    return get_or_404(Membership, membership_id, organisation_id=organisation.id)


def _form_values(form: OrganisationForm) -> dict:
    return {
        "name": form.name.data,
        "kind": form.kind.data,
        "country_code": form.country_code.data or None,
        "website": form.website.data,
        "description": form.description.data,
    }


@bp.get("/organisations")
@public
def index():
    filters = OrganisationFilterForm(request.args)
    valid = filters.validate()
    stmt = services.organisations_query(
        search=filters.q.data if valid else None,
        kind=filters.kind.data if valid else None,
        country=filters.country.data if valid else None,
    )
    page = paginate(stmt, request.args.get("page"), PER_PAGE)
    counts = services.member_counts(db.session, [o.id for o in page.items])
    filtered = any(request.args.get(k) for k in ("q", "kind", "country"))
    return render_template("organisations/index.html", filters=filters, page=page, counts=counts, filtered=filtered)


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def create():
    form = OrganisationForm()
    return handle_form(
        form, lambda: services.create_organisation(db.session, **_form_values(form), actor=current_user),
        render=lambda status: (render_template("organisations/form.html", form=form, organisation=None), status),
        success=lambda organisation: _("%(name)s is registered, and you are its representative. An administrator "
                                       "will verify it.", name=organisation.name),
        redirect_to=lambda organisation: url_for(".profile", organisation_id=organisation.id))


@bp.get("/organisations/<int:organisation_id>")
@public
def profile(organisation_id: int):
    organisation = _organisation_or_404(organisation_id)
    active = services.sorted_memberships(organisation, Membership.ACTIVE)
    pending = services.sorted_memberships(organisation, Membership.PENDING)
    own = next((m for m in organisation.memberships if m.user_id == getattr(current_user, "id", None)), None)
    show_members = policy.is_member(current_user, organisation) or policy.is_admin(current_user)
    return render_template(
        "organisations/profile.html", organisation=organisation, members=active, pending_count=len(pending),
        representatives=[m for m in active if m.role == Membership.REPRESENTATIVE],
        own_membership=own, show_members=show_members,
    )


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(organisation_id: int):
    organisation = _organisation_or_404(organisation_id)
    authorize(policy.can_edit_organisation, current_user, organisation)
    form = OrganisationForm(obj=organisation)
    return handle_form(
        form, lambda: services.update_organisation(db.session, organisation, **_form_values(form),
                                                   actor=current_user),
        render=lambda status: (render_template("organisations/form.html", form=form,
                                               organisation=_organisation_or_404(organisation_id)), status),
        success=lambda _saved: _("The profile of %(name)s is saved.", name=organisation.name),
        redirect_to=url_for(".profile", organisation_id=organisation.id))


@bp.post("/organisations/<int:organisation_id>/join")
@login_required
def join(organisation_id: int):
    organisation = _organisation_or_404(organisation_id)
    name = organisation.name
    return handle_button(
        ConfirmForm(), lambda: services.request_membership(db.session, organisation, actor=current_user),
        success=_("Your request to join %(name)s is sent. Its representative will decide, and you will get an "
                  "e-mail.", name=name),
        redirect_to=url_for(".profile", organisation_id=organisation.id))


@bp.get("/organisations/<int:organisation_id>/members")
@login_required
def members(organisation_id: int):
    organisation = _organisation_or_404(organisation_id)
    authorize(policy.can_manage_members, current_user, organisation)
    return render_template(
        "organisations/members.html", organisation=organisation,
        pending=services.sorted_memberships(organisation, Membership.PENDING),
        members=services.sorted_memberships(organisation, Membership.ACTIVE),
    )


def _decide(organisation_id: int, membership_id: int, action, done_message):
    organisation = _organisation_or_404(organisation_id)
    authorize(policy.can_manage_members, current_user, organisation)
    membership = _membership_or_404(organisation, membership_id)
    name = membership.user.display_name
    return handle_button(ConfirmForm(), lambda: action(db.session, membership, actor=current_user),
                         success=done_message(name), redirect_to=url_for(".members", organisation_id=organisation.id))


@bp.post("/organisations/<int:organisation_id>/members/<int:membership_id>/accept")
@login_required
def accept_request(organisation_id: int, membership_id: int):
    return _decide(organisation_id, membership_id, services.accept_membership,
                   lambda name: _("%(name)s is now a member. They have been told by e-mail.", name=name))


@bp.post("/organisations/<int:organisation_id>/members/<int:membership_id>/decline")
@login_required
def decline_request(organisation_id: int, membership_id: int):
    return _decide(organisation_id, membership_id, services.decline_membership,
                   lambda name: _("The request of %(name)s is declined. They have been told by e-mail.",
                                               name=name))


@bp.get("/organisations/<int:organisation_id>/members/<int:membership_id>/remove")
@login_required
def confirm_remove_member(organisation_id: int, membership_id: int):
    """What removing the member does, with the button that does it (no script needed)."""
    organisation = _organisation_or_404(organisation_id)
    authorize(policy.can_manage_members, current_user, organisation)
    membership = _membership_or_404(organisation, membership_id)
    if not membership.is_active:
        abort(404)
    return render_template("organisations/confirm_remove.html", organisation=organisation, membership=membership,
                           form=ConfirmForm())


@bp.post("/organisations/<int:organisation_id>/members/<int:membership_id>/remove")
@login_required
def remove_member(organisation_id: int, membership_id: int):
    return _decide(organisation_id, membership_id, services.remove_member,
                   lambda name: _("%(name)s is no longer a member.", name=name))

"""The authors' management area: /manage/consultations/...

Every view: load or 404 → authorize → validate the form → one service →
one commit → flash and redirect (or re-render with a 4xx and the errors), through
app/core/handling.py.

Over 400 lines: every page of one consultation's management area re-renders the same
overview on a refusal (``_render_manage``).
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.models import Organisation
from app.accounts.policy import is_admin
from app.consultations import importers, queries, services, sharing
from app.consultations.forms import (
    ActionForm,
    AttachmentForm,
    ConsultationForm,
    ImportForm,
    InviteForm,
    PublishForm,
    ReasonForm,
    SectionForm,
)
from app.consultations.models import Attachment, Consultation, Invitation, Section
from app.consultations.policy import can_author_in, can_edit_consultation, can_manage_consultations
from app.consultations.views import bp
from app.core.authz import authorize, requires
from app.core.db import db
from app.core.errors import DomainError, PermissionDenied
from app.core.handling import INVALID_FORM, get_or_404, handle_form, or_404, refusal_status
from app.core.sanitize import render_markdown
from app.core.transactions import not_retried
from app.geography.models import Country
from app.geography.queries import all_regions, country_name, obligation_tree

BASE = "/manage/consultations"


def _load(consultation_id: int) -> Consultation:
    consultation = or_404(queries.load_consultation(db.session, consultation_id))
    authorize(can_edit_consultation, current_user, consultation, hide=True)
    return consultation


def _load_child(model, consultation: Consultation, child_id: int):
    if model is Section:
        return get_or_404(Section, child_id, check=lambda s: s.version.consultation_id == consultation.id)
    return get_or_404(model, child_id, consultation_id=consultation.id)


def _obligation_choices() -> list[tuple[str, str]]:
    choices = []
    for section, elements in obligation_tree(db.session):
        choices.append((section.code, f"{section.code} — {section.title}"))
        choices += [(e.code, f"{e.code} — {e.title}") for e in elements]
    return choices


def _consultation_form(consultation: Consultation | None = None) -> ConsultationForm:
    form = ConsultationForm()
    if is_admin(current_user):
        codes = db.session.scalars(select(Country.code)).all()
    else:
        codes = [c for c in db.session.scalars(select(Country.code)) if can_author_in(current_user, c)]
    form.country_code.choices = sorted(((c, country_name(c)) for c in codes), key=lambda i: i[1].casefold())
    form.regions.choices = [(r.code, f"{r.code} — {r.full_name}") for r in all_regions(db.session)]
    form.obligations.choices = _obligation_choices()
    if consultation is not None and request.method == "GET":
        form.fill_from(consultation, current_user.timezone)
    elif request.method == "GET":
        form.languages.data = ["en"]
    return form


@bp.get(BASE)
@requires(can_manage_consultations)
def manage_consultations():
    return render_template("consultations/manage/list.html",
                           consultations=queries.managed_consultations(db.session, current_user))


@bp.route(f"{BASE}/new", methods=["GET", "POST"])
@requires(can_manage_consultations)
def create_consultation():
    form = _consultation_form()

    def call():
        _require_author_in(form)
        return services.create_consultation(
            db.session, form.details(current_user.timezone, derive_regions=True), actor=current_user)

    return handle_form(
        form, call, render=lambda status: (render_template("consultations/manage/edit.html", form=form,
                                                           consultation=None), status),
        success=_("Consultation created. Now import or write the draft text."),
        redirect_to=lambda consultation: url_for("consultations.import_draft", consultation_id=consultation.id))


def _require_author_in(form: ConsultationForm) -> None:
    if not can_author_in(current_user, form.country_code.data):
        raise PermissionDenied(_("You can only create consultations for the States you are an author for."),
                               field="country_code")


@bp.get(f"{BASE}/<int:consultation_id>")
@requires(can_manage_consultations)
def manage_consultation(consultation_id: int):
    return _render_manage(_load(consultation_id))


def _render_manage(consultation: Consultation, status: int = 200, **forms):
    version = consultation.working_version or consultation.current_version
    invite_form = forms.pop("invite_form", None) or InviteForm()
    invite_form.organisation_id.choices = [(0, _("— choose an organisation —"))] + [
        (o.id, o.name) for o in db.session.scalars(select(Organisation).order_by(Organisation.name))]
    return render_template(
        "consultations/manage/show.html", consultation=consultation, version=version,
        sections=queries.load_sections(db.session, version), status=consultation.effective_status(),
        publish_form=forms.pop("publish_form", None) or PublishForm(),
        open_form=forms.pop("open_form", None) or ReasonForm(prefix="open"),
        close_form=forms.pop("close_form", None) or ReasonForm(prefix="close"),
        invite_form=invite_form, attachment_form=forms.pop("attachment_form", None) or AttachmentForm(),
        action_form=ActionForm(),
    ), status


@bp.route(f"{BASE}/<int:consultation_id>/edit", methods=["GET", "POST"])
@requires(can_manage_consultations)
def edit_consultation(consultation_id: int):
    consultation = _load(consultation_id)
    form = _consultation_form(consultation)

    def call():
        _require_author_in(form)
        services.update_consultation(db.session, consultation, form.details(current_user.timezone,
                                                                            derive_regions=False),
                                     actor=current_user)

    return handle_form(
        form, call, render=lambda status: (render_template("consultations/manage/edit.html", form=form,
                                                           consultation=consultation), status),
        success=_("Changes saved."), redirect_to=_manage_url(consultation))


def _manage_url(consultation: Consultation) -> str:
    return url_for("consultations.manage_consultation", consultation_id=consultation.id)


def _source_from(form: ImportForm) -> str:
    upload = form.file.data
    if upload and getattr(upload, "filename", ""):
        data = upload.read(current_app.config["ATTACHMENT_MAX_BYTES"] + 1)
        if len(data) > current_app.config["ATTACHMENT_MAX_BYTES"]:
            raise importers.DraftImportError(_("The file is too large."), field="file")
        if data.startswith(b"PK\x03\x04") or upload.filename.lower().endswith(".docx"):
            return importers.docx_to_markdown(data)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise importers.DraftImportError(_("This file is neither a Word document (.docx) nor UTF-8 Markdown text."),
                                          field="file") from None
    return form.source.data or ""


@bp.route(f"{BASE}/<int:consultation_id>/import", methods=["GET", "POST"])
@requires(can_manage_consultations)
def import_draft(consultation_id: int):
    consultation = _load(consultation_id)
    form = ImportForm()
    status, preview = 200, None
    if form.validate_on_submit():
        # Reading a document can take a while: it is done outside any transaction, so
        # no lock (SQLite's write lock above all) is held meanwhile. The consultation
        # and the reader are read again when the import writes.
        db.session.rollback()
        try:
            parsed = importers.parse_markdown(_source_from(form))
            if form.step.data == "save":
                services.replace_sections(db.session, consultation, parsed, actor=current_user)
            else:
                preview = [(s, render_markdown(s.body_source)) for s in parsed]
                form.source.data = importers.sections_to_markdown(parsed)
                form.step.data = "save"
        except DomainError as error:
            form.add_domain_error(error)
            status = refusal_status(error)
            form.step.data = "preview"
        else:
            if preview is None:
                db.session.commit()
                flash(_("The draft text was imported."), "success")
                return redirect(url_for("consultations.manage_consultation", consultation_id=consultation.id))
    elif form.is_submitted():
        status = INVALID_FORM
    return render_template("consultations/manage/import.html", form=form, consultation=consultation,
                           preview=preview), status


def _section_form(section: Section | None = None) -> SectionForm:
    form = SectionForm()
    form.obligations.choices = _obligation_choices()
    if section is not None and request.method == "GET":
        form.fill_from(section)
    return form


@bp.route(f"{BASE}/<int:consultation_id>/sections/new", methods=["GET", "POST"])
@requires(can_manage_consultations)
def add_section(consultation_id: int):
    consultation = _load(consultation_id)
    form = _section_form()
    return handle_form(
        form, lambda: services.add_section(db.session, consultation, form.data_for_service(), actor=current_user),
        render=lambda status: (render_template("consultations/manage/section.html", form=form,
                                               consultation=consultation, section=None), status),
        success=_("Section added."), redirect_to=_manage_url(consultation))


@bp.route(f"{BASE}/<int:consultation_id>/sections/<int:section_id>/edit", methods=["GET", "POST"])
@requires(can_manage_consultations)
def edit_section(consultation_id: int, section_id: int):
    consultation = _load(consultation_id)
    section = _load_child(Section, consultation, section_id)
    form = _section_form(section)
    return handle_form(
        form, lambda: services.update_section(db.session, section, form.data_for_service(), actor=current_user),
        render=lambda status: (render_template("consultations/manage/section.html", form=form,
                                               consultation=consultation, section=section), status),
        success=_("Section saved."), redirect_to=_manage_url(consultation))


def _action(consultation: Consultation, call, success: str, form=None, form_key: str | None = None):
    """Run one service for a POST button, commit, flash; on refusal re-render the page."""
    form = form or ActionForm()

    def render(status: int):
        if form_key is None:
            for error in form.form_errors:
                flash(error, "error")
            return _render_manage(consultation, status)
        return _render_manage(consultation, status, **{form_key: form})

    return handle_form(form, call, render=render, success=success, redirect_to=_manage_url(consultation))


def _deletable_section(consultation_id: int, section_id: int) -> tuple[Consultation, Section]:
    consultation = _load(consultation_id)
    section = _load_child(Section, consultation, section_id)
    if section.version.is_published:
        abort(404)  # a published version's sections cannot be deleted: nothing to confirm
    return consultation, section


@bp.get(f"{BASE}/<int:consultation_id>/sections/<int:section_id>/delete")
@requires(can_manage_consultations)
def confirm_delete_section(consultation_id: int, section_id: int):
    """What deleting the section does, with the button that does it (no script needed)."""
    consultation, section = _deletable_section(consultation_id, section_id)
    return render_template("consultations/manage/confirm_delete_section.html", consultation=consultation,
                           section=section, form=ActionForm())


@bp.post(f"{BASE}/<int:consultation_id>/sections/<int:section_id>/delete")
@requires(can_manage_consultations)
def delete_section(consultation_id: int, section_id: int):
    consultation = _load(consultation_id)
    section = _load_child(Section, consultation, section_id)
    return _action(consultation, lambda: services.delete_section(db.session, section, actor=current_user),
                   _("Section deleted."))


@bp.post(f"{BASE}/<int:consultation_id>/sections/<int:section_id>/move")
@requires(can_manage_consultations)
def move_section(consultation_id: int, section_id: int):
    consultation = _load(consultation_id)
    section = _load_child(Section, consultation, section_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    return _action(consultation, lambda: services.move_section(db.session, section, offset=offset, actor=current_user),
                   _("Section moved."))


def _render_publish(consultation: Consultation, form: PublishForm, status: int = 200):
    version = consultation.working_version
    if version is None:
        abort(404)  # nothing in preparation: nothing to publish
    return render_template("consultations/manage/confirm_publish.html", consultation=consultation,
                           version=version, sections=queries.load_sections(db.session, version), form=form,
                           status=consultation.effective_status()), status


@bp.get(f"{BASE}/<int:consultation_id>/publish")
@requires(can_manage_consultations)
def confirm_publish_version(consultation_id: int):
    """What publishing does, the change note and the button that publishes."""
    return _render_publish(_load(consultation_id), PublishForm(formdata=None))


@bp.post(f"{BASE}/<int:consultation_id>/publish")
@requires(can_manage_consultations)
def publish_version(consultation_id: int):
    consultation = _load(consultation_id)
    form = PublishForm()

    def render(status: int):
        if status != INVALID_FORM and consultation.working_version is None:  # published meanwhile
            for error in form.form_errors:
                flash(error, "error")
            return redirect(_manage_url(consultation))
        return _render_publish(consultation, form, status)

    return handle_form(
        form, lambda: services.publish_version(db.session, consultation, change_note=form.change_note.data or "",
                                               actor=current_user),
        render=render, success=_("The version is published and can no longer change."),
        redirect_to=_manage_url(consultation))


@bp.post(f"{BASE}/<int:consultation_id>/revise")
@requires(can_manage_consultations)
def start_revision(consultation_id: int):
    consultation = _load(consultation_id)
    return _action(consultation, lambda: services.start_revision(db.session, consultation, actor=current_user),
                   _("A new version was started as a copy of the published one. Edit it, then publish it."))


@bp.post(f"{BASE}/<int:consultation_id>/open")
@requires(can_manage_consultations)
def open_early(consultation_id: int):
    consultation = _load(consultation_id)
    form = ReasonForm(prefix="open")
    return _action(consultation, lambda: services.open_early(
        db.session, consultation, reason=form.reason.data or "", actor=current_user),
        _("The consultation is open for comments."), form, "open_form")


@bp.post(f"{BASE}/<int:consultation_id>/close")
@requires(can_manage_consultations)
def close_early(consultation_id: int):
    consultation = _load(consultation_id)
    form = ReasonForm(prefix="close")
    return _action(consultation, lambda: services.close_early(
        db.session, consultation, reason=form.reason.data or "", actor=current_user),
        _("The consultation is closed."), form, "close_form")


@bp.post(f"{BASE}/<int:consultation_id>/invitations")
@requires(can_manage_consultations)
def invite(consultation_id: int):
    """The answer names what was typed, never an account: it reads the same
    whether or not anyone is registered with the address."""
    consultation = _load(consultation_id)
    form = InviteForm()
    return handle_form(
        form, lambda: sharing.invite(db.session, consultation, email=form.email.data or "",
                                     organisation_id=form.organisation_id.data or None, actor=current_user),
        render=lambda status: _render_manage(consultation, status, invite_form=form),
        success=lambda invitation: (_("Invitation sent to %(address)s.", address=invitation.email)
                                    if invitation.email else _("Invitation added.")),
        redirect_to=_manage_url(consultation))


@bp.post(f"{BASE}/<int:consultation_id>/invitations/<int:invitation_id>/delete")
@requires(can_manage_consultations)
def remove_invitation(consultation_id: int, invitation_id: int):
    consultation = _load(consultation_id)
    invitation = _load_child(Invitation, consultation, invitation_id)
    return _action(consultation, lambda: sharing.remove_invitation(db.session, invitation, actor=current_user),
                   _("Invitation removed."))


@bp.post(f"{BASE}/<int:consultation_id>/attachments")
@not_retried  # the file is written to disk: a second attempt would find the upload already read
@requires(can_manage_consultations)
def upload_attachment(consultation_id: int):
    consultation = _load(consultation_id)
    form = AttachmentForm()
    upload = form.file.data

    def call():
        if not upload or not getattr(upload, "filename", ""):
            raise DomainError(_("Choose a file to attach."), field="file")
        limit = current_app.config["ATTACHMENT_MAX_BYTES"]
        sharing.add_attachment(db.session, consultation, filename=upload.filename, data=upload.read(limit + 1),
                               title=form.title.data or "", upload_dir=Path(current_app.config["UPLOAD_DIR"]),
                               max_bytes=limit, actor=current_user)

    return _action(consultation, call, _("File attached."), form, "attachment_form")


@bp.post(f"{BASE}/<int:consultation_id>/attachments/<int:attachment_id>/delete")
@requires(can_manage_consultations)
def delete_attachment(consultation_id: int, attachment_id: int):
    consultation = _load(consultation_id)
    attachment = _load_child(Attachment, consultation, attachment_id)
    return _action(consultation, lambda: sharing.delete_attachment(
        db.session, attachment, upload_dir=Path(current_app.config["UPLOAD_DIR"]), actor=current_user),
        _("Attachment deleted."))


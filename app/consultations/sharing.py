"""Services for attachments and invitations of a consultation.

Files are written before the transaction commits; if it rolls back, the
stored file is removed again (and a deleted attachment's file is removed
only once the deletion has committed), so the disk follows the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.consultations import attachments as files
from app.consultations.models import Attachment, Consultation, Invitation
from app.core.audit import record
from app.core.errors import Conflict, DomainError

HUMAN_TYPES = {
    files.PDF: "PDF", files.DOCX: "Word (.docx)", files.XLSX: "Excel (.xlsx)",
    files.ODT: "OpenDocument text (.odt)", files.CSV: "CSV",
}


def add_attachment(session: Session, consultation: Consultation, *, filename: str, data: bytes, title: str = "",
                   upload_dir: Path, max_bytes: int, actor: Any) -> Attachment:
    if not data:
        raise DomainError(_l("The file is empty."), field="file")
    if len(data) > max_bytes:
        raise DomainError(_l("The file is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024)), field="file")
    content_type = files.detect_content_type(data)
    if content_type is None:
        raise DomainError(_l("This type of file is not accepted. Attach a PDF, Word (.docx), OpenDocument (.odt), "
                             "Excel (.xlsx) or CSV file."), field="file")
    name = files.safe_filename(filename)
    if not files.extension_matches(name, content_type):
        raise DomainError(_l("The file’s content (%(kind)s) does not match its name “%(name)s”. Check that you "
                             "chose the right file.", kind=HUMAN_TYPES[content_type], name=name), field="file")
    stored = files.store_bytes(upload_dir, data)
    event.listen(session, "after_soft_rollback",
                 lambda *_: files.remove_stored(upload_dir, stored.stored_name), once=True)
    attachment = Attachment(
        consultation_id=consultation.id, title=title.strip()[:200], original_filename=name,
        stored_name=stored.stored_name, content_type=content_type, size=stored.size, sha256=stored.sha256,
        uploaded_by_id=getattr(actor, "id", None),
    )
    session.add(attachment)
    session.flush()
    session.expire(consultation, ["attachments"])
    record(session, actor=actor, action="consultation.attachment_added", target=consultation,
           after={"attachment": attachment.id, "sha256": stored.sha256, "name": name})
    return attachment


def delete_attachment(session: Session, attachment: Attachment, *, upload_dir: Path, actor: Any) -> None:
    consultation = attachment.consultation
    stored_name = attachment.stored_name
    record(session, actor=actor, action="consultation.attachment_deleted", target=consultation,
           before={"attachment": attachment.id, "sha256": attachment.sha256, "name": attachment.original_filename})
    session.delete(attachment)
    session.flush()
    session.expire(consultation, ["attachments"])
    event.listen(session, "after_commit", lambda *_: files.remove_stored(upload_dir, stored_name), once=True)


def invite(session: Session, consultation: Consultation, *, email: str = "", organisation_id: int | None = None,
           actor: Any) -> Invitation:
    """Invite one account (by e-mail) or one organisation (all its active members)."""
    if bool(email.strip()) == bool(organisation_id):
        raise DomainError(_l("Enter an e-mail address or choose an organisation, not both."), field="email")
    invitation = Invitation(consultation_id=consultation.id, invited_by_id=getattr(actor, "id", None))
    if organisation_id:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise DomainError(_l("Choose an organisation from the list."), field="organisation_id")
        taken = Invitation.organisation_id == organisation.id
        invitation.organisation_id = organisation.id
        label = organisation.name
    else:
        user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is None:
            raise DomainError(_l("No account uses this e-mail address. Ask the person to register first."),
                              field="email")
        taken = Invitation.user_id == user.id
        invitation.user_id = user.id
        label = user.email
    if session.scalar(select(Invitation.id).where(Invitation.consultation_id == consultation.id, taken)):
        raise Conflict(_l("%(who)s is already invited.", who=label), field="email")
    session.add(invitation)
    session.flush()
    session.expire(consultation, ["invitations"])
    record(session, actor=actor, action="consultation.invited", target=consultation,
           after={"user": invitation.user_id, "organisation": invitation.organisation_id})
    return invitation


def remove_invitation(session: Session, invitation: Invitation, *, actor: Any) -> None:
    consultation = invitation.consultation
    record(session, actor=actor, action="consultation.invitation_removed", target=consultation,
           before={"user": invitation.user_id, "organisation": invitation.organisation_id})
    session.delete(invitation)
    session.flush()
    session.expire(consultation, ["invitations"])

"""Services for attachments and invitations of a consultation.

A file is written whole (temporary file, fsync, rename) before its row is
added; unless the transaction that adds the row commits (it rolls back, or
the session closes without committing), the file is removed again. A deleted
attachment's file is removed only once the deletion has committed. So the
disk follows the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import Organisation
from app.accounts.services import find_user_by_email, normalise_email
from app.consultations import attachments as files
from app.consultations.models import Attachment, Consultation, Invitation
from app.core.audit import record
from app.core.errors import Conflict, DomainError
from app.core.mail import queue_email
from app.core.urls import external_url

HUMAN_TYPES = {
    files.PDF: "PDF", files.DOCX: "Word (.docx)", files.XLSX: "Excel (.xlsx)",
    files.ODT: "OpenDocument text (.odt)", files.CSV: "CSV",
}


class StorageFull(DomainError):
    """The server has no room for the file: nothing was stored.

    413: the content is larger than the server is able to take (RFC 9110,
    15.5.14), answered like every refusal, with the form and its message.
    """

    status_code = 413


_FILES = "consultations.files"  # session.info: files that follow the current transaction


def _files_of_transaction(session: Session) -> dict[str, list[tuple[Path, str]]]:
    """Files written in the session's transaction ("written": removed unless it
    commits) and files of rows it deletes ("deleted": removed once it commits)."""
    pending = session.info.get(_FILES)
    if pending is None:
        pending = session.info[_FILES] = {"written": [], "deleted": []}
        event.listen(session, "after_commit", _files_after_commit)
        event.listen(session, "after_transaction_end", _files_after_transaction)
    return pending


def _files_after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: the outer transaction decides
    pending = session.info[_FILES]
    pending["written"].clear()
    for upload_dir, stored_name in pending["deleted"]:
        files.remove_stored(upload_dir, stored_name)
    pending["deleted"].clear()


def _files_after_transaction(session: Session, transaction: Any) -> None:
    if transaction.parent is not None:
        return  # a savepoint ended, not the transaction
    pending = session.info[_FILES]
    for upload_dir, stored_name in pending["written"]:  # still here: the transaction did not commit
        files.remove_stored(upload_dir, stored_name)
    pending["written"].clear()
    pending["deleted"].clear()


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
    try:
        stored = files.store_bytes(upload_dir, data)
    except OSError as error:
        if not files.is_out_of_space(error):
            raise
        raise StorageFull(_l("There is not enough storage space on the server for this file. Nothing was saved. "
                             "Try again later, or tell the platform administrators."), field="file") from None
    _files_of_transaction(session)["written"].append((upload_dir, stored.stored_name))
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
    _files_of_transaction(session)["deleted"].append((upload_dir, stored_name))


def invite(session: Session, consultation: Consultation, *, email: str = "", organisation_id: int | None = None,
           actor: Any) -> Invitation:
    """Invite one e-mail address or one organisation (all its active members).

    An address is invited whether or not an account uses it, and the author
    is answered the same either way: the invitation holds the address, and
    applies to whoever verifies it (see ``policy.is_invited``). The address
    is sent an invitation e-mail, whose wording (sign in, or create an
    account first) only its recipient sees.
    """
    if bool(email.strip()) == bool(organisation_id):
        raise DomainError(_l("Enter an e-mail address or choose an organisation, not both."), field="email")
    invitation = Invitation(consultation_id=consultation.id, invited_by_id=getattr(actor, "id", None))
    typed = ""  # the address as typed (trimmed, domain lower-cased): where a new person's e-mail goes
    if organisation_id:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise DomainError(_l("Choose an organisation from the list."), field="organisation_id")
        taken = Invitation.organisation_id == organisation.id
        invitation.organisation_id = organisation.id
        label = organisation.name
    else:
        typed = normalise_email(email)
        invitation.email = typed.lower()
        taken = Invitation.email == invitation.email
        label = invitation.email
    already = Conflict(_l("%(who)s is already invited.", who=label), field="email")
    if session.scalar(select(Invitation.id).where(Invitation.consultation_id == consultation.id, taken)):
        raise already
    try:
        with session.begin_nested():
            session.add(invitation)
            session.flush()
    except IntegrityError:  # the same invitation added at the same moment
        raise already from None
    session.expire(consultation, ["invitations"])
    if invitation.email:
        record(session, actor=actor, action="consultation.invited", target=consultation,
               after={"email": invitation.email})
        _send_invitation(session, consultation, invitation, typed=typed)
    else:
        record(session, actor=actor, action="consultation.invited", target=consultation,
               after={"organisation": invitation.organisation_id})
    return invitation


def _send_invitation(session: Session, consultation: Consultation, invitation: Invitation, *, typed: str) -> None:
    """One e-mail to the invited address: how to take part depends on whether it
    has an account, which the recipient may know and the author must not."""
    owner = find_user_by_email(session, invitation.email or "")
    common = {"consultation": consultation, "address": invitation.email}
    if owner is not None:
        queue_email(session, to=owner.email, template="consultations/invited",
                    dedupe_key=f"consultations:invitation:{invitation.id}", locale=owner.preferred_language,
                    user=owner, verified=owner.is_verified,
                    link=external_url("consultations.show_consultation", consultation_id=consultation.id),
                    login_link=external_url("accounts.login"), **common)
    else:
        queue_email(session, to=typed, template="consultations/invited_register",
                    dedupe_key=f"consultations:invitation:{invitation.id}",
                    register_link=external_url("accounts.register"), **common)


def remove_invitation(session: Session, invitation: Invitation, *, actor: Any) -> None:
    consultation = invitation.consultation
    if invitation.email:
        before: dict[str, Any] = {"email": invitation.email}
    else:
        before = {"user": invitation.user_id, "organisation": invitation.organisation_id}
    record(session, actor=actor, action="consultation.invitation_removed", target=consultation, before=before)
    session.delete(invitation)
    session.flush()
    session.expire(consultation, ["invitations"])

"""Demo discussion on the demo consultations (called by ``flask seed-demo``).

Comments go through ``post_comment`` with idempotency keys derived from the
consultation and a fixed number, so running the command again finds the
comments already there and adds nothing. Comments the moderation rules hold
(pre-moderated consultations, new accounts) stay pending for the demo
moderator to decide in the review queue.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation
from app.comments.models import Audience, CommentKind, Follow, Stance
from app.comments.services import CommentInput, existing_comment, post_comment
from app.consultations.models import Consultation
from app.core.errors import DomainError

# (number, author key, section anchor or None, parent number or None, fields)
DEMO_COMMENTS: dict[str, list[tuple[int, str, str | None, int | None, dict[str, Any]]]] = {
    "Chemical and Biological Weapons (Prohibition and Security) Bill": [
        (1, "participant", None, None, {
            "body": "The Bill is a welcome step. We would ask the drafters to publish the **list of scheduled "
                    "agents** as an annex so that laboratories can check it without reading the regulations.",
            "stance": Stance.SUPPORTS, "organisation": "Centre for Strategic Trade Law"}),
        (2, "participant2", None, 1, {
            "body": "Agreed. Universities would also need a short guidance note for researchers.",
            "organisation": "Institute for Non-Proliferation Studies, University of Ostrana"}),
        (3, "participant2", None, None, {
            "body": "Are *small university laboratories* covered by the registration duty, or only commercial "
                    "facilities?", "kind": CommentKind.QUESTION}),
        (4, "focal_osce", None, None, {
            "body": "For the regional meeting: two neighbouring States use different thresholds. Could the "
                    "drafters explain the choice?", "audience": Audience.RESTRICTED, "kind": CommentKind.QUESTION}),
    ],
    "Draft Law on the Control of Strategic Goods, Transit and Brokering": [
        (1, "participant", None, None, {
            "body": "The definition of *brokering* should also cover persons who arrange transport or "
                    "financing.", "stance": Stance.OPPOSES, "organisation": "Centre for Strategic Trade Law"}),
    ],
}


def _key(consultation: Consultation, number: int) -> str:
    return hashlib.sha256(f"agora-demo-comment:{consultation.title}:{number}".encode()).hexdigest()[:32]


def seed_comments(session: Session, users: dict[str, Any], consultations: list[Consultation] | None = None) -> None:
    """Post the demo comments (idempotent). ``consultations`` defaults to the demo ones found by title."""
    if consultations is None:
        consultations = list(session.scalars(select(Consultation).where(Consultation.title.in_(DEMO_COMMENTS))))
    for consultation in consultations:
        posted: dict[int, Any] = {}
        for number, author_key, anchor, parent_number, fields in DEMO_COMMENTS.get(consultation.title, []):
            author = users.get(author_key)
            if author is None:
                continue
            key = _key(consultation, number)
            existing = existing_comment(session, author.id, key)
            if existing is not None:
                posted[number] = existing
                continue
            parent = posted.get(parent_number) if parent_number else None
            if parent_number and (parent is None or not parent.is_published):
                continue  # the parent is still awaiting moderation
            section = next((s for s in (consultation.current_version.sections if consultation.current_version
                                        else []) if s.anchor == anchor), None) if anchor else None
            organisation = session.scalar(select(Organisation.id).where(
                Organisation.name == fields.get("organisation"))) if fields.get("organisation") else None
            data = CommentInput(
                body=fields["body"], kind=fields.get("kind", CommentKind.COMMENT), stance=fields.get("stance"),
                audience=fields.get("audience", Audience.PUBLIC), language="en", organisation_id=organisation,
                section_id=section.id if section else None, parent_id=parent.id if parent else None,
                version_id=None if parent else (consultation.current_version.id
                                                if consultation.current_version else None),
                idempotency_key=key)
            try:
                posted[number], _created = post_comment(session, consultation, data, actor=author)
            except DomainError:
                continue  # closed or not yet open: nothing to add
        participant = users.get("participant")
        if participant is not None and session.get(Follow, (participant.id, consultation.id)) is None:
            session.add(Follow(user_id=participant.id, consultation_id=consultation.id))
    session.flush()

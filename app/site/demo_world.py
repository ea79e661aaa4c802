"""The discussion of the demo's flagship law (called by ``flask seed-demo``).

Comments on the sections of version 1, then version 2 of the draft, then
comments on every article of version 2: a thread five deep, amendments with
their diffs, supports, a restricted comment, items left for the moderator
(one awaiting moderation, one held by an automatic rule) and an open flag.
Everything goes through the same services as the pages; the demo moderator
approves what the pre-moderation and the new-account rule hold.

Idempotent: once the flagship has a second version, nothing is added.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation
from app.comments.models import Audience, Comment, CommentKind, CommentStatus, Stance
from app.comments.services import CommentInput, existing_comment, post_comment, toggle_support
from app.consultations.demo import FLAGSHIP, revise_flagship
from app.consultations.models import Consultation
from app.core.db import utcnow
from app.moderation import services as moderation
from app.moderation.models import DecisionAction, FlagReason

CSTL = "Centre for Strategic Trade Law"
INPS = "Institute for Non-Proliferation Studies, University of Ostrana"
EXPORTERS = "Valdorian Association of Dual-Use Exporters"

# On version 1: (number, author, article, body, organisation)
ON_VERSION_1 = (
    (101, "participant2", "article-4",
     "Article 4(2) would make every upload of a research paper to a university server an export. Please exempt "
     "technology in the public domain and basic scientific research, as the multilateral regimes do.", INPS),
    (102, "participant", "article-1",
     "The definition of *brokering* should state that it applies to Valdorian nationals acting abroad.", CSTL),
    (103, "participant2", "article-5",
     "Free economic zones are where diversion happens most often. Say clearly that the transit controls apply "
     "there.", EXPORTERS),
)

# On version 2, one or more per article: (number, author, article, body, organisation, stance)
ON_VERSION_2 = (
    (201, "participant", "article-1", "The definitions are much clearer now. Please add *technical assistance* "
     "to the list of controlled services.", CSTL, Stance.SUPPORTS),
    (202, "participant2", "article-2", "A thirty-day deadline for publishing the consolidated list is realistic "
     "for exporters.", EXPORTERS, Stance.SUPPORTS),
    (203, "participant", "article-3", "The Inter-agency Review Board should include the intelligence services "
     "and meet at least monthly.", CSTL, Stance.NEUTRAL),
    (204, "participant2", "article-4", "Thank you for the new exemption for basic scientific research in Article "
     "4(2). It answers the concern raised on version 1.", INPS, Stance.SUPPORTS),
    (205, "participant", "article-5", "Article 5 still does not say whether free economic zones are inside the "
     "customs territory.", CSTL, Stance.OPPOSES),
    (206, "participant2", "article-6", "Registration of brokers is welcome; the register should be public.",
     EXPORTERS, Stance.SUPPORTS),
    (207, "participant", "article-7", "Post-shipment verification should also be possible without the "
     "destination country's agreement when the end user consents.", CSTL, Stance.NEUTRAL),
    (208, "participant2", "article-8", "Ten years of imprisonment is in line with neighbouring States; fines "
     "should scale with the value of the goods.", EXPORTERS, Stance.NEUTRAL),
)

THREAD = (  # five deep on Article 3: each replies to the one before
    (301, "participant2", "Who chairs the Inter-agency Review Board, and can it overrule the Licensing Office?"),
    (302, "author", "The Board advises; the Licensing Office decides. The chair rotates between ministries every "
     "year."),
    (303, "participant2", "Then please write the rotation into Article 3, so that it survives a change of "
     "government."),
    (304, "participant", "We agree, and the Board's opinions should be recorded in the licence file."),
    (305, "author", "Noted. Both points will be considered for version 3."),
)

AMENDMENTS = (  # (number, author, article, organisation, old phrase, new phrase, explanation)
    (401, "participant", "article-6", CSTL, "shall be entered in the Register of Brokers",
     "shall be entered in the public Register of Brokers before carrying out any brokering service",
     "A public register lets exporters check their counterparts."),
    (402, "participant2", "article-8", EXPORTERS, "punishable by imprisonment of up to ten years and a fine",
     "punishable by imprisonment of up to ten years and a fine of up to three times the value of the goods",
     "Fines should deter large transfers as well as small ones."),
)


def _key(number: int) -> str:
    return hashlib.sha256(f"agora-demo-world:{FLAGSHIP}:{number}".encode()).hexdigest()[:32]


class _Poster:
    def __init__(self, session: Session, consultation: Consultation, users: dict[str, Any]) -> None:
        self.session, self.consultation, self.users = session, consultation, users
        self.moderator = users["moderator"]

    def organisation(self, name: str | None) -> int | None:
        return self.session.scalar(select(Organisation.id).where(Organisation.name == name)) if name else None

    def section(self, anchor: str) -> Any:
        return next(s for s in self.consultation.current_version.sections if s.anchor == anchor)

    def post(self, number: int, who: str, body: str, *, anchor: str | None = None, parent: Comment | None = None,
             publish: bool = True, when: Any = None, **fields: Any) -> Comment:
        author = self.users[who]
        existing = existing_comment(self.session, author.id, _key(number))
        if existing is not None:
            return existing
        data = CommentInput(
            body=body, language="en", idempotency_key=_key(number),
            section_id=self.section(anchor).id if anchor and parent is None else None,
            parent_id=parent.id if parent else None,
            version_id=None if parent else self.consultation.current_version.id, **fields)
        comment, _created = post_comment(self.session, self.consultation, data, actor=author, now=when)
        if publish and comment.status == CommentStatus.PENDING:
            moderation.decide(self.session, comment, moderation.DecisionInput(action=DecisionAction.APPROVE),
                              expected_version=comment.version, actor=self.moderator)
        return comment


def seed_flagship_discussion(session: Session, users: dict[str, Any]) -> None:
    consultation = session.scalar(select(Consultation).where(Consultation.title == FLAGSHIP))
    needed = ("moderator", "author", "participant", "participant2", "poc_valdoria", "focal_osce")
    if consultation is None or consultation.current_version is None or any(k not in users for k in needed):
        return
    if consultation.current_version.number > 1:
        return  # already done
    now = utcnow()
    poster = _Poster(session, consultation, users)

    for n, (number, who, anchor, body, organisation) in enumerate(ON_VERSION_1):
        poster.post(number, who, body, anchor=anchor, organisation_id=poster.organisation(organisation),
                    stance=Stance.OPPOSES if anchor == "article-4" else None, when=now - timedelta(days=9, hours=-n))
    revise_flagship(session, consultation, users["author"], now=now - timedelta(days=6))
    session.refresh(consultation)

    posted = {}
    for n, (number, who, anchor, body, organisation, stance) in enumerate(ON_VERSION_2):
        posted[number] = poster.post(number, who, body, anchor=anchor, stance=stance,
                                     organisation_id=poster.organisation(organisation),
                                     when=now - timedelta(days=5, hours=-3 * n))
    parent = None
    for n, (number, who, body) in enumerate(THREAD):
        parent = poster.post(number, who, body, anchor="article-3" if parent is None else None, parent=parent,
                             when=now - timedelta(days=4, hours=-2 * n))
    for number, who, anchor, organisation, old, new, why in AMENDMENTS:
        section = poster.section(anchor)
        poster.post(number, who, why, anchor=anchor, kind=CommentKind.AMENDMENT, stance=Stance.OPPOSES,
                    organisation_id=poster.organisation(organisation),
                    proposed_wording=section.body_source.replace(old, new), when=now - timedelta(days=3))
    # Restricted: for moderators, the drafting government and focal points only.
    poster.post(501, "poc_valdoria", "For the drafting team: the Customs Service has not yet been consulted on "
                "Article 5(2); its view on free economic zones differs from the Ministry's.", anchor="article-5",
                audience=Audience.RESTRICTED, when=now - timedelta(days=2))

    # Supports from other participants.
    for number, supporters in ((204, ("participant", "focal_osce")), (205, ("participant2", "poc_valdoria")),
                               (201, ("participant2",)), (206, ("participant",))):
        for who in supporters:
            if posted[number].is_published:
                toggle_support(session, posted[number], actor=users[who])

    # Left for the moderator: one awaiting moderation (the law is pre-moderated), one held by a rule, a flag.
    poster.post(601, "participant", "Article 2 should name the multilateral regimes whose lists are followed.",
                anchor="article-2", publish=False, when=now - timedelta(hours=20))
    poster.post(602, "participant2", "Useful sources: https://a.example/1 https://b.example/2 "
                "https://c.example/3 https://d.example/4 https://e.example/5", anchor="article-7", publish=False,
                when=now - timedelta(hours=8))
    moderation.flag_comment(session, posted[207], reason=FlagReason.OTHER, actor=users["focal_osce"], threshold=99,
                            text="Post-shipment checks without the destination State's agreement raise "
                                 "sovereignty questions; please check the wording. (demo flag)")
    session.flush()

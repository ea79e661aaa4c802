"""Demo summary for ``flask seed-demo``: the Valdoria consultation's summary,
published, forwarded to the OSCE, acknowledged and answered by the OSCE focal
point, and a digest for her. Idempotent: what exists already is kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.comments.models import Audience, Comment, CommentStatus
from app.consultations.models import Consultation
from app.core.db import utcnow
from app.summaries import services
from app.summaries.models import Forwarding, SummaryRevision

VALDORIA = "Draft Law on the Control of Strategic Goods, Transit and Brokering"
OVERALL = (
    "Comments so far concentrate on the **definitions** in Article 1 and on **transit and trans-shipment** "
    "(Article 5). Civil-society organisations ask for a wider definition of *brokering* that also covers "
    "arranging transport and financing, and for clearer rules on free economic zones.\n\n"
    "Industry asks for guidance on intangible transfers before the law enters into force."
)


def seed_summaries(session: Session, users: dict[str, Any]) -> None:
    moderator, focal = users.get("moderator"), users.get("focal_osce")
    consultation = session.scalar(select(Consultation).where(Consultation.title == VALDORIA))
    if moderator is None or focal is None or consultation is None:
        return
    summary = services.get_summary(session, consultation.id)
    if summary is None or summary.current_revision is None:
        services.save_summary_text(session, consultation, overall=OVERALL, restricted=False, actor=moderator)
        cited = list(session.scalars(select(Comment.id).where(
            Comment.consultation_id == consultation.id, Comment.status == CommentStatus.PUBLISHED,
            Comment.audience == Audience.PUBLIC).limit(3)))
        sections = {s.anchor: s for s in consultation.current_version.sections}
        services.add_point(session, consultation, services.PointInput(
            None, "Widen the definition of brokering to persons who arrange transport or financing.", cited),
            actor=moderator)
        if "article-5" in sections:
            services.add_point(session, consultation, services.PointInput(
                sections["article-5"].id, "Say whether free economic zones are inside the customs territory for "
                "transit controls.", []), actor=moderator)
        services.publish_summary(session, consultation, actor=moderator)
        summary = services.get_summary(session, consultation.id)
    forwarding = session.scalar(select(Forwarding).join(SummaryRevision).where(
        SummaryRevision.summary_id == summary.id, Forwarding.target_key == "OSCE"))
    if forwarding is None:
        forwarding, = services.forward_summary(
            session, consultation, regions=["OSCE"], countries=[], actor=moderator,
            note="For the OSCE 1540 coordinators' meeting.")
        services.respond_to_forwarding(
            session, forwarding, body="Received, thank you. We will compare the transit provisions with those of "
            "neighbouring participating States at the next meeting.", publish=True, actor=focal)
    _seed_digest(session, focal)


def _seed_digest(session: Session, user: Any) -> None:
    from app.digests.composition import period_for
    from app.digests.models import Digest
    from app.digests.services import compose_for, create_digest, subscription_for

    if session.scalar(select(Digest.id).where(Digest.user_id == user.id)) is not None:
        return
    now = utcnow()
    key = period_for("weekly", now + timedelta(days=7))[0]  # this week's key: send-due will not repeat it
    subscription = subscription_for(session, user)
    content = compose_for(session, user, subscription, now - timedelta(days=7), now + timedelta(seconds=1))
    if not content.is_empty:
        create_digest(session, user, subscription, content, period_key=key)

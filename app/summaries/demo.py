"""Demo summary for ``flask seed-demo``: the Valdoria consultation's summary,
published, answered by the drafting authority in a resolution table, forwarded
to the OSCE, acknowledged and answered by the OSCE focal point, and a digest
for her. Idempotent: what exists already is kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.comments.models import Audience, Comment, CommentStatus, Stance
from app.consultations.models import Consultation
from app.summaries import services
from app.summaries.models import Decision, Disposition, Forwarding, SummaryRevision
from app.summaries.statistics import compute_statistics

VALDORIA = "Draft Law on the Control of Strategic Goods, Transit and Brokering"


def overall_text(session: Session, consultation: Consultation) -> str:
    """The summary's text, with its figures taken from the same statistics the summary publishes."""
    stats = compute_statistics(session, consultation.id, include_restricted=False)
    sections = stats["sections"]
    stances = stats["by_stance"]

    def on(anchor: str) -> int:
        return sections.get(anchor, {}).get("comments", 0)

    def stance(name: str) -> int:
        return stances.get(name, {}).get("comments", 0)

    return (
        f"By the time of this summary, **{stats['comments']} public comments** had been published, on behalf of "
        f"{stats['organisations']} organisations or by participants speaking for themselves; {stance(Stance.SUPPORTS)} "
        f"support the provisions they address and {stance(Stance.OPPOSES)} oppose them.\n\n"
        f"Article 4 (intangible transfers) drew {on('article-4')} comments: the universities' request to exempt "
        "public-domain technology and basic research was taken up in version 2. Article 5 (transit and "
        f"trans-shipment) drew {on('article-5')}: participants still ask whether free economic zones are inside the "
        f"customs territory. Article 3 (the Inter-agency Review Board) drew {on('article-3')}, most of them in one "
        "discussion about who chairs the Board.\n\n"
        "Civil-society organisations ask for a wider definition of *brokering*; industry asks for fines that "
        "scale with the value of the goods."
    )


def seed_dispositions(session: Session, consultation: Consultation, summary: Any, author: Any) -> None:
    """The drafting authority's answers to what the consultation raised: one per row of the
    public resolution table, each citing the published comments on its article."""
    if author is None or session.scalar(select(Disposition.id).where(Disposition.summary_id == summary.id).limit(1)):
        return
    sections = {s.anchor: s for s in consultation.current_version.sections}
    answers = (
        ("article-4", "Exempt public-domain technology and basic scientific research from the controls on "
         "intangible transfers.", Decision.ACCEPTED, ""),
        ("article-5", "Say whether free economic zones are inside the customs territory for transit controls.",
         Decision.PARTLY_ACCEPTED, "Free economic zones are now named in Article 5; bonded warehouses at airports "
                                   "stay under the general customs rules."),
        ("article-3", "Let an independent person chair the Inter-agency Review Board.", Decision.NOT_ACCEPTED,
         "The Board decides on licences, a power the law gives to a minister; the Board's minutes will be "
         "published instead."),
    )
    for anchor, point, decision, reason in answers:
        section = sections.get(anchor)
        if section is None:
            continue
        cited = list(session.scalars(select(Comment.id).where(
            Comment.consultation_id == consultation.id, Comment.section_id == section.id,
            Comment.status == CommentStatus.PUBLISHED, Comment.audience == Audience.PUBLIC).limit(2)))
        services.save_disposition(session, consultation, services.DispositionInput(
            section.id, point, decision, reason, cited), actor=author)


def seed_summaries(session: Session, users: dict[str, Any]) -> None:
    moderator, focal = users.get("moderator"), users.get("focal_osce")
    consultation = session.scalar(select(Consultation).where(Consultation.title == VALDORIA))
    if moderator is None or focal is None or consultation is None:
        return
    summary = services.get_summary(session, consultation.id)
    if summary is None or summary.current_revision is None:
        services.save_summary_text(session, consultation, overall=overall_text(session, consultation), restricted=False,
                                   actor=moderator)
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
    seed_dispositions(session, consultation, summary, users.get("author"))
    forwarding = session.scalar(select(Forwarding).join(SummaryRevision).where(
        SummaryRevision.summary_id == summary.id, Forwarding.target_key == "OSCE"))
    if forwarding is None:
        forwarding, = services.forward_summary(
            session, consultation, regions=["OSCE"], countries=[], actor=moderator,
            note="For the OSCE 1540 coordinators' meeting.")
        services.respond_to_forwarding(
            session, forwarding, body="Received, thank you. We will compare the transit provisions with those of "
            "neighbouring participating States at the next meeting.", publish=True, actor=focal)
    from app.summaries.translation_demo import translate_summary

    translate_summary(session, consultation, summary, moderator)  # in French, with the same figures

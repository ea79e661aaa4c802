"""The French translation of the flagship law's summary for ``flask seed-demo``,
made by the moderator who wrote it, with the same figures. Idempotent: an
existing translation is kept, and none is made when the summary's text no
longer states the figures of today (the translation would then disagree
with it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.consultations.models import Consultation
from app.summaries import translations
from app.summaries.demo import overall_text
from app.summaries.models import Summary
from app.summaries.statistics import compute_statistics

POINTS_FR = {
    "Widen the definition of brokering to persons who arrange transport or financing.":
        "Élargir la définition du courtage aux personnes qui organisent le transport ou le financement.",
    "Say whether free economic zones are inside the customs territory for transit controls.":
        "Préciser si les zones économiques franches font partie du territoire douanier aux fins du contrôle du "
        "transit.",
}


def overall_text_fr(session: Session, consultation: Consultation) -> str:
    """``overall_text`` in French, with the same figures."""
    stats = compute_statistics(session, consultation.id, include_restricted=False)
    sections, stances = stats["sections"], stats["by_stance"]

    def on(anchor: str) -> int:
        return sections.get(anchor, {}).get("comments", 0)

    def stance(name: str) -> int:
        return stances.get(name, {}).get("comments", 0)

    return (
        f"À la date du présent résumé, **{stats['comments']} commentaires publics** avaient été publiés, au nom de "
        f"{stats['organisations']} organisations ou par des participants s'exprimant à titre personnel ; "
        f"{stance('supports')} soutiennent les dispositions qu'ils visent et {stance('opposes')} s'y opposent.\n\n"
        f"L'article 4 (transferts intangibles) a suscité {on('article-4')} commentaires : la demande des "
        "universités d'exempter les technologies relevant du domaine public et la recherche fondamentale a été "
        f"reprise dans la version 2. L'article 5 (transit et transbordement) en a suscité {on('article-5')} : les "
        "participants demandent toujours si les zones économiques franches font partie du territoire douanier. "
        f"L'article 3 (le comité interministériel d'examen) en a suscité {on('article-3')}, pour la plupart dans "
        "une même discussion sur la présidence du comité.\n\n"
        "Les organisations de la société civile demandent une définition plus large du *courtage* ; les "
        "entreprises demandent des amendes proportionnées à la valeur des biens."
    )


def translate_summary(session: Session, consultation: Consultation, summary: Summary | None, actor: Any) -> None:
    revision = summary.current_revision if summary is not None else None
    if revision is None or actor is None or translations.translation_in(session, summary, "fr") is not None:
        return
    if revision.overall_source != overall_text(session, consultation):
        return  # the figures moved since the summary was written
    points = {p.id: POINTS_FR[p.text_source] for p in revision.points if p.text_source in POINTS_FR}
    translations.save_summary_translation(
        session, consultation, revision, "fr",
        translations.SummaryTranslationInput(overall=overall_text_fr(session, consultation), points=points),
        actor=actor)

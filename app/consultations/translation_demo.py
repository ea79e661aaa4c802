"""The French translation of the flagship law for ``flask seed-demo``, made by its
author on version 1. Version 2 later changes Article 4(2) (``revise_flagship``),
so the demo shows a translation that is current for seven articles and out of
date for one. Idempotent: an existing translation is kept.

All States, institutions and texts here are invented for demonstration.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consultations import translations
from app.consultations.models import Consultation

FRENCH_TITLE = "Projet de loi relative au contrôle des biens stratégiques, du transit et du courtage"

FRENCH_SUMMARY = (
    "Le projet remplace la loi de 2009 sur le contrôle des exportations. Il instaure des contrôles sur **le transit, "
    "le transbordement et le courtage**, une clause attrape-tout et des contrôles sur les transferts intangibles de "
    "technologie, et aligne la liste nationale de contrôle sur celles des régimes multilatéraux.\n\n"
    "Il met en œuvre les alinéas c) et d) du paragraphe 3 du dispositif de la résolution 1540 (2004)."
)

FRENCH_QUESTIONS = (
    "1. Les définitions du *courtage* et du *transfert intangible* sont-elles suffisamment claires ?\n"
    "2. Les zones économiques franches doivent-elles être traitées différemment du reste du territoire douanier ?\n"
    "3. Les sanctions prévues à l'article 8 sont-elles proportionnées ?"
)

# anchor: (heading, text)
FRENCH_SECTIONS: dict[str, tuple[str, str]] = {
    "article-1": ("Dispositions générales et définitions", (
        "1. La présente loi régit l'exportation, la réexportation, le transit, le transbordement et le courtage de "
        "biens et technologies stratégiques, afin d'empêcher leur détournement vers des armes de destruction "
        "massive, leurs vecteurs ou des acteurs non étatiques.\n\n"
        "2. Aux fins de la présente loi, on entend par « biens stratégiques » les articles inscrits sur la liste "
        "nationale de contrôle et tout autre article relevant du paragraphe 3 de l'article 4 ; par « courtage », le "
        "fait de négocier ou d'organiser des transactions portant sur le transfert de biens stratégiques entre pays "
        "tiers, que le courtier prenne ou non possession des biens.")),
    "article-2": ("Liste nationale de contrôle et procédure de mise à jour annuelle", (
        "1. Le Gouvernement adopte une liste nationale de contrôle comprenant les biens à double usage, les "
        "matériels militaires ainsi que les articles nucléaires, chimiques, biologiques et relatifs aux missiles "
        "contrôlés par les régimes multilatéraux de contrôle des exportations.\n\n"
        "2. L'autorité de délivrance des licences réexamine la liste au moins une fois par an et en publie une "
        "version consolidée dans les trente jours suivant chaque modification des listes des régimes.")),
    "article-3": ("Autorité de délivrance des licences et comité interministériel d'examen", (
        "1. Le Bureau des licences du commerce stratégique du ministère de l'Économie est l'autorité compétente "
        "pour la délivrance des licences.\n\n"
        "2. Un comité interministériel d'examen, composé de représentants des ministères des affaires étrangères, "
        "de la défense, de l'intérieur et des finances ainsi que du service des douanes, donne son avis sur les "
        "demandes qui soulèvent des préoccupations en matière de prolifération.")),
    "article-4": ("Exportation, réexportation et transferts intangibles", (
        "1. L'exportation ou la réexportation de biens stratégiques inscrits sur la liste est soumise à une licence "
        "individuelle, globale ou générale.\n\n"
        "2. La transmission de technologies contrôlées par voie électronique, y compris leur mise à disposition de "
        "personnes se trouvant à l'étranger, constitue une exportation au sens de la présente loi.\n\n"
        "3. L'exportateur qui sait, ou qui a été informé par l'autorité de délivrance des licences, que des biens "
        "non inscrits sur la liste sont ou peuvent être destinés à des armes de destruction massive ou à leurs "
        "vecteurs demande une licence avant l'exportation.")),
    "article-5": ("Transit et transbordement, y compris dans les zones économiques franches", (
        "1. Le transit et le transbordement de biens stratégiques sur le territoire de la Valdorie, y compris dans "
        "ses ports, aéroports et zones économiques franches, peuvent être interdits lorsqu'il existe des motifs de "
        "soupçonner un détournement.\n\n"
        "2. Les biens placés dans une zone économique franche demeurent soumis à la surveillance douanière et aux "
        "contrôles prévus par la présente loi.")),
    "article-6": ("Enregistrement et agrément des courtiers", (
        "1. Toute personne qui fournit des services de courtage portant sur des biens stratégiques est inscrite au "
        "registre des courtiers.\n\n"
        "2. Le courtage de biens inscrits sur la liste est soumis à licence, quel que soit le lieu où se trouvent "
        "les biens.")),
    "article-7": ("Garanties d'utilisation finale et vérification après expédition", (
        "1. Les demandes sont accompagnées d'un certificat d'utilisateur final signé par le destinataire et, "
        "lorsque cela est exigé, certifié par les autorités du pays de destination.\n\n"
        "2. L'autorité de délivrance des licences peut procéder à une vérification après expédition avec l'accord "
        "du pays de destination.")),
    "article-8": ("Pouvoirs des douanes, infractions et sanctions", (
        "1. Les agents des douanes peuvent arrêter, inspecter et retenir les biens en transit ou en transbordement "
        "dont ils ont des motifs raisonnables de soupçonner qu'ils sont exportés en violation de la présente "
        "loi.\n\n"
        "2. Le fait d'exporter, de négocier ou de financer le transfert de biens stratégiques sans la licence "
        "requise constitue une infraction punie d'une peine d'emprisonnement pouvant aller jusqu'à dix ans et "
        "d'une amende.")),
}


def translate_flagship(session: Session, title: str, actor: Any) -> None:
    """The French translation of the consultation titled ``title``, by ``actor`` (its author)."""
    consultation = session.scalar(select(Consultation).where(Consultation.title == title))
    if consultation is None or actor is None or translations.main_translation(session, consultation, "fr"):
        return
    translations.save_consultation_translation(session, consultation, "fr", translations.ConsultationTranslationInput(
        title=FRENCH_TITLE, summary=FRENCH_SUMMARY, questions=FRENCH_QUESTIONS), actor=actor)
    version = translations.translatable_version(consultation)
    for section in version.sections if version is not None else []:
        if section.anchor in FRENCH_SECTIONS:
            heading, body = FRENCH_SECTIONS[section.anchor]
            translations.save_section_translation(session, consultation, section, "fr",
                                                  translations.SectionTranslationInput(heading, body), actor=actor)

"""Demo consultations of the fictional States (../shared/domain/primer.md, section 6).

All States, institutions and texts here are invented for demonstration.
``seed_consultations`` is called by ``flask seed-demo`` (app/site/demo.py)
and goes through the same services as the web pages.

Over 400 lines: most of it is the demo drafts' text, which reads best whole.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consultations import services
from app.consultations.importers import parse_markdown
from app.consultations.models import Consultation, InstrumentType, ModerationMode, Visibility
from app.core.db import utcnow

VALDORIA_TEXT = """\
## Article 1 — General provisions and definitions

1. This Law governs the export, re-export, transit, trans-shipment and brokering of strategic goods and technology, \
in order to prevent their diversion to weapons of mass destruction, their means of delivery or to non-State actors.

2. For the purposes of this Law, "strategic goods" means the items listed in the National Control List and any other \
item subject to Article 4(3); "brokering" means negotiating or arranging transactions for the transfer of strategic \
goods between third countries, whether or not the broker takes possession of the goods.

## Article 2 — National control list and annual update procedure

1. The Government shall adopt a National Control List comprising dual-use items, military items, and the nuclear, \
chemical, biological and missile-related items controlled by the multilateral export control regimes.

2. The Licensing Authority shall review the List at least once a year and publish a consolidated version within \
thirty days of each amendment of the regime lists.

## Article 3 — Licensing authority and inter-agency review board

1. The Strategic Trade Licensing Office of the Ministry of Economy is the competent licensing authority.

2. An Inter-agency Review Board, composed of representatives of the ministries of foreign affairs, defence, interior \
and finance and of the Customs Service, shall advise on applications that raise proliferation concerns.

## Article 4 — Export, re-export and intangible transfers

1. The export or re-export of listed strategic goods requires an individual, global or general licence.

2. The transmission of controlled technology by electronic means, including making it available to persons abroad, \
is an export within the meaning of this Law.

3. An exporter who is aware, or has been informed by the Licensing Authority, that non-listed goods are or may be \
intended for weapons of mass destruction or their means of delivery shall apply for a licence before export.

## Article 5 — Transit and trans-shipment, including free economic zones

1. The transit and trans-shipment of strategic goods through the territory of Valdoria, including its ports, \
airports and free economic zones, may be prohibited where there are grounds to suspect diversion.

2. Goods placed in a free economic zone remain subject to customs supervision and to the controls of this Law.

## Article 6 — Registration and licensing of brokers

1. Any person carrying out brokering services for strategic goods shall be entered in the Register of Brokers.

2. Brokering of listed goods requires a licence, whatever the location of the goods.

## Article 7 — End-use assurances and post-shipment verification

1. Applications shall be accompanied by an end-user certificate signed by the consignee and, where required, \
certified by the authorities of the country of destination.

2. The Licensing Authority may carry out post-shipment verification with the agreement of the country of destination.

## Article 8 — Customs powers, offences and penalties

1. Customs officers may stop, inspect and detain goods in transit or trans-shipment that they reasonably suspect \
to be exported in breach of this Law.

2. Exporting, brokering or financing the transfer of strategic goods without the required licence is an offence \
punishable by imprisonment of up to ten years and a fine.
"""

VALDORIA_TAGS = {
    "article-1": ["OP3d.legislation"],
    "article-2": ["OP3d.control_lists", "OP3d.list_updating"],
    "article-3": ["OP3d.authority", "OP3d.interagency", "OP3d.licensing"],
    "article-4": ["OP3d.lic_individual", "OP3d.lic_general", "OP3d.intangible", "OP3d.catch_all", "OP3d.reexport"],
    "article-5": ["OP3d.transit", "OP3d.transshipment"],
    "article-6": ["OP3c.brokering"],
    "article-7": ["OP3d.end_user"],
    "article-8": ["OP3d.penalties", "OP3d.funds", "OP3d.transport_services"],
}

MERIDIA_TEXT = """\
## Section 1 — Preliminary matters and definitions

1. This Act may be cited as the Chemical and Biological Weapons (Prohibition and Security) Act.

2. In this Act, "chemical weapon" and "biological weapon" have the meanings given in the Chemical Weapons Convention \
and the Biological Weapons Convention; "listed agent" means an agent or toxin set out in the Schedule.

## Section 2 — Prohibited activities and ancillary offences

1. No person shall develop, produce, manufacture, acquire, stockpile, possess, transport, transfer or use a chemical \
or biological weapon.

2. A person who attempts to commit, aids, abets or finances an offence under subsection (1), or participates in it \
as an accomplice, commits an offence and is liable to the same penalty.

## Section 3 — Establishment of the National Authority

1. The National Authority for the Chemical and Biological Weapons Conventions is established as a body within the \
Ministry of Foreign Affairs.

2. The National Authority shall be the national point of contact for the Conventions and shall coordinate reporting.

## Section 4 — Registration of scheduled chemicals and listed biological agents

1. A person who produces, processes, stores or uses a scheduled chemical above the thresholds prescribed by \
regulation, or holds a listed agent, shall register with the National Authority.

2. Work with listed agents requires a licence specifying the premises, the agents and the responsible person.

## Section 5 — Inventories, security and domestic transfers

1. Licence holders shall keep an up-to-date inventory of scheduled chemicals and listed agents and shall report \
any loss or theft within twenty-four hours.

2. Listed agents shall be stored in secured premises; access is restricted to persons cleared under section 5(3).

## Section 6 — Inspection and enforcement powers

1. Inspectors appointed by the National Authority may enter registered premises at any reasonable time to verify \
compliance with this Act.

2. An inspector may seize any item that he or she reasonably believes to be evidence of an offence.

## Section 7 — Guidance, outreach and the research exemption

1. The National Authority shall publish guidance for industry, universities and laboratories on their obligations.

2. Research for peaceful, protective or prophylactic purposes is exempt from the prohibitions of section 2, without \
prejudice to the registration and security requirements of sections 4 and 5.

## Section 8 — Schedule of controlled agents and toxins

1. The Schedule lists the chemicals of Schedules 1 to 3 of the Chemical Weapons Convention and the human and \
animal pathogens and toxins listed by the Australia Group.

2. The Minister may amend the Schedule by order after consulting the National Authority.
"""

MERIDIA_TAGS = {
    "section-2": ["OP2.manufacture", "OP2.acquire", "OP2.possess", "OP2.stockpile", "OP2.develop", "OP2.transport",
                  "OP2.transfer", "OP2.use", "OP2.attempt", "OP2.accomplice", "OP2.assist", "OP2.finance"],
    "section-3": ["OP3a.authority"],
    "section-4": ["OP3a.licensing", "OP3a.bio_genetic"],
    "section-5": ["OP3a.acc_storage", "OP3a.sec_storage", "OP3a.personnel"],
    "section-7": ["OP8.b_national_rules", "OP8.d_outreach"],
}

OSTRANA_TEXT = """\
## Article 1 — Purpose, scope and graded approach

1. This Regulation lays down requirements for the security of radioactive sources and nuclear material during use, \
storage and transport.

2. Requirements shall be applied in proportion to the category of the source or material concerned.

## Article 2 — Categorisation of sources and material

1. Radioactive sources are assigned to Categories 1 to 5 in accordance with the international Code of Conduct on \
the Safety and Security of Radioactive Sources.

2. Nuclear material is categorised according to the applicable physical protection standards.

## Article 3 — Duties of licensees and security plans

1. Every licensee shall prepare a security plan approved by the Nuclear Regulatory Authority before taking \
possession of a Category 1 to 3 source.

2. The security plan shall describe measures to deter, detect and delay unauthorised access.

## Article 4 — National register and inventory reporting

1. The Nuclear Regulatory Authority shall keep a national register of radioactive sources.

2. Licensees shall report their inventory annually and any change of location within seven days.

## Article 5 — Security during transport

1. Shipments of Category 1 and 2 sources shall be notified to the Authority in advance and accompanied by a \
transport security plan.

2. The Authority may require escorts or tracking for shipments of nuclear material.

## Article 6 — Trustworthiness checks and protection of sensitive information

1. Persons with unescorted access to sources of Category 1 to 3 shall be subject to trustworthiness checks.

2. Information whose disclosure could compromise security shall be protected and shared only on a need-to-know basis.

## Article 7 — Detection of and response to lost, stolen or orphan sources

1. Radiation detection equipment shall be installed at designated border crossings, ports and airports.

2. Any person who finds an orphan source shall inform the Authority, which shall recover it without delay.

## Article 8 — Inspections, sanctions and transitional provisions

1. The Authority may carry out announced and unannounced inspections.

2. Licensees holding sources on the date of entry into force shall comply with Article 3 within twelve months.
"""

OSTRANA_TAGS = {
    "article-1": ["OP3a.authority", "OP3b.standards"],
    "article-2": ["OP3a.radioactive_sources", "OP3a.nuclear_accountancy"],
    "article-3": ["OP3a.sec_use", "OP3a.sec_storage", "OP3b.facilities"],
    "article-4": ["OP3a.acc_use", "OP3a.acc_storage", "OP3a.nuclear_accountancy"],
    "article-5": ["OP3a.acc_transport", "OP3a.sec_transport", "OP3b.transport"],
    "article-6": ["OP3a.personnel", "OP3b.materials"],
    "article-7": ["OP3c.detection"],
}


def _tag_sections(session: Session, consultation: Consultation, tags: dict[str, list[str]], actor: Any) -> None:
    for section in list(consultation.working_version.sections):
        codes = tags.get(section.anchor)
        if codes:
            services.update_section(session, section, services.SectionInput(
                level=section.level, number=section.number, heading=section.heading, anchor=section.anchor,
                body=section.body_source, obligations=codes), actor=actor)


def _seed_one(session: Session, actor: Any, *, text: str, tags: dict[str, list[str]], opens_in: timedelta,
              closes_in: timedelta, **fields: Any) -> Consultation | None:
    if session.scalar(select(Consultation.id).where(Consultation.title == fields["title"])):
        return None
    now = utcnow()
    opens_at, closes_at = now + opens_in, now + closes_in
    created = min(now, opens_at) - timedelta(hours=2)  # the author prepared it before it opened
    obligations = sorted({code for codes in tags.values() for code in codes})
    details = services.ConsultationDetails(opens_at=opens_at, closes_at=closes_at, obligations=obligations, **fields)
    consultation = services.create_consultation(session, details, actor=actor, now=created)
    services.replace_sections(session, consultation, parse_markdown(text), actor=actor)
    _tag_sections(session, consultation, tags, actor)
    services.publish_version(session, consultation, actor=actor, now=created)
    return consultation


FLAGSHIP = "Draft Law on the Control of Strategic Goods, Transit and Brokering"


def revise_flagship(session: Session, consultation: Consultation, actor: Any, *, now: Any = None) -> None:
    """Version 2 of the flagship law: Article 4(2) changed after comments on version 1."""
    if consultation.current_version is None or consultation.current_version.number > 1:
        return
    revised = services.start_revision(session, consultation, actor=actor)
    article_4 = next(s for s in revised.sections if s.anchor == "article-4")
    services.update_section(session, article_4, services.SectionInput(
        level=article_4.level, number=article_4.number, heading=article_4.heading, anchor=article_4.anchor,
        body=article_4.body_source.replace(
            "including making it available to persons abroad",
            "including uploading it to a server or making it available to persons abroad, except technology "
            "in the public domain or for basic scientific research"),
        obligations=article_4.obligation_codes), actor=actor)
    services.publish_version(session, consultation, actor=actor, now=now, change_note=(
        "Article 4(2): clarifies that uploads count as intangible transfers and exempts public-domain "
        "technology and basic scientific research, following comments from universities."))


# (State, title, instrument, authority, opens in days, closes in days, visibility, sections:
#  (heading, text, obligation codes)) — shorter drafts so that lists, filters, the coverage
#  table and the comparison of provisions have several States and regions to show.
MORE_CONSULTATIONS: tuple[tuple[str, str, str, str, int, int, str, tuple[tuple[str, str, tuple[str, ...]], ...]],
                          ...] = (
    ("XV", "Decree on the National Control List of Dual-Use Items", InstrumentType.CONTROL_LIST,
     "Ministry of Economy — Strategic Trade Licensing Office", -70, -20, Visibility.PUBLIC, (
         ("Adoption of the list", "The National Control List annexed to this Decree is adopted.",
          ("OP3d.control_lists",)),
         ("Annual update", "The List shall be updated within thirty days of each change to the regime lists.",
          ("OP3d.list_updating",)),
     )),
    ("XV", "Draft Implementing Regulation on Internal Compliance Programmes", InstrumentType.REGULATION,
     "Ministry of Economy — Strategic Trade Licensing Office", -3, 25, Visibility.INVITED, (
         ("Compliance programmes", "Holders of global licences shall maintain an internal compliance programme "
          "approved by the Licensing Authority.", ("OP3d.licensing",)),
         ("Record keeping", "Exporters shall keep records of their transfers for five years.",
          ("OP3d.end_user",)),
     )),
    ("XM", "Maritime Transport Security (Strategic Goods) Bill", InstrumentType.LAW, "Ministry of Transport", -5, 40,
     Visibility.PUBLIC, (
        ("Carriers' duties", "Carriers shall not transport strategic goods without the licence required by law.",
         ("OP3d.transport_services", "OP3b.transport")),
        ("Port inspections", "Port officers may inspect containers declared as in transit.",
         ("OP3d.transit", "OP3c.detection")),
    )),
    ("XO", "Draft Law on Laboratory Biosecurity", InstrumentType.LAW, "Ministry of Health", -12, 18,
     Visibility.PUBLIC, (
        ("Registration of laboratories", "Laboratories handling listed agents shall register with the Ministry.",
         ("OP3a.licensing", "OP3a.bio_genetic")),
        ("Physical security", "Listed agents shall be kept in secured premises with access control.",
         ("OP3a.sec_storage", "OP3a.personnel")),
    )),
    ("XB", "Draft Strategic Trade Control Law", InstrumentType.LAW, "Ministry of Foreign Trade", -8, 30,
     Visibility.PUBLIC, (
        ("Licensing", "The export of controlled items requires a licence issued by the Ministry.",
         ("OP3d.licensing", "OP3d.lic_individual")),
        ("Catch-all control", "Non-listed items require a licence where the exporter knows they are intended for "
         "weapons of mass destruction.", ("OP3d.catch_all",)),
        ("Brokering", "Brokers of controlled items shall register and obtain a licence.", ("OP3c.brokering",)),
    )),
    ("XB", "Decree on Radiation Detection at Border Crossings", InstrumentType.DECREE, "Customs Administration",
     -90, -45,
     Visibility.PUBLIC, (
         ("Detection equipment", "Radiation portal monitors shall be installed at the main border crossings.",
          ("OP3c.detection",)),
         ("Response plan", "Alarms shall be handled according to the national response plan.",
          ("OP3c.detection", "OP3b.standards")),
     )),
    ("XC", "Strategic Trade Management Act", InstrumentType.LAW, "Ministry of Trade and Industry", -15, 12,
     Visibility.PUBLIC, (
        ("Controlled items", "The Minister shall publish the list of controlled strategic items.",
         ("OP3d.control_lists",)),
        ("Transit and trans-shipment", "Strategic items in transit or trans-shipment require a permit.",
         ("OP3d.transit", "OP3d.transshipment")),
        ("Offences", "Transferring strategic items without a permit is an offence.", ("OP3d.penalties",)),
    )),
    ("XC", "Regulation on Proliferation Financing", InstrumentType.REGULATION, "Central Bank", 10, 55,
     Visibility.PUBLIC, (
        ("Targeted financial sanctions", "Financial institutions shall freeze without delay the funds of "
         "designated persons.", ("OP3d.funds", "OP2.finance")),
        ("Reporting", "Suspicious transactions linked to proliferation shall be reported to the financial "
         "intelligence unit.", ("OP3d.funds",)),
    )),
    ("XD", "Draft Law Implementing the Chemical Weapons Convention", InstrumentType.LAW, "Ministry of Industry", -6, 33,
     Visibility.PUBLIC, (
         ("Prohibitions", "No person shall develop, produce, stockpile or use chemical weapons.",
          ("OP2.manufacture", "OP2.stockpile", "OP2.use")),
         ("Scheduled chemicals", "Facilities producing scheduled chemicals shall declare them annually.",
          ("OP3a.acc_use", "OP3a.licensing")),
     )),
)


def seed_more_consultations(session: Session, users: dict[str, Any]) -> list[Consultation]:
    """The shorter drafts of MORE_CONSULTATIONS (idempotent: existing titles are skipped)."""
    actor = users.get("author") or users.get("admin")
    authors = {"XV": users.get("author"), "XM": users.get("author_meridia")}
    seeded = []
    for state, title, instrument, authority, opens, closes, visibility, sections in MORE_CONSULTATIONS:
        text = "\n\n".join(f"## Article {n} — {heading}\n\n1. {body}"
                            for n, (heading, body, _codes) in enumerate(sections, start=1))
        tags = {f"article-{n}": list(codes) for n, (_h, _b, codes) in enumerate(sections, start=1)}
        consultation = _seed_one(
            session, authors.get(state) or users.get("admin") or actor, text=text, tags=tags,
            opens_in=timedelta(days=opens), closes_in=timedelta(days=closes), country_code=state, title=title,
            instrument_type=instrument, drafting_authority=authority, visibility=visibility,
            summary=f"{title}: a demonstration draft of a fictional State.", languages=["en", "fr"])
        if consultation is not None:
            seeded.append(consultation)
    return seeded


def seed_consultations(session: Session, users: dict[str, Any]) -> list[Consultation]:
    """The three demo consultations (idempotent: existing titles are skipped)."""
    from flask import current_app

    from app.geography.models import Country
    from app.geography.services import load_demo_states

    if session.get(Country, "XV") is None:
        load_demo_states(session, current_app.config["DATA_DIR"] / "demo_states.yaml")
    fallback = users.get("admin") or users.get("author")

    def author(key: str) -> Any:
        return users.get(key) or fallback

    seeded = []

    actor = author("author")
    valdoria = _seed_one(
        session, actor, text=VALDORIA_TEXT, tags=VALDORIA_TAGS, opens_in=-timedelta(days=10),
        closes_in=timedelta(days=35), country_code="XV",
        title="Draft Law on the Control of Strategic Goods, Transit and Brokering", instrument_type=InstrumentType.LAW,
        drafting_authority="Ministry of Economy — Strategic Trade Licensing Office",
        summary="The draft replaces the 2009 Export Control Act. It adds controls on **transit, trans-shipment and "
                "brokering**, a catch-all clause and controls on intangible transfers of technology, and aligns the "
                "national control list with the multilateral regimes.\n\nIt implements operative paragraph 3(c) and "
                "(d) of resolution 1540 (2004).",
        questions="1. Are the definitions of *brokering* and *intangible transfer* clear enough?\n"
                  "2. Should free economic zones be treated differently from the rest of the customs territory?\n"
                  "3. Are the penalties in Article 8 proportionate?",
        languages=["en", "fr", "ru"], weapon_categories=["NW", "CW", "BW", "MoD", "RM"],
    )
    if valdoria is not None:
        # Version 2 follows once the first comments are in (app/site/demo_world.py calls revise_flagship).
        seeded.append(valdoria)
    from app.consultations.translation_demo import translate_flagship

    translate_flagship(session, FLAGSHIP, actor)  # in French, made on version 1

    meridia = _seed_one(
        session, author("author_meridia"), text=MERIDIA_TEXT, tags=MERIDIA_TAGS, opens_in=-timedelta(days=24),
        closes_in=timedelta(days=6), country_code="XM",
        title="Chemical and Biological Weapons (Prohibition and Security) Bill", instrument_type=InstrumentType.LAW,
        drafting_authority="Office of the Attorney General",
        summary="The Bill gives effect to the Chemical and Biological Weapons Conventions and to operative paragraphs "
                "2 and 3(a) of resolution 1540: it prohibits chemical and biological weapons, creates ancillary "
                "offences including financing, and sets registration and security rules for listed agents.",
        questions="1. Is the research exemption in section 7 drawn correctly?\n"
                  "2. Are the registration thresholds of section 4 workable for small laboratories?",
        languages=["en", "fr"], weapon_categories=["CW", "BW"], moderation_mode=ModerationMode.POST,
    )
    if meridia is not None:
        seeded.append(meridia)

    ostrana = _seed_one(
        session, author("author_ostrana"), text=OSTRANA_TEXT, tags=OSTRANA_TAGS, opens_in=timedelta(days=5),
        closes_in=timedelta(days=50), country_code="XO",
        title="Draft Regulation on the Security of Radioactive Sources and Nuclear Material",
        instrument_type=InstrumentType.REGULATION, drafting_authority="Nuclear Regulatory Authority",
        summary="The draft Regulation sets a graded approach to the security of radioactive sources and nuclear "
                "material in use, storage and transport, a national register, trustworthiness checks and the "
                "detection of orphan sources at borders.",
        questions="1. Is the graded approach of Article 1 clear for hospitals and industrial users?\n"
                  "2. Is twelve months enough for existing licensees to prepare security plans?",
        languages=["en", "fr", "ar"], weapon_categories=["NW", "RM"],
    )
    if ostrana is not None:
        seeded.append(ostrana)
    seeded += seed_more_consultations(session, users)
    return seeded

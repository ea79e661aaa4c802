"""Atom feed of a regional organisation's public summaries.

Built with ElementTree, so every text is escaped; characters that XML 1.0
forbids (control characters a comment or title might carry) are dropped.
A feed reader signs in as nobody, so the feed holds what a visitor may read:
the revisions ``summaries.queries.revision_visible_condition`` lets an
anonymous reader see (published, not restricted, of a published public
consultation). Each summary appears with the newest such revision.
"""

from __future__ import annotations

import re
from datetime import datetime
from xml.etree import ElementTree as ET

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.accounts.sessions import Anonymous
from app.consultations.diff import html_to_text
from app.consultations.models import Consultation, ConsultationRegion
from app.geography.models import Region, RegionMember
from app.summaries.models import Summary, SummaryRevision
from app.summaries.queries import revision_visible_condition

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str | None) -> str:
    return _INVALID_XML.sub("", value or "")


def public_summaries(session: Session, region: Region, limit: int = FEED_SIZE) -> list[tuple[Summary, SummaryRevision,
                                                                                           Consultation]]:
    members = select(RegionMember.country_code).where(RegionMember.region_code == region.code)
    tagged = select(ConsultationRegion.consultation_id).where(ConsultationRegion.region_code == region.code)
    rows = session.execute(
        select(Summary, SummaryRevision, Consultation)
        .join(SummaryRevision, SummaryRevision.summary_id == Summary.id)
        .join(Consultation, Consultation.id == Summary.consultation_id)
        .where(revision_visible_condition(Anonymous()),
               or_(Consultation.country_code.in_(members), Consultation.id.in_(tagged)))
        .order_by(SummaryRevision.published_at.desc(), SummaryRevision.id.desc())
        .limit(limit * 4)).all()
    seen: set[int] = set()
    out = []
    for summary, revision, consultation in rows:  # newest revision of each summary only
        if summary.id in seen:
            continue
        seen.add(summary.id)
        out.append((summary, revision, consultation))
        if len(out) == limit:
            break
    return out


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def region_feed(session: Session, region: Region, *, base_url: str, now: datetime) -> bytes:
    ET.register_namespace("", ATOM)
    entries = public_summaries(session, region)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = xml_text(
        _("Summaries of consultations — %(region)s", region=region.full_name))
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"{base_url}/regions/{region.code}/summaries.atom"
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=f"{base_url}/regions/{region.code}/summaries.atom")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=f"{base_url}/regions/{region.code}")
    updated = max((r.published_at for _s, r, _c in entries), default=now)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _iso(updated)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "Agora 1540"
    for _summary, revision, consultation in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        url = f"{base_url}/consultations/{consultation.id}/summary"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = xml_text(consultation.title)
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"{url}#revision-{revision.number}"
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=url)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _iso(revision.published_at)
        text = html_to_text(revision.overall_html).replace("\n\n", " ")
        if revision.change_note:
            text = f"{_('What changed:')} {revision.change_note} — {text}"
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = xml_text(text[:2000])
    return b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" + ET.tostring(feed, encoding="unicode").encode()

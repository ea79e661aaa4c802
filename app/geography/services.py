"""Loading countries, regional organisations and the obligations taxonomy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycountry
import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.geography.models import Country, Obligation, Region, RegionMember

REGIONS_FILE = "regional_organisations.yaml"
OBLIGATIONS_FILE = "obligations_1540.yaml"


@dataclass
class LoadReport:
    countries: int
    regions: int
    memberships: int
    obligations: int


def _read_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_countries(session: Session) -> int:
    existing = set(session.scalars(select(Country.code)))
    added = 0
    for entry in pycountry.countries:
        if entry.alpha_2 not in existing:
            session.add(Country(code=entry.alpha_2, alpha3=entry.alpha_3))
            added += 1
    session.flush()
    return len(existing) + added


def load_regions(session: Session, data: dict[str, Any]) -> tuple[int, int]:
    known = set(session.scalars(select(Country.code)))
    seen: list[str] = []
    memberships = 0
    for position, item in enumerate(data["organisations"]):
        code = str(item["code"])
        unknown = [c for c in item.get("members", []) if str(c) not in known]
        if unknown:
            raise ValueError(f"{code}: unknown member codes {unknown}")
        region = session.get(Region, code) or Region(code=code)
        region.full_name_en = item["full_name"]
        region.kind = item.get("type", "regional")
        region.membership_term = item.get("membership_term")
        region.role_1540_en = (item.get("role_1540") or "").strip() or None
        region.notes = item.get("notes")
        region.confidence = str(item.get("confidence")) if item.get("confidence") else None
        region.position = position
        session.add(region)
        session.flush()
        session.execute(delete(RegionMember).where(RegionMember.region_code == code))
        for country in dict.fromkeys(str(c) for c in item.get("members", [])):
            session.add(RegionMember(region_code=code, country_code=country))
            memberships += 1
        seen.append(code)
    session.flush()
    return len(seen), memberships


def load_obligations(session: Session, data: dict[str, Any]) -> int:
    count = 0
    position = 0
    for section in data["sections"]:
        position += 1
        _upsert_obligation(
            session, code=section["code"], parent_code=None, title_en=section["title"],
            description_en=(section.get("resolution_summary") or "").strip() or None,
            matrix_section=section.get("matrix_section"), matrix_field=None,
            applies_to=section.get("applies_to"), confidence=str(section.get("confidence") or ""),
            position=position,
        )
        count += 1
        session.flush()
        for element in section.get("elements", []):
            position += 1
            _upsert_obligation(
                session, code=element["code"], parent_code=section["code"], title_en=element["title"],
                description_en=element.get("description"), matrix_section=None,
                matrix_field=element.get("matrix_field"),
                applies_to=element.get("applies_to") or section.get("applies_to"),
                confidence=str(element.get("confidence") or ""), position=position,
            )
            count += 1
    session.flush()
    return count


def _upsert_obligation(session: Session, **values: Any) -> None:
    obligation = session.get(Obligation, values["code"]) or Obligation(code=values["code"])
    for key, value in values.items():
        setattr(obligation, key, value)
    session.add(obligation)


def load_geography(session: Session, data_dir: Path) -> LoadReport:
    """Idempotent: run again after editing the data files."""
    countries = load_countries(session)
    regions, memberships = load_regions(session, _read_yaml(data_dir / REGIONS_FILE))
    obligations = load_obligations(session, _read_yaml(data_dir / OBLIGATIONS_FILE))
    return LoadReport(countries, regions, memberships, obligations)


def load_demo_states(session: Session, path) -> list[str]:
    """Add the fictional demo States and their regional memberships (idempotent)."""
    with open(path, encoding="utf-8") as fh:
        states = yaml.safe_load(fh)["states"]
    for state in states:
        if session.get(Country, state["code"]) is None:
            session.add(Country(code=state["code"], alpha3=state["alpha3"]))
        session.flush()
        for region in state["regions"]:
            if session.get(Region, region) and session.get(RegionMember, (region, state["code"])) is None:
                session.add(RegionMember(region_code=region, country_code=state["code"]))
    session.flush()
    return [s["code"] for s in states]

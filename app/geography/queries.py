"""Read side: localised country names, regions, obligations."""

from __future__ import annotations

from functools import lru_cache

import pycountry
from babel import Locale
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.core.i18n import collation_key
from app.geography.models import Obligation, Region
from app.geography.names import demo_state_name, reader_language

# ISO 3166 names that the platform shows differently (see the notes of
# data/regional_organisations.yaml: the AU member is the Sahrawi Republic).
NAME_OVERRIDES = {"EH": {"en": "Sahrawi Republic", "fr": "République sahraouie", "es": "República Saharaui",
                         "ru": "Сахарская Республика", "ar": "الجمهورية الصحراوية", "zh": "阿拉伯撒哈拉民主共和国"}}


@lru_cache(maxsize=16)
def _territories(locale: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(locale).territories)
    except (ValueError, TypeError):
        return {}


def country_name(code: str | None, locale: str | None = None) -> str:
    """The country's name in the viewer's language (Babel), falling back to ISO (pycountry)."""
    if not code:
        return ""
    locale = locale or str(get_locale() or "en")
    demo = demo_state_name(code, locale)
    if demo:
        return demo
    override = NAME_OVERRIDES.get(code, {}).get(reader_language(locale))
    if override:
        return override
    name = _territories(locale).get(code)
    if name:
        return name
    entry = pycountry.countries.get(alpha_2=code)
    return getattr(entry, "common_name", None) or getattr(entry, "name", code) if entry else code


def country_choices(locale: str | None = None) -> list[tuple[str, str]]:
    locale = locale or str(get_locale() or "en")
    choices = [(c.alpha_2, country_name(c.alpha_2, locale)) for c in pycountry.countries]
    return sorted(choices, key=lambda item: collation_key(item[1]))


def member_names(region: Region, locale: str | None = None) -> list[tuple[str, str]]:
    """(name, code) of the region's members, by name in the reader's language."""
    return sorted(((country_name(code, locale), code) for code in region.member_codes),
                  key=lambda item: collation_key(item[0]))


def all_regions(session: Session) -> list[Region]:
    return list(session.scalars(select(Region).options(selectinload(Region.members)).order_by(Region.position)))


def regions_of_country(session: Session, code: str) -> list[Region]:
    from app.geography.models import RegionMember

    return list(session.scalars(
        select(Region).join(RegionMember).where(RegionMember.country_code == code).order_by(Region.position)
    ))


def obligation_tree(session: Session) -> list[tuple[Obligation, list[Obligation]]]:
    rows = list(session.scalars(select(Obligation).order_by(Obligation.position)))
    sections = [o for o in rows if o.parent_code is None]
    children: dict[str, list[Obligation]] = {s.code: [] for s in sections}
    for row in rows:
        if row.parent_code is not None:
            children.setdefault(row.parent_code, []).append(row)
    return [(s, children[s.code]) for s in sections]


def obligation_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Obligation.code)))

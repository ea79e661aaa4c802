"""Digest services: subscriptions, gathering a period's events for one focal
point, and creating a digest (rendered once, queued in the outbox).

``queue_due_digests`` is the body of ``flask digests send-due``: one transaction per
recipient. The digest row is inserted first — the unique (user, period)
constraint is the claim — so two runs at once, on one machine or many,
produce one digest and one e-mail per recipient and period; the loser
rolls back before rendering anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import Role, RoleGrant, Scope, User
from app.accounts.policy import focal_point_scopes, is_admin
from app.consultations.models import (
    CLOCKED_STATUSES,
    Consultation,
    ConsultationObligation,
    ConsultationRegion,
    DraftVersion,
    Section,
    SectionObligation,
)
from app.consultations.queries import visible_condition
from app.consultations.translations import titles_in
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import DomainError, PermissionDenied
from app.core.mail import queue_email
from app.core.urls import external_url
from app.digests import composition as c
from app.digests.hooks import extra_sections
from app.digests.models import FREQUENCIES, Digest, Frequency, Subscription
from app.digests.rendering import render_digest
from app.geography.codes import find_country, find_obligation, find_region
from app.geography.models import Obligation, RegionMember
from app.geography.queries import country_name
from app.summaries.models import Forwarding, ForwardingRecipient, Summary, SummaryRevision
from app.summaries.queries import revision_visible_condition
from app.summaries.translations import summary_text

# --- subscriptions -------------------------------------------------------------------------------

def subscription_for(session: Session, user: User) -> Subscription:
    """The saved subscription, or the default one: the user's own scopes, weekly."""
    saved = session.get(Subscription, user.id)
    if saved is not None:
        return saved
    scopes = focal_point_scopes(user)
    return Subscription(
        user_id=user.id, regions=sorted(k for t, k in scopes if t == Scope.REGION),
        countries=sorted(k for t, k in scopes if t == Scope.COUNTRY), obligations=[],
        frequency=Frequency.WEEKLY, language=user.preferred_language or current_app.config["BABEL_DEFAULT_LOCALE"])


def _codes(raw: Iterable[str]) -> list[str]:
    out = []
    for value in raw:
        for part in str(value).replace(",", " ").split():
            out.append(part.strip())
    return list(dict.fromkeys(p for p in out if p))


def save_subscription(session: Session, user: User, *, regions: Iterable[str], countries: Iterable[str],
                      obligations: Iterable[str], frequency: str, language: str, actor: Any) -> Subscription:
    if actor is None or (actor.id != user.id and not is_admin(actor)):
        raise PermissionDenied(_l("You can change only your own subscription."))
    regions = [r.upper() for r in _codes(regions)]
    countries = [k.upper() for k in _codes(countries)]
    obligations = _codes(obligations)
    unknown = [r for r in regions if find_region(session, r) is None]
    if unknown:
        raise DomainError(_l("Unknown regional organisation: %(codes)s.", codes=", ".join(unknown)), field="regions")
    unknown = [k for k in countries if find_country(session, k) is None]
    if unknown:
        raise DomainError(_l("Unknown country code: %(codes)s. Use two-letter codes such as AT.",
                             codes=", ".join(unknown)), field="countries")
    unknown = [o for o in obligations if find_obligation(session, o) is None]
    if unknown:
        raise DomainError(_l("Unknown obligation code: %(codes)s. Use codes such as OP3d or OP3d.transit.",
                             codes=", ".join(unknown)), field="obligations")
    if not regions and not countries:
        raise DomainError(_l("Choose at least one regional organisation or country."), field="regions")
    if frequency not in FREQUENCIES:
        raise DomainError(_l("Choose how often you receive digests."), field="frequency")
    if language not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose a language from the list."), field="language")
    subscription = session.get(Subscription, user.id)
    if subscription is None:
        subscription = Subscription(user_id=user.id)
        session.add(subscription)
    subscription.regions, subscription.countries, subscription.obligations = regions, countries, obligations
    subscription.frequency, subscription.language = frequency, language
    session.flush()
    record(session, actor=actor, action="digest.subscription_saved", target=user,
           after={"regions": regions, "countries": countries, "obligations": obligations, "frequency": frequency})
    return subscription


# --- gathering a period's events ------------------------------------------------------------------

def taxonomy(session: Session) -> dict[str, c.ObligationInfo]:
    return {o.code: c.ObligationInfo(o.code, o.title, o.parent_code, o.position)
            for o in session.scalars(select(Obligation))}


def _scope_condition(session: Session, subscription: Subscription, tax: dict[str, c.ObligationInfo]):
    countries = set(subscription.countries or [])
    regions = list(subscription.regions or [])
    if regions:
        countries |= set(session.scalars(select(RegionMember.country_code).where(
            RegionMember.region_code.in_(regions))))
    scope = or_(Consultation.country_code.in_(sorted(countries)),
                Consultation.id.in_(select(ConsultationRegion.consultation_id).where(
                    ConsultationRegion.region_code.in_(regions))))
    if not subscription.obligations:
        return scope
    wanted = set(subscription.obligations)
    wanted |= {code for code, info in tax.items() if info.parent_code in wanted}
    tagged = or_(
        Consultation.id.in_(select(ConsultationObligation.consultation_id).where(
            ConsultationObligation.obligation_code.in_(sorted(wanted)))),
        Consultation.id.in_(select(DraftVersion.consultation_id).join(Section).join(SectionObligation).where(
            SectionObligation.obligation_code.in_(sorted(wanted)))),
    )
    return and_(scope, tagged)


def _obligation_codes(session: Session, ids: set[int]) -> dict[int, set[str]]:
    codes: dict[int, set[str]] = {i: set() for i in ids}
    if not ids:
        return codes
    for cid, code in session.execute(select(ConsultationObligation.consultation_id,
                                            ConsultationObligation.obligation_code)
                                     .where(ConsultationObligation.consultation_id.in_(ids))):
        codes[cid].add(code)
    for cid, code in session.execute(
            select(DraftVersion.consultation_id, SectionObligation.obligation_code)
            .join(Section, Section.version_id == DraftVersion.id)
            .join(SectionObligation, SectionObligation.section_id == Section.id)
            .where(DraftVersion.consultation_id.in_(ids), DraftVersion.status == DraftVersion.PUBLISHED)):
        codes[cid].add(code)
    return codes


def collect_events(session: Session, user: User, subscription: Subscription, start: datetime,
                   end: datetime) -> tuple[list[c.Event], dict[str, c.ObligationInfo]]:
    """The events of [start, end) for one focal point, as plain data for composition."""
    tax = taxonomy(session)
    window_close = c.CLOSING_WINDOW
    newer_versions = select(DraftVersion.consultation_id).where(
        DraftVersion.number > 1, DraftVersion.published_at >= start, DraftVersion.published_at < end)
    consultations = list(session.scalars(select(Consultation).where(
        visible_condition(user), _scope_condition(session, subscription, tax),
        or_(and_(Consultation.opens_at >= start, Consultation.opens_at < end),
            and_(Consultation.status.in_(CLOCKED_STATUSES), Consultation.closes_at >= start + window_close,
                 Consultation.closes_at < end + window_close),
            Consultation.id.in_(newer_versions)))))
    forwarded = list(session.execute(
        select(Forwarding, SummaryRevision, Consultation)
        .join(ForwardingRecipient, ForwardingRecipient.forwarding_id == Forwarding.id)
        .join(SummaryRevision, SummaryRevision.id == Forwarding.revision_id)
        .join(Summary, Summary.id == SummaryRevision.summary_id)
        .join(Consultation, Consultation.id == Summary.consultation_id)
        .where(ForwardingRecipient.user_id == user.id, Forwarding.created_at >= start, Forwarding.created_at < end,
               revision_visible_condition(user))))
    all_ids = {x.id for x in consultations} | {row[2].id for row in forwarded}
    codes = _obligation_codes(session, all_ids)
    titles = titles_in(session, all_ids, subscription.language)  # in the recipient's language where translated

    def info(consultation: Consultation) -> c.ConsultationInfo:
        return c.ConsultationInfo(
            id=consultation.id, title=titles.get(consultation.id, consultation.title),
            country_code=consultation.country_code,
            country_name=country_name(consultation.country_code, subscription.language),
            url=external_url("consultations.show_consultation", consultation_id=consultation.id),
            opens_at=consultation.opens_at,
            closes_at=consultation.closes_at, instrument=consultation.instrument_type,
            obligation_codes=tuple(sorted(codes.get(consultation.id, ()))))

    events: list[c.Event] = []
    versions = {(v.consultation_id, v.number): v for v in session.scalars(
        select(DraftVersion).where(DraftVersion.number > 1, DraftVersion.published_at >= start,
                                   DraftVersion.published_at < end,
                                   DraftVersion.consultation_id.in_([x.id for x in consultations])))}
    for consultation in consultations:
        data = info(consultation)
        if start <= consultation.opens_at < end:
            events.append(c.Event(c.OPENED, consultation.opens_at, data, data.url))
        entered = consultation.closes_at - window_close
        if consultation.status in CLOCKED_STATUSES and start <= entered < end:
            events.append(c.Event(c.CLOSING, entered, data, data.url))
    by_id = {x.id: x for x in consultations}
    for (cid, number), version in versions.items():
        data = info(by_id[cid])
        events.append(c.Event(c.NEW_VERSION, version.published_at, data,
                              external_url("consultations.compare_versions", consultation_id=cid, to=number),
                              number=number,
                              change_note=version.change_note))
    for forwarding, revision, consultation in forwarded:
        stats = revision.statistics or {}
        text = summary_text(session, revision, consultation, subscription.language)
        events.append(c.Event(c.FORWARDED, forwarding.created_at, info(consultation),
                              external_url("summaries.show_forwarding", forwarding_id=forwarding.id),
                              number=revision.number,
                              change_note=revision.change_note, comments=stats.get("comments"),
                              organisations=stats.get("organisations"), overall_html=text.overall_html or "",
                              points_html=tuple((text.section_title(p.section) if p.section else "",
                                                 text.point(p).html or "") for p in revision.points)))
    return events, tax


def compose_for(session: Session, user: User, subscription: Subscription, start: datetime,
                end: datetime, *, now: datetime | None = None) -> c.DigestContent:
    """The period's events and, when there is something to send, the sections other
    packages add (``app/digests/hooks.py``: the regional overview), as of ``now``;
    names and titles (obligations, organisations) in the digest's language."""
    with force_locale(subscription.language):
        events, tax = collect_events(session, user, subscription, start, end)
        content = c.build_digest(events, tax, period_start=start, period_end=end)
        if not content.is_empty:
            content.sections = extra_sections(session, user, now=now or utcnow(), language=subscription.language)
    return content


# --- creating and sending ---------------------------------------------------------------------------

def dedupe_key(user_id: int, period_key: str) -> str:
    return f"digest:{user_id}:{period_key}"


def create_digest(session: Session, user: User, subscription: Subscription, content: c.DigestContent, *,
                  period_key: str) -> Digest:
    """Insert (claim), render once, queue the e-mail. Raises IntegrityError if another run claimed it."""
    digest = Digest(user_id=user.id, period_key=period_key, frequency=subscription.frequency,
                    period_start=content.period_start, period_end=content.period_end,
                    language=subscription.language, subject="", item_count=content.item_count, body_html="",
                    body_text="", dedupe_key=dedupe_key(user.id, period_key))
    session.add(digest)
    session.flush()
    rendered = render_digest(content, user=user, language=subscription.language,
                             page_url=external_url("digests.show_digest", digest_id=digest.id),
                             pdf_url=external_url("digests.digest_pdf", digest_id=digest.id))
    digest.subject, digest.body_html, digest.body_text, digest.pdf = (
        rendered.subject, rendered.html, rendered.text, rendered.pdf)
    queue_email(session, to=user.email, template="digests/digest", dedupe_key=digest.dedupe_key,
                locale=subscription.language, subject=rendered.subject, body_html=rendered.html,
                body_text=rendered.text)
    session.flush()
    return digest


def focal_point_ids(session: Session) -> list[int]:
    return list(session.scalars(
        select(User.id).where(User.status == User.ACTIVE, User.id.in_(
            select(RoleGrant.user_id).where(RoleGrant.role == Role.FOCAL_POINT))).order_by(User.id)))


@dataclass
class SendReport:
    created: int = 0
    existing: int = 0
    empty: int = 0


def queue_due_digests(session: Session, *, now: datetime | None = None,
             progress: Callable[[list[int]], Iterable[int]] | None = None) -> SendReport:
    """Create and queue every due digest; commits once per recipient (a command, not a request)."""
    now = now or utcnow()
    report = SendReport()
    ids = focal_point_ids(session)
    session.commit()
    for user_id in (progress(ids) if progress else ids):
        user = session.get(User, user_id)
        subscription = subscription_for(session, user)
        key, start, end = c.period_for(subscription.frequency, now)
        if session.scalar(select(Digest.id).where(Digest.user_id == user.id, Digest.period_key == key)):
            report.existing += 1
            session.rollback()
            continue
        content = compose_for(session, user, subscription, start, end, now=now)
        if content.is_empty:
            report.empty += 1  # empty periods send nothing
            session.rollback()
            continue
        try:
            create_digest(session, user, subscription, content, period_key=key)
            session.commit()
        except IntegrityError:
            session.rollback()  # another run claimed this recipient's period first
            report.existing += 1
        else:
            report.created += 1
    return report


def mark_read(session: Session, digest: Digest, *, actor: Any, now: datetime | None = None) -> bool:
    if digest.user_id != getattr(actor, "id", None) or digest.read_at is not None:
        return False
    digest.read_at = now or utcnow()
    session.flush()
    return True


"""Build a realistic data set fast, with bulk inserts (SQLAlchemy Core
``insert()`` with executemany), never through the web forms.

    python -m bench.generate --comments 10000 --db sqlite:////tmp/bench.sqlite3 --reset
    python -m bench.generate --comments 100000 --db postgresql+psycopg://postgres@127.0.0.1/agora_bench --reset

The database is migrated first (``alembic upgrade head``) and the geography
loaded. What is built (fixed seed, so the same command builds the same data):

- the scenario objects, the same size whatever N, so pages can be compared
  across scales: a *hot* consultation with 2,000 comments (one of its sections
  carries 420 of them), a consultation with one 1,000-comment thread, and a
  post-moderated open consultation that the posting scenario writes into;
- background consultations of about 2,000 comments each up to N comments in
  all, every consultation with 40 sections over 2 published versions;
- threads shaped like real ones: most comments top-level, short exchanges,
  chains down to depth 10 and a few hot threads; comments on the earlier
  version, on the draft as a whole, restricted comments, amendments with
  their word diff, withdrawn / hidden / rejected / spam comments with their
  moderation decisions;
- ``--pending`` comments (default 10,000) awaiting moderation in the review
  queue, on top of N, plus held and flagged items with their flags;
- organisations of every kind with members, supports, notifications,
  sanctions, 500 focal points (role grants, and digest subscriptions when the
  digests domain is migrated), authors, moderators, 16 writer accounts for
  the posting scenario;
- a published summary (1-3 revisions, points citing published comments of
  the consultation, dispositions answering about a tenth of its top-level
  comments) for the hot consultation and every third background
  consultation, forwarded to the focal points of the consultation's regional
  organisations and country, about 40 % of them acknowledging and a few
  answering. The latest forwardings fall yesterday and in the last full ISO
  week, the periods ``queue_due_digests`` covers when the bench runs the same UTC day,
  so daily and weekly digests carry forwarded summaries;
- one audit entry per comment posted, decision, flag, sanction and grant, and
  per summary created, published, forwarded, acknowledged and answered and
  per disposition saved, hash-chained exactly as ``app.core.audit.record``
  chains them, so ``flask audit verify`` passes.

The summary of what was built (ids of the scenario objects) is printed as
JSON and written to ``--manifest`` when given.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, insert, select, text

from app.accounts.models import ORGANISATION_KINDS
from app.consultations.models import CLOCKED_STATUSES
from app.summaries.models import DECISIONS
from bench import BENCH_PASSWORD, BenchConfig

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = 40
HOT_CONSULTATION_COMMENTS = 2_000
HOT_SECTION_COMMENTS = 420
HOT_THREAD_COMMENTS = 1_000
THREAD_CONSULTATION_OTHERS = 500
POSTING_CONSULTATION_COMMENTS = 500
BACKGROUND_CONSULTATION_COMMENTS = 2_000
FOCAL_POINTS = 500
WRITERS = 16
MAX_DEPTH = 10
BATCH = 5_000

LANGUAGES = ["en"] * 70 + ["fr"] * 10 + ["es"] * 8 + ["ru"] * 5 + ["ar"] * 4 + ["zh"] * 3
STANCES = ["supports"] * 3 + ["opposes"] * 3 + ["neutral"] * 2 + [None] * 2

SUBJECTS = [
    "the licensing of brokers", "transit and trans-shipment controls", "the catch-all clause",
    "end-user certificates", "intangible transfers of technology", "penalties for unlicensed exports",
    "the control list annex", "physical protection of nuclear material", "biosecurity in laboratories",
    "the role of customs", "record keeping by exporters", "free trade zones", "the definition of non-State actor",
    "means of delivery", "outreach to industry", "the appeal procedure", "information sharing with neighbours",
]
OPENINGS = [
    "We welcome the draft's approach to {s}, but the wording leaves gaps.",
    "The provision on {s} should follow the model of the regional guidelines.",
    "Our members in industry are concerned about {s}: the burden falls on small exporters.",
    "Could the drafting authority explain how {s} will be enforced in practice?",
    "As drafted, {s} does not meet the standard set by resolution 1540 (2004), operative paragraph 3.",
    "We support the text on {s} and suggest only a clarification.",
    "The explanatory memorandum says little about {s}; please publish the impact assessment.",
]
MIDDLES = [
    "Neighbouring States apply a **licence requirement** at this point, and a weak link here would be exploited.",
    "The term *competent authority* is used for three different bodies in this article.",
    "A time limit of 30 days for the decision would give exporters certainty.",
    "The penalties should be *proportionate and dissuasive*, as the recommendation says.",
    "See the [1540 Committee matrix](https://www.un.org/en/sc/1540/) for comparable provisions.",
    "We propose to add a reference to the list of dual-use items in Annex I.",
    "The obligation should extend to brokering activities carried out from abroad by nationals.",
    "Data protection rules must apply to the information exchanged with other States.",
]
CLOSINGS = [
    "We would be glad to discuss this at the consultation meeting.",
    "Thank you for considering these points.",
    "- first, clarify the scope\n- second, set a deadline\n- third, name the authority",
    "> The authority shall decide within a reasonable time.\n\nThis is too vague.",
    "Our full submission is available on request.",
    "",
]
REPLIES = [
    "I agree with this point, and would add that {s} needs a transitional period.",
    "This misreads the article: {s} is covered by Article 12.",
    "Thank you — the ministry will look at {s} again before the second reading.",
    "Do you have figures on how often {s} caused delays elsewhere?",
    "Our organisation has the opposite experience with {s}.",
    "Quite right. The same problem arose with {s} in the previous law.",
]
ARTICLE_BODIES = [
    "The competent authority shall license the export of the items listed in Annex {n}.",
    "No person shall broker a transfer of items listed in Annex {n} without a licence.",
    "Transit and trans-shipment of items listed in Annex {n} require prior notification to customs.",
    "The authority may refuse a licence where the items may contribute to weapons of mass destruction.",
    "Exporters shall keep records of every transfer for at least {n} years.",
    "Intangible transfers of technology are subject to the same controls as physical exports.",
    "Customs officers may detain a consignment for up to {n} working days pending verification.",
    "An end-user certificate shall accompany every application for a licence.",
]
WORDINGS = [
    "The competent authority shall decide within 30 days and give reasons for a refusal.",
    "No person, wherever resident, shall broker any transfer without a licence.",
    "The authority shall publish an annual report on licences granted and refused.",
]
ORG_WORDS = ["Centre", "Institute", "Forum", "Network", "Council", "Association", "Initiative", "Foundation"]
ORG_TOPICS = ["Non-Proliferation", "Export Control", "Biosecurity", "Nuclear Security", "Arms Control",
              "Trade Compliance", "Chemical Safety", "International Law"]
COUNTRIES = ["AT", "DE", "FR", "KE", "NG", "BR", "MX", "ID", "PH", "JP", "KZ", "GH", "CL", "ZA", "TH", "MA",
             "PE", "VN", "SN", "EG"]


@dataclass
class Node:
    """A comment before it has an id: built in time order, then numbered."""

    t: float  # seconds after the consultation opened
    parent: Node | None
    section_id: int | None
    version_id: int
    depth: int
    root: Node | None = None
    restricted: bool = False
    id: int = 0
    path: str = ""
    status: str = "published"
    replies: int = 0
    tag: str = ""
    fixed: bool = False  # always published and public (the long thread)


@dataclass
class Builder:
    rng: random.Random
    now: datetime
    ids: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    audit: list[dict[str, Any]] = field(default_factory=list)
    terms_version: int | None = None  # every account has accepted the current terms of participation

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def add(self, table: str, **row: Any) -> dict[str, Any]:
        if "id" not in row and table not in NO_ID:
            row["id"] = self.next_id(table)
        self.rows[table].append(row)
        return row

    def audit_entry(self, *, at: datetime, actor_id: int | None, action: str, target_type: str, target_id: Any,
                    reason: str | None = None, before: dict | None = None, after: dict | None = None) -> None:
        self.audit.append({"created_at": at.replace(microsecond=0), "actor_id": actor_id, "action": action,
                           "target_type": target_type, "target_id": str(target_id), "reason": reason,
                           "before": before, "after": after})


NO_ID = {"comment_support", "consultation_region", "consultation_obligation", "section_obligation",
         "region_member", "comment_moderation", "digest_subscription", "summary_citation", "disposition_comment",
         "forwarding_recipient"}


# --- the database ------------------------------------------------------------------------

def reset_database(url: str) -> None:
    from app.core.db import make_engine

    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        for suffix in ("", "-wal", "-shm"):
            if path and os.path.exists(path + suffix):
                os.remove(path + suffix)
        return
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(url: str):
    from app import create_app

    return create_app(BenchConfig, DATABASE_URL=url)


def migrate_and_load(app) -> None:
    from alembic import command

    from app.core.cli import alembic_config
    from app.core.db import db
    from app.geography.services import load_geography

    with app.app_context():
        command.upgrade(alembic_config(), "head")
        load_geography(db.session, Path(app.config["DATA_DIR"]))
        db.session.commit()


# --- text pools ----------------------------------------------------------------------------

def comment_bodies(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(source, sanitised HTML) pairs, rendered once by the real sanitiser."""
    from app.core.sanitize import render_comment_markdown

    pool = []
    for _ in range(count):
        subject = rng.choice(SUBJECTS)
        parts = [rng.choice(OPENINGS).format(s=subject)] + rng.sample(MIDDLES, rng.randint(1, 3))
        closing = rng.choice(CLOSINGS)
        source = " ".join(parts) + ("\n\n" + closing if closing else "")
        pool.append((source, render_comment_markdown(source)))
    return pool


def reply_bodies(rng: random.Random, count: int) -> list[tuple[str, str]]:
    from app.core.sanitize import render_comment_markdown

    pool = []
    for _ in range(count):
        source = rng.choice(REPLIES).format(s=rng.choice(SUBJECTS))
        if rng.random() < 0.4:
            source += " " + rng.choice(MIDDLES)
        pool.append((source, render_comment_markdown(source)))
    return pool


# --- people -----------------------------------------------------------------------------

def build_people(b: Builder, participants: int, password_hash: str, regions: list[tuple[str, list[str]]],
                 countries: list[str]) -> dict[str, Any]:
    from app.accounts.models import Membership, Role, Scope

    rng, now = b.rng, b.now

    def user(email: str, name: str, **extra: Any) -> int:
        row = b.add("user", email=email, display_name=name, password_hash=password_hash,
                    email_verified_at=now - timedelta(days=90), preferred_language=None, timezone="UTC",
                    status="active", session_generation=1, last_login_at=None, is_demo=False,
                    terms_version=b.terms_version,
                    terms_accepted_at=now - timedelta(days=30) if b.terms_version else None,
                    created_at=now - timedelta(days=rng.randint(60, 400)), **extra)
        return row["id"]

    admin = user("bench-admin@example.org", "Bench Administrator")
    b.add("role_grant", user_id=admin, role=Role.ADMIN, scope_type=Scope.GLOBAL, scope_key="", created_at=now)
    moderator = user("bench-moderator@example.org", "Bench Moderator")
    b.add("role_grant", user_id=moderator, role=Role.MODERATOR, scope_type=Scope.GLOBAL, scope_key="",
          granted_by_id=admin, created_at=now)
    b.audit_entry(at=now - timedelta(days=200), actor_id=admin, action="role.granted", target_type="User",
                  target_id=moderator, after={"role": Role.MODERATOR, "scope": "global"})
    people = [user(f"participant{i:06d}@example.org", f"Participant {i}") for i in range(participants)]
    writers = [user(f"bench-writer{i:02d}@example.org", f"Bench Writer {i}") for i in range(WRITERS)]

    # Organisations of every kind, most verified, each with members and a representative.
    organisations = max(24, participants // 12)
    member_of: dict[int, list[int]] = defaultdict(list)
    org_ids = []
    for i in range(organisations):
        kind = ORGANISATION_KINDS[i % len(ORGANISATION_KINDS)]
        verified = rng.random() < 0.85
        org = b.add("organisation", name=f"{rng.choice(ORG_TOPICS)} {rng.choice(ORG_WORDS)} {i}", kind=kind,
                    country_code=rng.choice(countries), website=f"https://org{i}.example.org",
                    description="A bench organisation.", verified_at=now - timedelta(days=100) if verified else None,
                    created_by_id=None, created_at=now - timedelta(days=300))
        org_ids.append(org["id"])
        members = rng.sample(people, min(len(people), rng.randint(2, 10)))
        for n, member in enumerate(members):
            active = n == 0 or rng.random() < 0.9
            b.add("membership", user_id=member, organisation_id=org["id"],
                  role=Membership.REPRESENTATIVE if n == 0 else Membership.MEMBER,
                  status=Membership.ACTIVE if active else Membership.PENDING,
                  decided_at=now - timedelta(days=80) if active else None, created_at=now - timedelta(days=90))
            if active and verified:
                member_of[member].append(org["id"])

    # Authors (drafting governments), one per country used.
    authors = {}
    for code in countries:
        authors[code] = user(f"author-{code.lower()}@example.org", f"Drafting ministry {code}")
        b.add("role_grant", user_id=authors[code], role=Role.AUTHOR, scope_type=Scope.COUNTRY, scope_key=code,
              granted_by_id=admin, created_at=now)

    # Focal points: role grants here, their digest subscriptions in add_subscriptions.
    weights = [len(members) for _code, members in regions]
    focal_points = []
    focal_scopes: dict[int, tuple[str, str]] = {}
    for i in range(FOCAL_POINTS):
        fp = user(f"focal{i:03d}@example.org", f"Focal point {i}")
        focal_points.append(fp)
        if rng.random() < 0.6:
            code = rng.choices([c for c, _m in regions], weights=weights)[0]
            focal_scopes[fp] = (Scope.REGION, code)
        else:
            focal_scopes[fp] = (Scope.COUNTRY, rng.choice(countries))
        scope_type, key = focal_scopes[fp]
        b.add("role_grant", user_id=fp, role=Role.FOCAL_POINT, scope_type=scope_type, scope_key=key,
              granted_by_id=admin, created_at=now)
    return {"admin": admin, "moderator": moderator, "people": people, "writers": writers, "authors": authors,
            "member_of": member_of, "organisations": org_ids, "focal_points": focal_points,
            "focal_scopes": focal_scopes}


# --- consultations ------------------------------------------------------------------------

@dataclass
class Draft:
    id: int
    country: str
    opens_at: datetime
    closes_at: datetime
    v1: int
    v2: int
    v2_at: datetime
    sections_v1: list[int]
    sections_v2: list[int]
    anchors: dict[int, str]
    bodies: dict[int, int]  # section id -> body template index
    moderation: str


def build_consultation(b: Builder, title: str, country: str, regions: list[str], obligations: list[str],
                       *, moderation: str, open_days: int, closes_in_days: int, body_html: list[str],
                       author_id: int) -> Draft:
    from app.consultations.models import DraftVersion, SectionLevel, Status, Visibility

    now, rng = b.now, b.rng
    opens_at = now - timedelta(days=open_days)
    v2_at = opens_at + timedelta(days=open_days * 0.35)
    summary_source = f"The draft {title.lower()} implements resolution 1540 (2004)."
    consultation = b.add(
        "consultation", country_code=country, title=title, instrument_type="law",
        drafting_authority=f"Ministry of Foreign Trade of {country}", summary_source=summary_source,
        summary_html=f"<p>{summary_source}</p>", questions_source="", questions_html="", sanitizer_version=1,
        languages=["en", "fr", "es", "ru", "ar", "zh"], weapon_categories=["NW", "CW", "BW"],
        visibility=Visibility.PUBLIC, moderation_mode=moderation, opens_at=opens_at,
        closes_at=now + timedelta(days=closes_in_days), status=Status.OPEN, created_by_id=author_id,
        created_at=opens_at - timedelta(days=10), updated_at=opens_at)
    cid = consultation["id"]
    for code in regions:
        b.add("consultation_region", consultation_id=cid, region_code=code)
    for code in obligations[:4]:
        b.add("consultation_obligation", consultation_id=cid, obligation_code=code)
    draft = Draft(cid, country, opens_at, consultation["closes_at"], 0, 0, v2_at, [], [], {}, {}, moderation)
    for number, published in ((1, opens_at), (2, v2_at)):
        version = b.add("draft_version", consultation_id=cid, number=number, status=DraftVersion.PUBLISHED,
                        change_note="" if number == 1 else "Revised after the first round of comments.",
                        created_at=published - timedelta(days=2), published_at=published, published_by_id=author_id)
        ids = draft.sections_v1 if number == 1 else draft.sections_v2
        if number == 1:
            draft.v1 = version["id"]
        else:
            draft.v2 = version["id"]
        for position in range(1, SECTIONS + 1):
            template = (position * 7 + cid) % len(ARTICLE_BODIES)
            html = body_html[template].replace("{n}", str(position))
            section = b.add("section", version_id=version["id"], position=position, level=SectionLevel.ARTICLE,
                            number=f"Article {position}", heading=f"{SUBJECTS[position % len(SUBJECTS)].capitalize()}",
                            anchor=f"article-{position}", body_source=ARTICLE_BODIES[template].format(n=position),
                            body_html=html, sanitizer_version=1)
            ids.append(section["id"])
            draft.anchors[section["id"]] = f"article-{position}"
            draft.bodies[section["id"]] = template
            if rng.random() < 0.5:
                b.add("section_obligation", section_id=section["id"], obligation_code=rng.choice(obligations))
    return draft


# --- thread shapes --------------------------------------------------------------------------

def grow_thread(rng: random.Random, nodes: list[Node], root: Node, size: int, *, chain: bool,
                horizon: float) -> None:
    """Add ``size - 1`` replies under ``root``: a chain down to MAX_DEPTH when asked,
    otherwise mostly direct replies with short exchanges below them."""
    thread = [root]
    last = root
    for _ in range(1, size):
        if chain and last.depth < MAX_DEPTH:
            parent = last
        elif rng.random() < 0.45:
            parent = root
        elif rng.random() < 0.5:
            parent = last if last.depth < MAX_DEPTH else root
        else:
            parent = rng.choice(thread)
            while parent.depth >= MAX_DEPTH:
                parent = parent.parent
        t = min(horizon, parent.t + rng.expovariate(1 / 20_000))
        node = Node(t=max(t, parent.t + 1), parent=parent, section_id=root.section_id, version_id=root.version_id,
                    depth=parent.depth + 1, root=root, restricted=parent.restricted)
        nodes.append(node)
        thread.append(node)
        last = node


def thread_size(rng: random.Random) -> tuple[int, bool]:
    r = rng.random()
    if r < 0.62:
        return 1, False
    if r < 0.87:
        return rng.randint(2, 4), False
    if r < 0.96:
        return rng.randint(5, 15), False
    if r < 0.99:
        return rng.randint(MAX_DEPTH + 1, MAX_DEPTH + 4), True
    return rng.randint(30, 80), False


def fill_bucket(rng: random.Random, nodes: list[Node], count: int, *, section_id: int | None, version_id: int,
                start: float, horizon: float) -> list[Node]:
    roots = []
    made = 0
    while made < count:
        size, chain = thread_size(rng)
        size = min(size, count - made)
        root = Node(t=rng.uniform(start, horizon), parent=None, section_id=section_id, version_id=version_id,
                    depth=0, restricted=rng.random() < 0.05)
        root.root = root
        nodes.append(root)
        roots.append(root)
        grow_thread(rng, nodes, root, size, chain=chain and size > MAX_DEPTH, horizon=horizon)
        made += size
    return roots


def horizon_of(draft: Draft, now: datetime) -> float:
    """Seconds from opening to the last moment a comment can have been written."""
    return (min(now, draft.closes_at) - draft.opens_at).total_seconds() - 60


def spread(rng: random.Random, draft: Draft, total: int, *, nodes: list[Node], now: datetime,
           skip: frozenset[int] | set[int] = frozenset()) -> None:
    """``total`` comments over one consultation: 15 % on the draft as a whole, 10 % on
    the first version, the rest over the current version's sections (a few popular)."""
    span = (draft.v2_at - draft.opens_at).total_seconds()
    horizon = horizon_of(draft, now)
    whole = int(total * 0.15)
    early = int(total * 0.10)
    fill_bucket(rng, nodes, whole, section_id=None, version_id=draft.v2, start=span, horizon=horizon)
    weights_v1 = [1 / (i + 1) for i in range(SECTIONS)]
    for section_id, n in zip(draft.sections_v1, allot(rng, early, weights_v1), strict=True):
        fill_bucket(rng, nodes, n, section_id=section_id, version_id=draft.v1, start=0, horizon=span - 60)
    targets = [s for s in draft.sections_v2 if s not in skip]
    weights = [1 / (i + 1) ** 0.8 for i in range(len(targets))]
    rng.shuffle(weights)
    for section_id, n in zip(targets, allot(rng, total - whole - early, weights), strict=True):
        fill_bucket(rng, nodes, n, section_id=section_id, version_id=draft.v2, start=span, horizon=horizon)


def allot(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """Split ``total`` by ``weights`` into whole numbers that add up."""
    s = sum(weights)
    counts = [int(total * w / s) for w in weights]
    for i in rng.sample(range(len(weights)), total - sum(counts)):
        counts[i] += 1
    return counts


# --- comments ----------------------------------------------------------------------------

def number_comments(b: Builder, draft: Draft, nodes: list[Node]) -> list[Node]:
    from app.comments.models import path_segment

    nodes.sort(key=lambda n: n.t)
    for node in nodes:
        node.id = b.next_id("comment")
        node.path = f"{node.parent.path}/{path_segment(node.id)}" if node.parent else path_segment(node.id)
    return nodes


def emit_comments(b: Builder, draft: Draft, nodes: list[Node], people: dict[str, Any], pools: dict[str, Any],
                  *, pending: bool = False, shape: random.Random | None = None) -> None:
    """Write the rows of one consultation's comments, with their decisions, supports,
    notifications and audit entries. ``shape`` draws what a visitor sees (status,
    kind, stance, language), so scenario pages are the same whatever N."""
    from app.comments.models import Audience, CommentKind, CommentStatus

    rng = b.rng
    srng = shape or rng
    members = people["people"]
    member_of = people["member_of"]
    moderator = people["moderator"]
    author_of: dict[int, int] = {}
    for node in nodes:
        at = draft.opens_at + timedelta(seconds=node.t)
        author = rng.choice(members)
        while node.parent is not None and author == author_of.get(node.parent.id) and len(members) > 1:
            author = rng.choice(members)
        author_of[node.id] = author
        orgs = member_of.get(author)
        organisation = rng.choice(orgs) if orgs and rng.random() < 0.6 else None
        if pending:
            status = CommentStatus.PENDING
        elif node.fixed:
            status = CommentStatus.PUBLISHED
        else:
            r = srng.random()
            status = (CommentStatus.PUBLISHED if r < 0.93 else CommentStatus.WITHDRAWN if r < 0.95
                      else CommentStatus.HIDDEN if r < 0.97 else CommentStatus.REJECTED if r < 0.985
                      else CommentStatus.SPAM)
            if draft.moderation == "post" and status == CommentStatus.REJECTED:
                status = CommentStatus.HIDDEN
        node.status = status
        kind = CommentKind.COMMENT
        wording = diff = None
        if node.parent is None:
            r = srng.random()
            if r < 0.15:
                kind = CommentKind.QUESTION
            elif r < 0.25 and node.section_id is not None:
                kind = CommentKind.AMENDMENT
                template = draft.bodies[node.section_id]
                wording, diff = srng.choice(pools["amendments"][template])
        source, html = rng.choice(pools["replies"] if node.parent else pools["bodies"])
        stance = srng.choice(STANCES) if node.section_id is not None and node.parent is None else None
        published_at = at if status in (CommentStatus.PUBLISHED, CommentStatus.WITHDRAWN, CommentStatus.HIDDEN) \
            else None
        moderated = None
        b.add("comment", id=node.id, consultation_id=draft.id, section_id=node.section_id, version_id=node.version_id,
              parent_id=node.parent.id if node.parent else None, root_id=node.root.id, path=node.path,
              depth=node.depth, author_id=author, organisation_id=organisation, kind=kind, stance=stance,
              audience=Audience.RESTRICTED if node.restricted else Audience.PUBLIC,
              language=srng.choice(LANGUAGES), body_source=source if status != CommentStatus.WITHDRAWN else "",
              body_html=html if status != CommentStatus.WITHDRAWN else "", sanitizer_version=1,
              proposed_wording=wording, proposed_diff=diff, status=status,
              receipt_number=f"A1540-{at.year}-{node.id:06d}", idempotency_key=f"{node.id:032x}",
              support_count=0, reply_count=0, version=1, created_at=at, updated_at=at, published_at=published_at,
              edited_at=None, withdrawn_at=at + timedelta(hours=2) if status == CommentStatus.WITHDRAWN else None,
              moderated_at=moderated)
        row = b.rows["comment"][-1]
        b.audit_entry(at=at, actor_id=author, action="comment.posted", target_type="Comment", target_id=node.id,
                      after={"status": CommentStatus.PENDING if draft.moderation == "pre" or pending
                             else CommentStatus.PUBLISHED,
                             "audience": row["audience"], "receipt": row["receipt_number"],
                             "parent": row["parent_id"], "section": node.section_id})
        if pending:
            continue
        # Moderation: decisions for what moderators changed; approvals in pre-moderated ones.
        decided = None
        if status in (CommentStatus.HIDDEN, CommentStatus.REJECTED, CommentStatus.SPAM):
            decided = {"hidden": "hide", "rejected": "reject", "spam": "spam"}[status]
            before = CommentStatus.PENDING if status == CommentStatus.REJECTED else CommentStatus.PUBLISHED
        elif draft.moderation == "pre" and status in (CommentStatus.PUBLISHED, CommentStatus.WITHDRAWN):
            decided, before = "approve", CommentStatus.PENDING
        if decided:
            when = at + timedelta(hours=rng.randint(1, 30))
            after = CommentStatus.PUBLISHED if decided == "approve" else status
            reason_id = None if decided == "approve" else rng.choice(pools["reasons"])
            b.add("moderation_decision", comment_id=node.id, consultation_id=draft.id, subject_id=author,
                  action=decided, reason_id=reason_id, reason_text="", actor_id=moderator, before_status=before,
                  after_status=after, before={"status": before}, after={"status": after}, version_after=2,
                  undone_at=None, undone_by_id=None, created_at=when)
            row["version"] = 2
            row["moderated_at"] = when
            b.audit_entry(at=when, actor_id=moderator, action=f"moderation.{decided}", target_type="Comment",
                          target_id=node.id, before={"status": before}, after={"status": after})
        if status == CommentStatus.PUBLISHED and node.parent is not None:
            node.parent.replies += 1
            parent_author = author_of[node.parent.id]
            if parent_author != author:
                b.add("notification", user_id=parent_author, kind="reply", consultation_id=draft.id,
                      comment_id=node.id, dedupe_key=f"reply:{node.id}", created_at=at,
                      read_at=at + timedelta(days=1) if rng.random() < 0.7 else None)
        if status == CommentStatus.PUBLISHED:
            r = rng.random()
            supporters = 0 if r < 0.6 else rng.randint(1, 3) if r < 0.85 else rng.randint(4, 10) if r < 0.97 \
                else rng.randint(11, 40)
            if supporters:
                chosen = set(rng.sample(members, min(supporters, len(members) - 1)))
                chosen.discard(author)
                for user_id in chosen:
                    b.add("comment_support", comment_id=node.id, user_id=user_id,
                          created_at=at + timedelta(hours=rng.randint(1, 100)))
                row["support_count"] = len(chosen)
    # reply counts are known once every child has been seen
    if not nodes:
        return
    by_id = {r["id"]: r for r in b.rows["comment"][-len(nodes):]}
    for node in nodes:
        if node.replies:
            by_id[node.id]["reply_count"] = node.replies


def add_queue_items(b: Builder, drafts: list[Draft], people: dict[str, Any], pools: dict[str, Any],
                    pending: int) -> dict[str, int]:
    """Pending comments (the review queue), held ones and flagged published ones."""
    from app.comments.models import CommentStatus

    rng, now = b.rng, b.now
    published = [r for r in b.rows["comment"] if r["status"] == CommentStatus.PUBLISHED]
    nodes_by_draft: dict[int, list[Node]] = defaultdict(list)
    window = 10 * 86400.0
    by_id = {d.id: d for d in drafts}
    for i in range(pending + pending // 10):
        draft = rng.choice(drafts)
        horizon = horizon_of(draft, now)
        parent_row = rng.choice(published) if rng.random() < 0.15 else None
        if parent_row is not None and parent_row["depth"] < MAX_DEPTH:
            draft = by_id[parent_row["consultation_id"]]
            horizon = horizon_of(draft, now)
            parent = Node(t=0, parent=None, section_id=parent_row["section_id"], version_id=parent_row["version_id"],
                          depth=parent_row["depth"], restricted=parent_row["audience"] == "restricted")
            parent.id, parent.path = parent_row["id"], parent_row["path"]
            parent.root = SimpleNamespace(id=parent_row["root_id"])
            node = Node(t=rng.uniform(horizon - window, horizon), parent=parent, section_id=parent.section_id,
                        version_id=parent.version_id, depth=parent.depth + 1, root=parent.root,
                        restricted=parent.restricted)
        else:
            section = rng.choice(draft.sections_v2 + [None] * 6)
            node = Node(t=rng.uniform(horizon - window, horizon), parent=None, section_id=section,
                        version_id=draft.v2, depth=0)
            node.root = node
        node.tag = "held" if i >= pending else "pending"
        nodes_by_draft[draft.id].append(node)
    held = 0
    for draft in drafts:
        nodes = number_comments(b, draft, nodes_by_draft.get(draft.id, []))
        emit_comments(b, draft, nodes, people, pools, pending=True)
        for node in nodes:
            if node.tag == "held":
                rule = rng.choice(["links", "new_account", "watch_word", "duplicate"])
                detail = {"links": "5", "new_account": "1", "watch_word": "anthrax", "duplicate": ""}[rule]
                b.add("comment_moderation", comment_id=node.id, hold_reasons=[{"rule": rule, "detail": detail}],
                      hold_rules=rule, locked=False, highlighted=False, open_flags=0, updated_at=now)
                held += 1
    # Flags: open ones on 1 % of published comments, resolved ones on a few more.
    flagged = 0
    members = people["people"]
    for row in rng.sample(published, max(1, len(published) // 100)):
        flaggers = rng.sample(members, rng.randint(1, 4))
        opened = 0
        for user_id in flaggers:
            if user_id == row["author_id"]:
                continue
            at = row["created_at"] + timedelta(hours=rng.randint(1, 48))
            b.add("comment_flag", comment_id=row["id"], user_id=user_id, reason=rng.choice(
                ["spam", "abusive", "off_topic", "personal_data", "security_detail", "other"]),
                text="", created_at=at, resolved_at=None, resolution=None, decision_id=None)
            b.audit_entry(at=at, actor_id=user_id, action="comment.flagged", target_type="Comment",
                          target_id=row["id"])
            opened += 1
        if opened:
            b.add("comment_moderation", comment_id=row["id"], hold_reasons=[], hold_rules="", locked=False,
                  highlighted=False, open_flags=opened, updated_at=now)
            flagged += 1
    return {"pending": pending, "held": held, "flagged": flagged}


def add_subscriptions(b: Builder, people: dict[str, Any]) -> int:
    """Digest subscriptions of the 500 focal points (weekly or daily, their own scope)."""
    for user_id, (scope_type, key) in people["focal_scopes"].items():
        b.add("digest_subscription", user_id=user_id, regions=[key] if scope_type == "region" else [],
              countries=[key] if scope_type == "country" else [], obligations=[],
              frequency=b.rng.choice(["weekly", "weekly", "daily"]), language="en", updated_at=b.now)
    return len(people["focal_scopes"])


def add_sanctions(b: Builder, people: dict[str, Any], pools: dict[str, Any]) -> int:
    rng, now = b.rng, b.now
    members = people["people"]
    count = max(3, len(members) // 100)
    for user_id in rng.sample(members, count):
        kind = rng.choice(["warning", "warning", "suspension"])
        at = now - timedelta(days=rng.randint(5, 50))
        b.add("sanction", user_id=user_id, kind=kind, reason_id=rng.choice(pools["reasons"]), reason_text="",
              comment_id=None, created_by_id=people["moderator"], created_at=at,
              ends_at=at + timedelta(days=3) if kind == "suspension" else None, lifted_at=None, lifted_by_id=None,
              lift_reason=None)
        b.audit_entry(at=at, actor_id=people["moderator"], action=f"moderation.sanction.{kind}",
                      target_type="User", target_id=user_id)
    return count


# --- summaries and forwardings ------------------------------------------------------------

OVERALL_TEXTS = [
    "Comments concentrate on **{s}** and on the definitions in Article 1. Industry asks for guidance before "
    "the law enters into force; civil-society organisations ask for a review clause.",
    "Most comments support the draft's approach to **{s}** but ask for clearer deadlines and for the "
    "competent authority to be named.\n\nSeveral States' practice is cited as a model.",
    "The discussion is divided on **{s}**: exporters fear delays, while non-proliferation experts ask for "
    "stricter controls. Comments on the first version are reflected where the text did not change.",
]
POINT_TEXTS = [
    "Several comments ask for a clearer definition of {s}.",
    "Industry associations say that {s} places a heavy burden on small exporters and ask for guidance.",
    "Civil-society organisations support the text on {s} but ask for a review clause after three years.",
    "Comments disagree on {s}: some want stricter controls, others fear delays at the border.",
    "Participants ask the ministry to publish the impact assessment on {s}.",
    "Comments propose to align {s} with the regional guidelines.",
]
CHANGE_NOTES = [
    "Points added on the comments received since the last summary.",
    "Figures updated; two points reworded after the consultation meeting.",
    "A point on the second version of the draft added.",
]
FORWARDING_NOTES = ["", "", "For the next meeting of the 1540 coordinators.",
                    "Please share with the national authorities concerned."]
RESPONSE_TEXTS = [
    "Received, thank you. We will compare the provisions on {s} with those of neighbouring States.",
    "Thank you for the summary. Our members would welcome a briefing on {s} before the second reading.",
    "Noted. The regional guidelines on {s} are being revised; we will share the draft.",
]
POINTS_RAISED = [
    "Define {s} more precisely.",
    "Reduce the burden of {s} on small exporters.",
    "Add a review clause on {s}.",
    "Publish guidance on {s} before entry into force.",
]
DISPOSITION_REASONS = [
    "The definition now follows the regional guidelines.",
    "The burden is limited by the simplified procedure in Article 12.",
    "The matter is left to the implementing regulation.",
    "A review after three years is already required by the framework law.",
]
DECISION_WEIGHTS = [3, 2, 2, 3]  # accepted, partly accepted, not accepted, noted
DISPOSITION_SHARE = 0.1
ACKNOWLEDGED_SHARE = 0.4
ANSWERED_SHARE = 0.3


def digest_slots(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    """When forwardings happen so that ``queue_due_digests`` finds them at bench time:
    yesterday (the daily digests' period), the last full ISO week before
    yesterday (the weekly ones'), and earlier."""
    from app.digests.composition import period_for

    _key, day_start, day_end = period_for("daily", now)
    _key, week_start, week_end = period_for("weekly", now)
    return {"earlier": (week_start - timedelta(days=21), week_start - timedelta(days=2)),
            "weekly": (week_start, min(week_end, day_start)), "daily": (day_start, day_end)}


def publication_times(rng: random.Random, index: int, draft: Draft, slots: dict[str, tuple[datetime, datetime]]
                      ) -> list[datetime]:
    """When the 1-3 revisions of a summary are published: the last one yesterday, the one
    before it in the last full week (a single revision alternates between the two), all
    at least a day after the second version of the draft."""
    names = {1: ["daily" if index % 2 == 0 else "weekly"], 2: ["weekly", "daily"],
             3: ["earlier", "weekly", "daily"]}[rng.randint(1, 3)]
    earliest = draft.v2_at + timedelta(days=1)
    times: list[datetime] = []
    for name in names:
        lo, hi = slots[name]
        lo = max(lo, earliest, times[-1] + timedelta(hours=6) if times else lo)
        hi -= timedelta(hours=4)  # room to forward it, and to acknowledge it, inside the slot
        if hi - lo >= timedelta(hours=1):
            times.append((lo + (hi - lo) * rng.random()).replace(microsecond=0))
    return times


def after(rng: random.Random, at: datetime, lo_minutes: int, hi_minutes: int) -> datetime:
    return at + timedelta(minutes=rng.randint(lo_minutes, hi_minutes))


@dataclass
class SummaryCounts:
    summaries: int = 0
    revisions: int = 0
    points: int = 0
    citations: int = 0
    dispositions: int = 0
    forwardings: int = 0
    recipients: int = 0
    acknowledged: int = 0
    responses: int = 0
    consultation_ids: list[int] = field(default_factory=list)
    # (consultation id, [(revision id, published at)]): their figures are computed once written
    published: list[tuple[int, list[tuple[int, datetime]]]] = field(default_factory=list)


def add_summaries(b: Builder, chosen: list[Draft], people: dict[str, Any], seed: int) -> SummaryCounts:
    """A published summary for each chosen consultation, its dispositions, and its forwardings
    with acknowledgements and answers, as the summary services would have made them."""
    from bisect import bisect_left

    from app.comments.models import Audience, CommentStatus
    from app.consultations.models import Status, clock_status
    from app.core.sanitize import render_comment_markdown, render_markdown
    from app.summaries.models import SummaryStatus, TargetType

    now = b.now
    slots = digest_slots(now)
    rendered: dict[tuple[bool, str], str] = {}

    def html(source: str, *, answer: bool = False) -> str:
        """Each text is rendered once by the real sanitiser (answers like comments)."""
        if (answer, source) not in rendered:
            rendered[answer, source] = (render_comment_markdown if answer else render_markdown)(source)
        return rendered[answer, source]

    citable: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in b.rows["comment"]:
        if row["status"] == CommentStatus.PUBLISHED and row["audience"] == Audience.PUBLIC:
            citable[row["consultation_id"]].append(row)
    regions_of: dict[int, list[str]] = defaultdict(list)
    for row in b.rows["consultation_region"]:
        regions_of[row["consultation_id"]].append(row["region_code"])
    focal: dict[tuple[str, str], list[int]] = defaultdict(list)
    for user_id, scope in people["focal_scopes"].items():
        focal[scope].append(user_id)
    consultation_rows = {r["id"]: r for r in b.rows["consultation"]}
    moderator = people["moderator"]
    counts = SummaryCounts()

    for index, draft in enumerate(chosen):
        # One generator per consultation: the hot consultation's summary is the same whatever N.
        rng = random.Random(seed * 1000 + draft.id)
        comments = sorted(citable[draft.id], key=lambda r: (r["created_at"], r["id"]))
        times = publication_times(rng, index, draft, slots)
        if not comments or not times:
            continue
        stamps = [r["created_at"] for r in comments]
        by_section: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
        for row in comments:
            by_section[row["section_id"]].append(row)
        consultation = consultation_rows[draft.id]
        status = consultation["status"]
        author = people["authors"][draft.country]
        created = times[0] - timedelta(hours=rng.randint(6, 48))
        summary = b.add("summary", consultation_id=draft.id, status=SummaryStatus.PUBLISHED, restricted=False,
                        created_by_id=moderator, created_at=created, updated_at=times[-1])
        b.audit_entry(at=created, actor_id=moderator, action="summary.created", target_type="Summary",
                      target_id=summary["id"], after={"consultation": draft.id})
        counts.summaries += 1
        counts.consultation_ids.append(draft.id)
        targets = [(TargetType.REGION, code) for code in regions_of[draft.id] if focal[(TargetType.REGION, code)]]
        if focal[(TargetType.COUNTRY, draft.country)]:
            targets.append((TargetType.COUNTRY, draft.country))
        points: list[tuple[int | None, str, list[int]]] = []
        overall = rng.choice(OVERALL_TEXTS).format(s=rng.choice(SUBJECTS))
        revisions = []
        for number, published in enumerate(times, 1):
            started = created if number == 1 else times[number - 2] + (published - times[number - 2]) / 2
            started = started.replace(microsecond=0)
            # Points on what had been said when the revision was written (a later one keeps the earlier points).
            known = bisect_left(stamps, started)
            for _ in range(rng.randint(3, 6) if number == 1 else rng.randint(1, 3)):
                if not known:
                    break
                section_id = comments[rng.randrange(known)]["section_id"]
                same = by_section[section_id]
                pool = same[:bisect_left([r["created_at"] for r in same], started)]
                cited = sorted(r["id"] for r in rng.sample(pool, min(len(pool), rng.randint(1, 6))))
                points.append((section_id, rng.choice(POINT_TEXTS).format(s=rng.choice(SUBJECTS)), cited))
            revision = b.add("summary_revision", summary_id=summary["id"], number=number, overall_source=overall,
                             overall_html=html(overall), sanitizer_version=1,
                             change_note="" if number == 1 else rng.choice(CHANGE_NOTES), statistics=None,
                             created_by_id=moderator, created_at=started, published_at=published,
                             published_by_id=moderator)
            revisions.append((revision["id"], published))
            counts.revisions += 1
            for position, (section_id, source, cited) in enumerate(points, 1):
                point = b.add("summary_point", revision_id=revision["id"], section_id=section_id,
                              position=position, text_source=source, text_html=html(source))
                for comment_id in cited:
                    b.add("summary_citation", point_id=point["id"], comment_id=comment_id)
                counts.points += 1
                counts.citations += len(cited)

            # Publishing a closed consultation's summary moves it on; an open one keeps its clock.
            current = clock_status(draft.opens_at, draft.closes_at, published) if status in CLOCKED_STATUSES \
                else status
            if current == Status.CLOSED:
                b.audit_entry(at=published, actor_id=moderator, action="consultation.summarised",
                              target_type="Consultation", target_id=draft.id, before={"status": status},
                              after={"status": Status.SUMMARISED})
                status = consultation["status"] = Status.SUMMARISED
                consultation["updated_at"] = published
            b.audit_entry(at=published, actor_id=moderator, action="summary.published", target_type="Summary",
                          target_id=summary["id"], after={"revision": number, "restricted": False})

            forwarded_at = after(rng, published, 30, 200)
            note = rng.choice(FORWARDING_NOTES)
            for kind, key in targets:
                recipients = focal[(kind, key)]
                forwarding = b.add("forwarding", revision_id=revision["id"], target_type=kind, target_key=key,
                                   note=note, forwarded_by_id=moderator, created_at=forwarded_at)
                b.audit_entry(at=forwarded_at, actor_id=moderator, action="summary.forwarded",
                              target_type="Forwarding", target_id=forwarding["id"],
                              after={"summary": summary["id"], "revision": number, "target": f"{kind}:{key}",
                                     "recipients": recipients})
                answer_forwarding(b, rng, forwarding, recipients, partial(html, answer=True), counts)
            current = clock_status(draft.opens_at, draft.closes_at, forwarded_at) if status in CLOCKED_STATUSES \
                else status
            if targets and current in (Status.CLOSED, Status.SUMMARISED):
                b.audit_entry(at=forwarded_at, actor_id=moderator, action="consultation.forwarded",
                              target_type="Consultation", target_id=draft.id, before={"status": status},
                              after={"status": Status.FORWARDED})
                status = consultation["status"] = Status.FORWARDED
                consultation["updated_at"] = forwarded_at

        counts.dispositions += add_dispositions(b, rng, summary["id"], draft, comments, times, author=author)
        counts.published.append((draft.id, revisions))
    return counts


def answer_forwarding(b: Builder, rng: random.Random, forwarding: dict[str, Any], recipients: list[int],
                      answer_html: Callable[[str], str], counts: SummaryCounts) -> None:
    """Its recipients: ~40 % acknowledge it, and now and then one or two answer (an answer
    acknowledges too, without an acknowledgement of its own)."""
    now = b.now
    sent = forwarding["created_at"]
    acknowledged: dict[int, datetime] = {}
    for user_id in recipients:
        at = after(rng, sent, 5, 5 + int(rng.expovariate(1 / 900)))
        if rng.random() < ACKNOWLEDGED_SHARE and at < now:
            acknowledged[user_id] = at
    answers = []
    if rng.random() < ANSWERED_SHARE:
        for user_id in rng.sample(recipients, min(len(recipients), rng.randint(1, 2))):
            at = after(rng, sent, 60, 1200)
            if at < now:
                answers.append((user_id, at))
    by_answer = set()
    for user_id, at in answers:
        if user_id not in acknowledged or acknowledged[user_id] > at:
            acknowledged[user_id] = at
            by_answer.add(user_id)
    for user_id in recipients:
        b.add("forwarding_recipient", forwarding_id=forwarding["id"], user_id=user_id,
              acknowledged_at=acknowledged.get(user_id))
        if user_id in acknowledged and user_id not in by_answer:
            b.audit_entry(at=acknowledged[user_id], actor_id=user_id, action="summary.acknowledged",
                          target_type="Forwarding", target_id=forwarding["id"])
    for user_id, at in answers:
        source = rng.choice(RESPONSE_TEXTS).format(s=rng.choice(SUBJECTS))
        published = rng.random() < 0.5
        response = b.add("forwarding_response", forwarding_id=forwarding["id"], author_id=user_id,
                         body_source=source, body_html=answer_html(source), sanitizer_version=1,
                         published=published, created_at=at)
        b.audit_entry(at=at, actor_id=user_id, action="summary.response", target_type="Forwarding",
                      target_id=forwarding["id"], after={"response": response["id"], "published": published})
    counts.forwardings += 1
    counts.recipients += len(recipients)
    counts.acknowledged += len(acknowledged)
    counts.responses += len(answers)


def add_dispositions(b: Builder, rng: random.Random, summary_id: int, draft: Draft, comments: list[dict[str, Any]],
                     times: list[datetime], *, author: int) -> int:
    """The resolution table: in each round (between one published revision and the next)
    the drafting government answers about a tenth of the top-level comments the
    revision covered, a few comments of one section at a time."""
    from bisect import bisect_left

    stamps = [r["created_at"] for r in comments]
    made = 0
    for number, published in enumerate(times, 1):
        since = times[number - 2] if number > 1 else draft.opens_at
        until = times[number] if number < len(times) else b.now
        answered = [r for r in comments[bisect_left(stamps, since):bisect_left(stamps, published)]
                    if r["parent_id"] is None]
        answered = rng.sample(answered, int(len(answered) * DISPOSITION_SHARE))
        answered.sort(key=lambda r: (r["section_id"] is not None, r["section_id"] or 0, r["id"]))
        while answered:
            chunk, size = [answered.pop(0)], rng.randint(1, 4)
            while answered and len(chunk) < size and answered[0]["section_id"] == chunk[0]["section_id"]:
                chunk.append(answered.pop(0))
            add_disposition(b, rng, summary_id, number, chunk, author=author,
                            at=published + (until - published) * rng.uniform(0.05, 0.95))
            made += 1
    return made


def add_disposition(b: Builder, rng: random.Random, summary_id: int, round_: int, comments: list[dict[str, Any]],
                    *, author: int, at: datetime) -> None:
    """One row of the resolution table answering ``comments`` (all on one section)."""
    from app.summaries.models import Decision

    decision = rng.choices(DECISIONS, weights=DECISION_WEIGHTS)[0]
    explained = decision in (Decision.NOT_ACCEPTED, Decision.PARTLY_ACCEPTED) or rng.random() < 0.3
    section_id = comments[0]["section_id"]
    at = at.replace(microsecond=0)
    disposition = b.add("disposition", summary_id=summary_id, round=round_, section_id=section_id,
                        point_raised=rng.choice(POINTS_RAISED).format(s=rng.choice(SUBJECTS)), decision=decision,
                        reason=rng.choice(DISPOSITION_REASONS) if explained else "", created_by_id=author,
                        created_at=at, updated_at=at)
    for row in comments:
        b.add("disposition_comment", disposition_id=disposition["id"], comment_id=row["id"])
    b.audit_entry(at=at, actor_id=author, action="disposition.saved", target_type="Disposition",
                  target_id=disposition["id"], after={"decision": decision, "section": section_id, "round": round_})


def summary_manifest(counts: SummaryCounts, now: datetime) -> dict[str, Any]:
    from app.digests.composition import period_for

    figures = {name: getattr(counts, name) for name in ("summaries", "revisions", "points", "citations",
                                                         "dispositions", "forwardings", "recipients",
                                                         "acknowledged", "responses")}
    periods = {frequency: period_for(frequency, now)[1:] for frequency in ("daily", "weekly")}
    return {**figures, "consultation_ids": counts.consultation_ids,
            "digest_periods": {frequency: [start.isoformat(), end.isoformat()]
                               for frequency, (start, end) in periods.items()}}


def fill_statistics(session, counts: SummaryCounts) -> None:
    """The figures of each published revision, computed by the app's own code once the
    comments are written (the figures of the whole discussion, stamped with the
    revision's publication)."""
    from sqlalchemy import bindparam, update

    from app.core.db import Base
    from app.summaries.statistics import compute_statistics

    table = Base.metadata.tables["summary_revision"]
    rows = []
    for consultation_id, revisions in counts.published:
        figures = compute_statistics(session, consultation_id, include_restricted=False)
        for revision_id, published in revisions:
            rows.append({"revision_id": revision_id,
                         "figures": {**figures, "computed_at": published.isoformat(timespec="seconds")}})
    if rows:
        session.execute(update(table).where(table.c.id == bindparam("revision_id"))
                        .values(statistics=bindparam("figures")), rows)


# --- writing -----------------------------------------------------------------------------

ORDER = ["user", "organisation", "membership", "role_grant", "consultation", "consultation_region",
         "consultation_obligation", "draft_version", "section", "section_obligation", "comment",
         "moderation_decision", "comment_moderation", "comment_support", "comment_flag", "sanction", "notification",
         "digest_subscription", "summary", "summary_revision", "summary_point", "summary_citation", "disposition",
         "disposition_comment", "forwarding", "forwarding_recipient", "forwarding_response", "audit_entry"]


def chain_audit(b: Builder, last_hash: str | None) -> None:
    from app.core.audit import GENESIS, entry_hash

    previous = last_hash or GENESIS
    for entry in sorted(b.audit, key=lambda e: e["created_at"]):
        entry["prev_hash"] = previous
        entry["hash"] = entry_hash(SimpleNamespace(**entry))
        previous = entry["hash"]
        b.add("audit_entry", **entry)


def write(session, b: Builder, tables) -> dict[str, float]:
    timings = {}
    for name in ORDER:
        rows = b.rows.get(name)
        if not rows:
            continue
        started = time.perf_counter()
        table = tables[name]
        keys = set().union(*(row.keys() for row in rows))
        for row in rows:
            for key in keys - row.keys():
                row[key] = None
        for i in range(0, len(rows), BATCH):
            session.execute(insert(table), rows[i:i + BATCH])
        timings[name] = round(time.perf_counter() - started, 2)
    if b.rows.get("audit_entry"):
        from app.core.audit import adopt_last_entry_as_head

        adopt_last_entry_as_head(session)
    from app.moderation.tally import recount

    recount(session)  # the rows went in past the session: the queue's counts are counted once
    if session.get_bind().dialect.name == "postgresql":
        for name in b.ids:
            # table names come from the models, not from input
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "  # noqa: S608
                                 f"(SELECT max(id) FROM \"{name}\"))"))
    return timings


def generate(url: str, comments: int, *, pending: int = 10_000, seed: int = 1540, reset: bool = False,
             manifest_path: str | None = None, quiet: bool = False) -> dict[str, Any]:
    from app.core.db import Base, db
    from app.geography.models import Obligation, Region, RegionMember
    from app.models import load_all_models

    started = time.perf_counter()
    log = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    if reset:
        reset_database(url)
    app = make_app(url)
    migrate_and_load(app)
    log(f"generate: migrated and loaded geography in {time.perf_counter() - started:.1f}s")
    load_all_models()
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    b = Builder(rng, now)

    with app.app_context():
        session = db.session
        if session.scalar(select(func.count()).select_from(Base.metadata.tables["comment"])):
            raise SystemExit("generate: the database already has comments; pass --reset to start afresh")
        for name in ORDER:
            if name in Base.metadata.tables and name not in NO_ID:
                b.ids[name] = session.scalar(select(func.coalesce(func.max(Base.metadata.tables[name].c.id), 0)))
        b.ids = defaultdict(int, {k: v for k, v in b.ids.items()})
        from app.accounts.passwords import hash_password
        from app.consultations.diff import html_to_text, word_diff
        from app.core.sanitize import render_markdown

        password_hash = hash_password(BENCH_PASSWORD)
        regions = [(code, [m for (m,) in session.execute(select(RegionMember.country_code)
                                                         .where(RegionMember.region_code == code))])
                   for code in session.scalars(select(Region.code).order_by(Region.code))]
        regions = [(c, m) for c, m in regions if m]
        country_regions = defaultdict(list)
        for code, members in regions:
            for member in members:
                country_regions[member].append(code)
        obligations = list(session.scalars(select(Obligation.code).order_by(Obligation.code)))
        reasons = [r for (r,) in session.execute(text("SELECT id FROM moderation_reason ORDER BY id"))]
        last_hash = session.scalar(text("SELECT hash FROM audit_entry ORDER BY id DESC LIMIT 1"))

        body_html = [render_markdown(t) for t in ARTICLE_BODIES]
        amendments = {}
        for i in range(len(ARTICLE_BODIES)):
            amendments[i] = []
            for wording in WORDINGS:
                section_text = html_to_text(body_html[i])
                diff = [[list(pair) for pair in paragraph] for paragraph in word_diff(section_text, wording)]
                amendments[i].append((wording, diff))
        pools = {"bodies": comment_bodies(rng, 400), "replies": reply_bodies(rng, 200), "amendments": amendments,
                 "reasons": reasons or [None]}

        from app.accounts.policy_pages import current_terms_version

        b.terms_version = current_terms_version(session) or None
        participants = max(300, comments // 15)
        people = build_people(b, participants, password_hash, regions, COUNTRIES)

        # Scale the scenario objects down only for tiny smoke-test sets.
        scale = min(1.0, comments / 10_000)
        hot_total = max(60, int(HOT_CONSULTATION_COMMENTS * scale))
        hot_section = max(25, int(HOT_SECTION_COMMENTS * scale))
        thread_size_ = max(30, int(HOT_THREAD_COMMENTS * scale))
        thread_others = int(THREAD_CONSULTATION_OTHERS * scale)
        posting_total = int(POSTING_CONSULTATION_COMMENTS * scale)
        background = max(0, comments - hot_total - thread_size_ - thread_others - posting_total)

        def consultation(title: str, country: str, **kw: Any) -> Draft:
            return build_consultation(b, title, country, country_regions.get(country, [])[:3], obligations,
                                      body_html=body_html, author_id=people["authors"][country], **kw)

        drafts: list[Draft] = []
        scenario: dict[str, Any] = {}

        # 1. The hot consultation: 2,000 comments, one section with 420.
        hot = consultation("Draft law on strategic export controls (hot)", "AT", moderation="post", open_days=60,
                           closes_in_days=30)
        drafts.append(hot)
        nodes: list[Node] = []
        shape = random.Random(seed * 100 + 1)  # the scenario objects do not depend on N
        hot_section_id = hot.sections_v2[4]
        span = (hot.v2_at - hot.opens_at).total_seconds()
        horizon = horizon_of(hot, now)
        fill_bucket(shape, nodes, hot_section, section_id=hot_section_id, version_id=hot.v2, start=span,
                    horizon=horizon)
        spread(shape, hot, hot_total - hot_section, nodes=nodes, now=now, skip={hot_section_id})
        number_comments(b, hot, nodes)
        emit_comments(b, hot, nodes, people, pools, shape=shape)
        in_section = [n for n in nodes if n.section_id == hot_section_id]
        scenario["hot"] = {"consultation_id": hot.id, "comments": len(nodes), "section_id": hot_section_id,
                           "section_anchor": hot.anchors[hot_section_id], "section_comments": len(in_section)}
        # A deep permalink: the deepest published comment in a chain, in the section's
        # last threads (latest roots are on the last page of the default order).
        visible = {n.id for n in in_section if n.status in ("published", "withdrawn") and not n.restricted}

        def chain_visible(n: Node) -> bool:
            while n is not None:
                if n.id not in visible:
                    return False
                n = n.parent
            return True

        roots = sorted((n for n in in_section if n.parent is None and n.id in visible), key=lambda n: n.t)
        late = {r.id for r in roots[-max(1, len(roots) // 5):]}
        deep = [n for n in in_section if n.root.id in late and n.status == "published" and chain_visible(n)
                and n.depth <= 3]
        target = max(deep, key=lambda n: (n.depth, n.t)) if deep else roots[-1]
        scenario["hot"]["deep_comment_id"] = target.id
        scenario["hot"]["deep_comment_depth"] = target.depth

        # 2. One 1,000-comment thread (and 500 other comments) in another consultation.
        big = consultation("Draft decree on brokering and transit (long thread)", "KE", moderation="post",
                           open_days=45, closes_in_days=20)
        drafts.append(big)
        nodes = []
        span = (big.v2_at - big.opens_at).total_seconds()
        horizon = horizon_of(big, now)
        root = Node(t=span + 100, parent=None, section_id=big.sections_v2[0], version_id=big.v2, depth=0)
        root.root = root
        nodes.append(root)
        shape = random.Random(seed * 100 + 2)
        grow_thread(shape, nodes, root, thread_size_, chain=False, horizon=horizon)
        for node in nodes:  # the whole thread is readable by visitors
            node.restricted = False
            node.fixed = True
        spread(shape, big, thread_others, nodes=nodes, now=now)
        number_comments(b, big, nodes)
        emit_comments(b, big, nodes, people, pools, shape=shape)
        thread_nodes = [n for n in nodes if n.root is root]
        scenario["thread"] = {"consultation_id": big.id, "root_id": root.id, "comments": len(thread_nodes),
                              "max_depth": max(n.depth for n in thread_nodes)}

        # 3. The consultation the posting scenario writes into (post-moderated, open).
        post = consultation("Draft regulation on end-user certificates (posting)", "BR", moderation="post",
                            open_days=30, closes_in_days=40)
        drafts.append(post)
        nodes = []
        shape = random.Random(seed * 100 + 3)
        spread(shape, post, posting_total, nodes=nodes, now=now)
        number_comments(b, post, nodes)
        emit_comments(b, post, nodes, people, pools, shape=shape)
        scenario["posting"] = {"consultation_id": post.id, "section_id": post.sections_v2[1],
                               "version_id": post.v2, "writers": [f"bench-writer{i:02d}@example.org"
                                                                   for i in range(WRITERS)]}

        # 4. Background consultations up to N comments.
        n_background = math.ceil(background / BACKGROUND_CONSULTATION_COMMENTS) if background else 0
        summarised = [hot]
        for i in range(n_background):
            country = COUNTRIES[(i + 3) % len(COUNTRIES)]
            share = min(BACKGROUND_CONSULTATION_COMMENTS, background - i * BACKGROUND_CONSULTATION_COMMENTS)
            # every fourth opened (and got its second version) in the last days: digest events
            open_days = rng.randint(3, 12) if i % 4 == 0 else rng.randint(20, 200)
            draft = consultation(f"Draft measure {i + 1} on weapons of mass destruction controls", country,
                                 moderation="pre" if i % 3 == 2 else "post", open_days=open_days,
                                 closes_in_days=rng.randint(-open_days // 2, 60))
            drafts.append(draft)
            if i % 3 == 0:
                summarised.append(draft)
            nodes = []
            spread(rng, draft, share, nodes=nodes, now=now)
            number_comments(b, draft, nodes)
            emit_comments(b, draft, nodes, people, pools)
            if (i + 1) % 50 == 0:
                log(f"generate: built {i + 1}/{n_background} background consultations")

        discussion = len(b.rows["comment"])
        queue = add_queue_items(b, drafts, people, pools, pending)
        add_sanctions(b, people, pools)
        from sqlalchemy import inspect as inspect_db

        migrated = inspect_db(session.connection())
        has_subscriptions = migrated.has_table("digest_subscription")
        if has_subscriptions:
            add_subscriptions(b, people)
        summaries = add_summaries(b, summarised, people, seed) if migrated.has_table("summary") else None
        chain_audit(b, last_hash)
        built = time.perf_counter()
        log(f"generate: built {sum(len(r) for r in b.rows.values())} rows in {built - started:.1f}s; writing")

        timings = write(session, b, Base.metadata.tables)
        if summaries is not None:
            fill_statistics(session, summaries)
        from app.consultations import search

        consultation_rows = {r["id"]: r for r in b.rows["consultation"]}
        section_rows = {r["id"]: r for r in b.rows["section"]}
        for draft in drafts:
            row = consultation_rows[draft.id]
            sections = [SimpleNamespace(number=s["number"], heading=s["heading"], body_html=s["body_html"])
                        for s in (section_rows[i] for i in draft.sections_v2)]
            search.index_consultation(session, SimpleNamespace(
                id=draft.id, title=row["title"], summary_html=row["summary_html"],
                current_version=SimpleNamespace(sections=sections)))
        session.commit()
        if db.dialect == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        written = time.perf_counter()
        log(f"generate: wrote in {written - built:.1f}s ({', '.join(f'{k} {v}s' for k, v in timings.items())})")

    largest = max(regions, key=lambda item: len(item[1]))
    manifest = {
        "database": db_label(url),
        "dialect": "postgresql" if url.startswith("postgresql") else "sqlite",
        "seed": seed,
        "comments": {"discussion": discussion, **queue, "total": len(b.rows["comment"])},
        "rows": {name: len(rows) for name, rows in b.rows.items()},
        "consultations": len(drafts),
        "users": len(b.rows["user"]),
        "organisations": len(b.rows["organisation"]),
        "organisation_kinds": sorted({r["kind"] for r in b.rows["organisation"]}),
        "focal_points": FOCAL_POINTS,
        "largest_region": {"code": largest[0], "members": len(largest[1])},
        "not_built": ([] if has_subscriptions else ["subscriptions (the digests domain is not migrated: the 500 "
                                                    "focal points have role grants only)"])
        + ([] if summaries is not None else ["summaries (the summaries domain is not migrated)"]),
        "subscriptions": len(b.rows.get("digest_subscription", [])),
        "summaries": summary_manifest(summaries, now) if summaries is not None else None,
        "moderator": "bench-moderator@example.org",
        "password": BENCH_PASSWORD,
        "scenario": scenario,
        "seconds": round(time.perf_counter() - started, 1),
    }
    if manifest_path:
        Path(manifest_path).parent.mkdir(parents=True, exist_ok=True)
        Path(manifest_path).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    log(f"generate: done in {manifest['seconds']}s")
    return manifest


def db_label(url: str) -> str:
    """The URL without a password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=10_000, help="discussion comments (N), default 10000")
    parser.add_argument("--pending", type=int, default=10_000, help="comments awaiting moderation, on top of N")
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of the database to fill")
    parser.add_argument("--seed", type=int, default=1540)
    parser.add_argument("--reset", action="store_true", help="drop everything in the database first")
    parser.add_argument("--manifest", help="write the JSON summary here too")
    args = parser.parse_args(argv)
    manifest = generate(args.db, args.comments, pending=args.pending, seed=args.seed, reset=args.reset,
                        manifest_path=args.manifest)
    print(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    main()

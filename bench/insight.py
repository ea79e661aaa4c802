"""The insight pages at the sizes the issue names, run on their own by
``python -m bench.run --scenario insight`` (``make bench`` does not run it):

- the coverage picture of the two largest regional organisations, the OSCE
  (57 participating States) and the AU (55 members), over ``--consultations``
  (default 1,000) published consultations of their members, each with 40
  sections over 2 versions and the obligation tags of the main data set;
- the stakeholder analytics of one consultation with ``--comments`` (default
  10,000) comments (organisations of every kind, stances, languages,
  amendments, a summary with dispositions), read by a visitor (public
  figures) and by the global moderator (exact figures), and the analytics of
  the OSCE's members together.

The data set is built like ``bench.generate`` builds its own (bulk inserts,
fixed seed, the same builders). Each page's SQL queries are counted in-process
next to the same page on a small object (a regional organisation of six
members, a consultation with 30 comments): the counts must be equal. Then,
per gunicorn worker class, wrk measures each page and hello world on the
reference app; ratios compare with hello world measured in the same run.

    python -m bench.run --scenario insight                          # SQLite, 1,000 consultations, 10,000 comments
    python -m bench.run --scenario insight --db postgres --workers sync
    python -m bench.run --scenario insight --consultations 60 --comments 600 --workers sync --no-markdown  # smoke
"""

from __future__ import annotations

import html
import os
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench import BENCH_PASSWORD, bench_env

LARGEST = ("OSCE", "AU")
SMALL_REGION = "GCC"  # six members
SMALL_COMMENTS = 30


@dataclass
class Page:
    name: str
    title: str
    path: str
    small_path: str
    who: str | None = None  # "moderator": signed in as the global moderator
    queries: int = 0
    small_queries: int = 0
    bytes: int = 0


def generate_insight(url: str, *, consultations: int, comments: int, seed: int = 1540,
                     quiet: bool = False) -> dict[str, Any]:
    """Consultations of the OSCE's and the AU's members, one consultation with ``comments``
    comments and one with a few; returns the manifest."""
    from sqlalchemy import func, select

    from app.core.db import Base, db
    from app.geography.models import Obligation, Region, RegionMember
    from app.models import load_all_models
    from bench import generate as g

    started = time.perf_counter()
    log = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    g.reset_database(url)
    app = g.make_app(url)
    g.migrate_and_load(app)
    load_all_models()
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    b = g.Builder(rng, now)
    with app.app_context():
        session = db.session
        for name in g.ORDER:
            if name in Base.metadata.tables and name not in g.NO_ID:
                b.ids[name] = session.scalar(select(func.coalesce(func.max(Base.metadata.tables[name].c.id), 0)))
        from app.accounts.passwords import hash_password
        from app.consultations.diff import html_to_text, word_diff
        from app.core.sanitize import render_markdown

        members = {code: list(session.scalars(select(RegionMember.country_code)
                                              .where(RegionMember.region_code == code)
                                              .order_by(RegionMember.country_code)))
                   for code in session.scalars(select(Region.code))}
        regions = sorted((code, m) for code, m in members.items() if m)
        country_regions: dict[str, list[str]] = defaultdict(list)
        for code, countries in regions:
            for country in countries:
                country_regions[country].append(code)
        obligations = list(session.scalars(select(Obligation.code).order_by(Obligation.code)))
        body_html = [render_markdown(t) for t in g.ARTICLE_BODIES]
        amendments = {i: [(w, [[list(p) for p in para] for para in word_diff(html_to_text(body_html[i]), w)])
                          for w in g.WORDINGS] for i in range(len(g.ARTICLE_BODIES))}
        reasons = [r for (r,) in session.execute(select(Base.metadata.tables["moderation_reason"].c.id))]
        pools = {"bodies": g.comment_bodies(rng, 400), "replies": g.reply_bodies(rng, 200),
                 "amendments": amendments, "reasons": reasons or [None]}
        from app.accounts.policy_pages import current_terms_version

        b.terms_version = current_terms_version(session) or None
        people = g.build_people(b, max(300, comments // 15), hash_password(BENCH_PASSWORD), regions, g.COUNTRIES)

        def consultation(title: str, country: str, **kw: Any) -> g.Draft:
            author = people["authors"].get(country, people["admin"])
            return g.build_consultation(b, title, country, country_regions.get(country, [])[:3], obligations,
                                        body_html=body_html, author_id=author, moderation="post", **kw)

        # 1. The consultations of the two largest organisations' members: open, closed and long closed.
        states = sorted(set(members[LARGEST[0]]) | set(members[LARGEST[1]]))
        for i in range(consultations):
            open_days = rng.randint(5, 700)
            consultation(f"Draft measure {i + 1} on strategic trade controls", states[i % len(states)],
                         open_days=open_days, closes_in_days=rng.randint(-open_days + 1, 60))
        for i, country in enumerate(members[SMALL_REGION][:3]):  # the small organisation's picture has drafts too
            consultation(f"Draft regulation {i + 1} on transit controls", country, open_days=30, closes_in_days=20)
        # 2. The consultation with many comments (an OSCE participating State), and a small one.
        drafts = []
        for title, country, total in (("Draft law on strategic goods (analytics)", "AT", comments),
                                      ("Draft decree on brokering (small)", "DE", SMALL_COMMENTS)):
            draft = consultation(title, country, open_days=80, closes_in_days=10)
            nodes: list[g.Node] = []
            g.spread(rng, draft, total, nodes=nodes, now=now)
            g.number_comments(b, draft, nodes)
            g.emit_comments(b, draft, nodes, people, pools)
            drafts.append(draft)
        summaries = g.add_summaries(b, drafts[:1], people, seed)
        g.chain_audit(b, session.scalar(select(Base.metadata.tables["audit_entry"].c.hash)
                                        .order_by(Base.metadata.tables["audit_entry"].c.id.desc()).limit(1)))
        log(f"insight: built {sum(len(r) for r in b.rows.values())} rows in {time.perf_counter() - started:.1f}s")
        g.write(session, b, Base.metadata.tables)
        g.fill_statistics(session, summaries)
        session.commit()
        if db.dialect == "postgresql":
            from sqlalchemy import text

            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        db.engine.dispose()
    big, small = drafts
    return {
        "database": g.db_label(url), "dialect": "postgresql" if url.startswith("postgresql") else "sqlite",
        "consultations": len(b.rows["consultation"]), "sections": len(b.rows["section"]),
        "tags": len(b.rows["section_obligation"]) + len(b.rows["consultation_obligation"]),
        "members": {code: len(members[code]) for code in (*LARGEST, SMALL_REGION)},
        "comments": {"analytics": sum(1 for r in b.rows["comment"] if r["consultation_id"] == big.id),
                     "small": sum(1 for r in b.rows["comment"] if r["consultation_id"] == small.id)},
        "dispositions": len(b.rows["disposition"]), "organisations": len(b.rows["organisation"]),
        "big_id": big.id, "small_id": small.id, "moderator": "bench-moderator@example.org",
        "seconds": round(time.perf_counter() - started, 1),
    }


def pages(manifest: dict) -> list[Page]:
    big, small = manifest["big_id"], manifest["small_id"]
    osce, au = LARGEST
    n = manifest["comments"]["analytics"]
    return [
        Page("coverage_osce", f"Coverage picture of the OSCE ({manifest['members'][osce]} States)",
             f"/regions/{osce}/coverage", f"/regions/{SMALL_REGION}/coverage"),
        Page("coverage_au", f"Coverage picture of the AU ({manifest['members'][au]} States)",
             f"/regions/{au}/coverage", f"/regions/{SMALL_REGION}/coverage"),
        Page("coverage_au_csv", "Coverage table of the AU, CSV", f"/regions/{au}/coverage.csv",
             f"/regions/{SMALL_REGION}/coverage.csv"),
        Page("analytics", f"Analytics of a consultation with {n:,} comments (visitor, public figures)",
             f"/consultations/{big}/analytics", f"/consultations/{small}/analytics"),
        Page("analytics_exact", "Analytics of the same consultation (global moderator, exact figures)",
             f"/consultations/{big}/analytics", f"/consultations/{small}/analytics", who="moderator"),
        Page("analytics_csv", "Analytics of the same consultation, CSV", f"/consultations/{big}/analytics.csv",
             f"/consultations/{small}/analytics.csv"),
        Page("region_analytics", "Analytics of the OSCE's members together (visitor)", f"/regions/{osce}/analytics",
             f"/regions/{SMALL_REGION}/analytics"),
    ]


def count_queries(url: str, manifest: dict, measured: list[Page]) -> None:
    """In-process SQL statements per request, large and small object, as under gunicorn
    (each request outside any outer app context)."""
    from sqlalchemy import event

    from app.core.db import db
    from bench.generate import make_app
    from bench.run import CSRF

    app = make_app(url)
    engine = db.state(app).engine
    clients: dict[str | None, Any] = {None: app.test_client()}
    moderator = app.test_client()
    token = html.unescape(CSRF.search(moderator.get("/login").get_data(as_text=True)).group(1))
    response = moderator.post("/login", data={"csrf_token": token, "email": manifest["moderator"],
                                              "password": BENCH_PASSWORD})
    assert response.status_code == 302, "in-process sign-in of the moderator failed"
    clients["moderator"] = moderator
    statements: list[str] = []

    def hook(conn, cursor, statement, *args):
        statements.append(statement)

    def count(client, path: str) -> tuple[int, int]:
        client.get(path)  # warm: templates, country and language names
        statements.clear()
        event.listen(engine, "before_cursor_execute", hook)
        try:
            response = client.get(path)
            body = response.get_data()
        finally:
            event.remove(engine, "before_cursor_execute", hook)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code} in-process")
        return len(statements), len(body)

    for page in measured:
        client = clients[page.who]
        page.queries, page.bytes = count(client, page.path)
        page.small_queries, _ = count(client, page.small_path)
    engine.dispose()


def run_insight(args: Any, stamp: str) -> str:
    """Generate, count, measure; return the Markdown of the run (dated)."""
    from bench.run import RESULTS_DIR, ROOT, Browser, Server, log, measure, postgres_url

    dialect = (args.db or ["sqlite"])[0]
    (ROOT / "instance").mkdir(exist_ok=True)
    url = f"sqlite:///{ROOT / 'instance' / 'bench-insight.sqlite3'}" if dialect == "sqlite" else postgres_url(args)
    if url is None:
        raise SystemExit("--db postgres needs DATABASE_URL or --pg-url")
    load = round(os.getloadavg()[0], 2)
    when = datetime.now(UTC).isoformat(timespec="seconds")
    log(f"insight: generating {args.consultations} consultations and {args.comments[0]} comments on {dialect}")
    manifest = generate_insight(url, consultations=args.consultations, comments=args.comments[0],
                                quiet=not args.verbose)
    log(f"insight: generated in {manifest['seconds']}s: {manifest}")
    measured = pages(manifest)
    count_queries(url, manifest, measured)
    for page in measured:
        log(f"  {page.name}: {page.queries} queries (small object: {page.small_queries}), {page.bytes} bytes")
    logs = RESULTS_DIR / f"{stamp}-gunicorn.log"
    results: dict[str, dict[str, Any]] = {}
    for worker_class in args.workers:
        per: dict[str, Any] = {}
        with Server("bench.reference_app:create_app()", worker_class, {}, logs) as ref, \
                Server("wsgi:app", worker_class, bench_env(url), logs) as real:
            cookie = Browser(real.port).login(manifest["moderator"])
            per["hello"] = hello = measure(ref, "/hello", args)
            log(f"  {worker_class} hello world: {hello['rps']:.0f} req/s")
            for page in measured:
                result = measure(real, page.path, args, cookie=cookie if page.who else None)
                result["ratio_to_hello"] = round(result["rps"] / hello["rps"], 4) if hello["rps"] else None
                result["p95_vs_hello_p95"] = round(result["latency_ms"]["p95"] / hello["latency_ms"]["p95"], 2)
                per[page.name] = result
                log(f"  {worker_class} {page.name}: {result['rps']:.1f} req/s, p95 "
                    f"{result['latency_ms']['p95']:.1f} ms, errors {result['error_count']}")
        results[worker_class] = per
    m = manifest
    lines = [f"Run `python -m bench.run --scenario insight --consultations {args.consultations} --comments "
             f"{args.comments[0]}` on {when} ({os.cpu_count()} CPUs, load average before the run {load}, "
             f"wrk -t1 -c{args.connections}, {args.duration} s per page after {args.warmup} s of warm-up); "
             f"{m['dialect']}.", "",
             f"Data set: {m['consultations']:,} consultations ({m['sections']:,} sections, {m['tags']:,} obligation "
             f"tags) of the members of the OSCE ({m['members']['OSCE']}) and the AU ({m['members']['AU']}); one "
             f"consultation with {m['comments']['analytics']:,} comments ({m['dispositions']:,} dispositions, "
             f"{m['organisations']} organisations); generated in {m['seconds']} s. Small objects: the "
             f"{SMALL_REGION} ({m['members'][SMALL_REGION]} members), a consultation with {m['comments']['small']} "
             f"comments.", ""]
    for worker_class, per in results.items():
        hello = per["hello"]
        lines += [f"**gunicorn {worker_class}, 2 workers** — hello world {hello['rps']:.0f} req/s "
                  f"(p95 {hello['latency_ms']['p95']:.1f} ms).", "",
                  "| page | SQL queries (small object) | KB | req/s | p50 ms | p95 ms | p99 ms | ratio to hello | "
                  "p95 / hello p95 | peak RSS per worker (MB) | errors |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
        for page in measured:
            r = per[page.name]
            lat = r["latency_ms"]
            lines.append(f"| {page.title} | {page.queries} ({page.small_queries}) | {page.bytes / 1000:.0f} | "
                         f"{r['rps']:.1f} | {lat['p50']:.1f} | {lat['p95']:.1f} | {lat['p99']:.1f} | "
                         f"{r['ratio_to_hello']:.2%} | {r['p95_vs_hello_p95']:g} | "
                         f"{' / '.join(str(x) for x in r['peak_rss_mb'])} | {r['error_count']} |")
        lines.append("")
    bounded = all(p.queries == p.small_queries for p in measured)
    lines.append(f"SQL queries equal on the large and the small object for every page: {'yes' if bounded else 'NO'}.")
    return "\n".join(lines) + "\n"

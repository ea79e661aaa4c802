"""A few of `make bench`'s page scenarios, alone: ``python -m bench.run --only NAME ...``.

    .venv/bin/python -m bench.run --only section_signed_in thread_signed_in queue queue_filtered --workers sync

The same data set, servers, wrk load and ratios as the full run, for the named
scenarios only (hello world and the references they compare with are measured
too; ``decisions``: moderators deciding through the queue), on SQLite or on the
databases ``--db`` names; no posting, export,
digests or rate-limit check, and bench/RESULTS.md is left alone: a check while
working on a page, not a result to record.
"""

from __future__ import annotations

import argparse


def run_only(args: argparse.Namespace, stamp: str) -> str:
    from app.core.db import db
    from bench.generate import generate, make_app
    from bench.run import (
        READER,
        RESULTS_DIR,
        Browser,
        Server,
        bench_env,
        decisions_paired,
        inspect,
        log,
        measure,
        measure_paired,
        postgres_url,
        scenarios_for,
        sqlite_url,
    )

    lines = []
    runs = [(name, n) for name in (args.db or ["sqlite"]) for n in args.comments]
    for database, n in runs:
        url = sqlite_url(n) if database == "sqlite" else postgres_url(args)
        if url is None:
            raise SystemExit("PostgreSQL: no PostgreSQL URL (set DATABASE_URL or --pg-url)")
        log(f"generating {n} comments (+{args.pending} pending) on {database}")
        manifest = generate(url, n, pending=args.pending, reset=True, quiet=not args.verbose)
        app = make_app(url)
        with app.app_context():
            scenarios = [s for s in scenarios_for(manifest, db.session) if s.name in args.only]
            db.engine.dispose()
        unknown = set(args.only) - {s.name for s in scenarios} - {"decisions"}
        if unknown:
            raise SystemExit(f"no such scenario: {', '.join(sorted(unknown))}")
        inspect(url, manifest, scenarios)
        for worker_class in args.workers:
            logs = RESULTS_DIR / f"{stamp}-gunicorn.log"
            with Server("bench.reference_app:create_app()", worker_class, {}, logs) as ref, \
                    Server("wsgi:app", worker_class, bench_env(url), logs) as real:
                cookies = {"moderator": Browser(real.port).login(manifest["moderator"]),
                           "reader": Browser(real.port).login(READER)}
                hello = measure(ref, "/hello", args)
                lines.append(f"{database} {n:,} comments, gunicorn {worker_class}: hello world "
                             f"{hello['rps']:.0f} req/s (p95 {hello['latency_ms']['p95']:.1f} ms); "
                             f"{args.rounds} rounds per page, the median reported")
                for s in scenarios:
                    result = measure_paired(ref, real, s, args, cookie=cookies.get(s.who or ""), hello=hello)
                    p95 = result["latency_ms"]["p95"]
                    lines.append(
                        f"  {s.name}: {result['rps']:.1f} req/s, reference {result['reference_rps']:.1f} "
                        f"(ratio {result['ratio_to_reference']:.0%}), p50 {result['latency_ms']['p50']:.1f} ms, "
                        f"p95 {p95:.1f} ms = {result['p95_vs_hello_p95']:.1f}x hello, {s.queries} queries "
                        f"(small object {s.small_queries}), {s.comments_shown} shown, "
                        f"errors {result['error_count']}, peak RSS {' / '.join(map(str, result['peak_rss_mb']))} MB; "
                        "rounds " + ", ".join(f"{r['ratio_to_reference']:.0%} ({r['p95_vs_hello_p95']:.1f}x, "
                                              f"connections per worker {_placed(r['connections_per_worker'])} "
                                              f"and {_placed(r['reference_connections_per_worker'])})"
                                              for r in result["rounds"]))
                    log(lines[-1])
                if "decisions" in args.only:
                    d = decisions_paired(ref, real, url, manifest, args)
                    lines.append("  decisions: " + ", ".join(
                        f"{kind} p50 {d[kind]['p50']} ms, p95 {d[kind]['p95']} ms = {d[kind]['p95_vs_hello_p95']:.1f}x "
                        "hello" for kind in ("decision", "next_page"))
                        + f"; {d['decisions']} decisions, {d['errors']} errors, {d['published']} applied; rounds "
                        + ", ".join(f"{r['decision']['p95_vs_hello_p95']:.1f}x/"
                                    f"{r['next_page']['p95_vs_hello_p95']:.1f}x" for r in d["rounds"]))
                    log(lines[-1])
    return "\n".join(lines)


def _placed(counts: list[int] | None) -> str:
    return "/".join(map(str, counts)) if counts else "?"

"""Mixed-load scenarios, run on their own by ``python -m bench.run --scenario NAME``
(``make bench`` runs neither):

- ``writers-spread``: 16 writers spread over 4 open consultations, next to
  the same 16 writers in one consultation (the ``make bench`` posting figure);
- ``busy-hour``: the busiest honest hour, 40 signed-in readers (section pages
  and whole threads) and 8 writers (posting and supporting) on one open
  consultation, PostgreSQL, kept pages in Redis, two gunicorn processes.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from typing import Any

from bench.run import Browser, Server, comment_form, log, pct, post_concurrently

READERS, WRITERS = 40, 8


def open_targets(url: str, count: int) -> list[dict]:
    """Open, post-moderated consultations with a section of their current version each."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT c.id, s.id, s.version_id, s.anchor FROM consultation c "
            "JOIN draft_version v ON v.consultation_id = c.id "
            "JOIN section s ON s.version_id = v.id "
            "WHERE c.status = 'open' AND c.moderation_mode = 'post' AND c.closes_at > now() "
            "AND v.id = (SELECT max(v2.id) FROM draft_version v2 WHERE v2.consultation_id = c.id "
            "            AND v2.published_at IS NOT NULL) "
            "ORDER BY c.id, s.position")).all()
    engine.dispose()
    targets: dict[int, dict] = {}
    for cid, section_id, version_id, anchor in rows:
        targets.setdefault(cid, {"consultation_id": cid, "section_id": section_id, "version_id": version_id,
                                 "anchors": []})["anchors"].append(anchor)
    return list(targets.values())[:count]


def writers_spread(server: Server, url: str, manifest: dict, per_writer: int) -> dict:
    targets = open_targets(url, 4)
    one = post_concurrently(server, url, manifest, writers=16, per_writer=per_writer)
    log(f"  16 writers, one consultation: {one}")
    four = post_concurrently(server, url, manifest, writers=16, per_writer=per_writer, targets=targets)
    log(f"  16 writers, {len(targets)} consultations: {four}")
    return {"one_consultation": one, "spread": {**four, "consultations": [t["consultation_id"] for t in targets]}}


def _people(url: str, count: int) -> list[str]:
    """Participants without any role (readers and writers of the busy hour)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        emails = list(conn.execute(text(
            "SELECT email FROM \"user\" u WHERE status = 'active' AND email LIKE '%@example.org' "
            "AND NOT EXISTS (SELECT 1 FROM role_grant g WHERE g.user_id = u.id) "
            "AND email NOT LIKE 'bench-%' ORDER BY id LIMIT :n"), {"n": count}).scalars())
    engine.dispose()
    return emails


def _threads_and_comments(url: str, consultation_id: int, people: list[str]) -> tuple[list[int], list[int]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        roots = list(conn.execute(text(
            "SELECT root.id FROM comment root WHERE root.consultation_id = :c AND root.parent_id IS NULL "
            "AND root.status = 'published' ORDER BY (SELECT count(*) FROM comment r WHERE r.root_id = root.id) "
            "DESC LIMIT 20"), {"c": consultation_id}).scalars())
        published = list(conn.execute(text(
            "SELECT id FROM comment WHERE consultation_id = :c AND status = 'published' AND audience = 'public' "
            "AND author_id NOT IN (SELECT id FROM \"user\" WHERE email = ANY(:people)) "  # no one supports their own
            "ORDER BY id LIMIT 400"), {"c": consultation_id, "people": people}).scalars())
    engine.dispose()
    return roots, published


def redis_stats(redis_url: str) -> dict[str, int]:
    import redis

    client = redis.Redis.from_url(redis_url)
    stats = client.info("stats")
    client.close()
    return {"hits": int(stats["keyspace_hits"]), "misses": int(stats["keyspace_misses"])}


def busy_hour(servers: list[Server], url: str, seconds: float, redis_url: str) -> dict:
    target = open_targets(url, 1)[0]
    cid = target["consultation_id"]
    people = _people(url, READERS + WRITERS)
    roots, published = _threads_and_comments(url, cid, people)
    if len(people) < READERS + WRITERS:
        raise RuntimeError(f"only {len(people)} participants without roles")
    pages = {"section": [f"/consultations/{cid}/sections/{a}" for a in target["anchors"][:8]],
             "thread": [f"/consultations/{cid}/comments/{r}/thread" for r in roots]}
    post_path = f"/consultations/{cid}/comments/new"
    form_path = f"{post_path}?section={target['section_id']}"
    results: list[tuple[str, int, float, str]] = []  # (kind, status, seconds, error)
    accepted: list[str] = []
    lock = threading.Lock()
    browsers = []
    for i, email in enumerate(people):  # sign in one after the other: set-up, not measured
        browser = Browser(servers[i % len(servers)].port)  # half the people on each process
        browser.login(email)
        token = browser.csrf_token(form_path) if i >= READERS else ""
        browsers.append((browser, token))
    ready = threading.Barrier(len(browsers) + 1)
    stop = time.monotonic() + seconds + 1e9  # set when all are ready

    def record(kind: str, fn) -> tuple[int, dict]:
        started = time.perf_counter()
        try:
            status, headers, _ = fn()
            error = ""
        except Exception as exc:  # noqa: BLE001
            status, headers, error = 0, {}, f"{type(exc).__name__}: {exc}"
        with lock:
            results.append((kind, status, time.perf_counter() - started, error))
        return status, headers

    def reader(browser: Browser, seed: int) -> None:
        rng = random.Random(seed)
        ready.wait()
        while time.monotonic() < deadline[0]:
            kind = "section" if rng.random() < 0.7 else "thread"
            path = rng.choice(pages[kind])
            status, _ = record(f"read {kind}", lambda p=path: browser.request("GET", p))
            time.sleep(rng.uniform(0.0, 0.2))  # a reader pauses between pages

    def writer(browser: Browser, token: str, seed: int) -> None:
        rng = random.Random(seed)
        ready.wait()
        while time.monotonic() < deadline[0]:
            if rng.random() < 0.5:
                form = comment_form(token, {"section_id": target["section_id"], "version_id": target["version_id"]},
                                    f"Busy hour: the licensing of brokers needs a deadline ({uuid.uuid4().hex[:8]}).")
                status, _ = record("write post", lambda f=form: browser.request("POST", post_path, f))
                if 200 <= status < 400:
                    with lock:
                        accepted.append(form["idempotency_key"])
            else:
                comment_id = rng.choice(published)
                record("write support", lambda c=comment_id: browser.request(
                    "POST", f"/consultations/{cid}/comments/{c}/support", {"csrf_token": token}))
            time.sleep(rng.uniform(0.2, 1.0))  # writing takes a person longer than reading

    deadline = [stop]
    threads = [threading.Thread(target=reader, args=(b, i)) for i, (b, _t) in enumerate(browsers[:READERS])]
    threads += [threading.Thread(target=writer, args=(b, t, 1000 + i))
                for i, (b, t) in enumerate(browsers[READERS:])]
    for thread in threads:
        thread.start()
    before = redis_stats(redis_url)
    deadline[0] = time.monotonic() + seconds
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    after = redis_stats(redis_url)

    from sqlalchemy import column, create_engine, func, select, table

    engine = create_engine(url)
    comment = table("comment", column("idempotency_key"))
    with engine.connect() as conn:
        found = sum(conn.execute(select(func.count()).select_from(comment)
                                 .where(comment.c.idempotency_key.in_(accepted[i:i + 500]))).scalar_one()
                    for i in range(0, len(accepted), 500))
    engine.dispose()
    per_kind: dict[str, Any] = {}
    for kind in sorted({k for k, *_ in results}):
        rows = [r for r in results if r[0] == kind]
        lat = sorted(t * 1000 for _k, _s, t, _e in rows)
        errors = [f"{s} {e}".strip() for _k, s, _t, e in rows if not 200 <= s < 400]
        per_kind[kind] = {"requests": len(rows), "rps": round(len(rows) / elapsed, 1), "errors": len(errors),
                          "error_samples": errors[:3],
                          "latency_ms": {"p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99)}}
    hits, misses = after["hits"] - before["hits"], after["misses"] - before["misses"]
    return {"consultation_id": cid, "seconds": round(elapsed, 1), "readers": READERS, "writers": WRITERS,
            "requests": len(results), "rps": round(len(results) / elapsed, 1),
            "errors": sum(v["errors"] for v in per_kind.values()), "pages": per_kind,
            "cache": {"redis_hits": hits, "redis_misses": misses,
                      "hit_rate": round(hits / (hits + misses), 3) if hits + misses else None},
            "posts_accepted": len(accepted), "rows_found": found, "every_receipt_has_its_row": found == len(accepted)}


def run_scenario(name: str, args: Any, stamp: str) -> str:
    """Generate on PostgreSQL, run one scenario, return its Markdown (dated)."""
    import os
    from datetime import UTC, datetime

    from bench import bench_env
    from bench.generate import generate
    from bench.run import RESULTS_DIR, postgres_url

    url = postgres_url(args)
    if url is None:
        raise SystemExit("these scenarios run on PostgreSQL: set DATABASE_URL or --pg-url")
    load = round(os.getloadavg()[0], 2)
    when = datetime.now(UTC).isoformat(timespec="seconds")
    manifest = generate(url, args.comments[0], pending=args.pending, reset=True, quiet=not args.verbose)
    logs = RESULTS_DIR / f"{stamp}-gunicorn.log"
    env = bench_env(url)
    head = (f"Run `python -m bench.run --scenario {name}` on {when} (2 gunicorn workers per process, "
            f"{os.cpu_count()} CPUs, load average before the run {load}"
            + (", the machine shared with other work at the time" if load > 2 else "") + f"); PostgreSQL, "
            f"{args.comments[0]:,} comments (+{args.pending:,} pending).")
    if name == "writers-spread":
        with Server("wsgi:app", "sync", env, logs) as server:
            out = writers_spread(server, url, manifest, args.posts_per_writer)
        lines = [head, "", "| writers | consultations | posts | seconds | posts/s | p50 ms | p95 ms | p99 ms | errors "
                 "| accepted posts with their row |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for label, r in (("16, one consultation", out["one_consultation"]), ("16, spread", out["spread"])):
            where = ", ".join(map(str, r.get("consultations", [manifest["scenario"]["posting"]["consultation_id"]])))
            lat = r["latency_ms"]
            lines.append(f"| {label} | {where} | {r['posts']} | {r['seconds']} | {r['posts_per_second']} | "
                         f"{lat['p50']} | {lat['p95']} | {lat['p99']} | {r['errors']} | "
                         f"{r['rows_found']} of {r['ok']} |")
        return "\n".join(lines) + "\n"
    env = {**env, "PAGE_CACHE": "redis", "REDIS_URL": args.busy_redis_url}
    with Server("wsgi:app", "gthread", env, logs) as first, Server("wsgi:app", "gthread", env, logs) as second:
        out = busy_hour([first, second], url, args.seconds, args.busy_redis_url)
    log(f"  busy hour: {out}")
    c = out["cache"]
    lines = [head, "", f"{out['readers']} signed-in readers (70 % section pages, 30 % whole threads, 0–0.2 s between "
             f"pages) and {out['writers']} writers (half posts, half supports, 0.2–1 s apart) on consultation "
             f"{out['consultation_id']} for {out['seconds']} s; two gunicorn processes (gthread, 2 workers × 4 "
             f"threads each), kept pages and fragments in Redis ({args.busy_redis_url}): {out['requests']} "
             f"requests, {out['rps']} req/s, {out['errors']} errors.", "",
             "| requests | count | req/s | p50 ms | p95 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|---:|---:|"]
    for kind, r in out["pages"].items():
        lat = r["latency_ms"]
        lines.append(f"| {kind} | {r['requests']} | {r['rps']} | {lat['p50']} | {lat['p95']} | {lat['p99']} | "
                     f"{r['errors']}" + (f" ({'; '.join(r['error_samples'])})" if r["errors"] else "") + " |")
    lines += ["", f"Kept pages and fragments: {c['redis_hits']} Redis hits, {c['redis_misses']} misses "
              f"(hit rate {c['hit_rate']:.0%}; Redis's server-wide keyspace counters over the run). Receipts: "
              f"{out['rows_found']} of {out['posts_accepted']} accepted posts have their row "
              f"({'equal' if out['every_receipt_has_its_row'] else 'NOT equal'})."]
    return "\n".join(lines) + "\n"

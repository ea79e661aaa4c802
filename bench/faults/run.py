"""Fault drills under load, on PostgreSQL and gunicorn; figures for docs/RELIABILITY.md.

    .venv/bin/python -m bench.faults.run --db postgresql+psycopg://postgres@127.0.0.1/agora_faults

The database named by --db is WIPED and filled by bench.generate (small set).
Drills, each while 16 signed-in writers post comments through the real form:

1. ``worker-kill``: SIGKILL a gunicorn worker every few seconds;
2. ``pg-terminate``: pg_terminate_backend() of every connection to the
   database (the app's), every second — never the server itself;
3. ``double-submit``: the same form (same idempotency key) sent by 4 clients
   at once, 40 times;
4. ``backup-under-load``: ``flask backup`` in the middle of the posting,
   ``flask restore`` of it into a second database (``<name>_restored``);
5. ``mail-worker-kill``: 400 queued e-mails, the mail worker SIGKILLed
   mid-batch twice and started again, through a real SMTP server (aiosmtpd).

After each: every receipt (2xx/3xx answer) has exactly one row, no key has
two rows, every e-mail is sent once (a repeat only for a send whose commit was
killed, same Message-ID) or dead-lettered with a reason, and
``flask audit verify`` passes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, make_url, select, text

from bench import bench_env
from bench.run import RESULTS_DIR, ROOT, Browser, Server, comment_form, free_port

FLASK = str(Path(sys.executable).with_name("flask"))


def log(message: str) -> None:
    print(f"[faults {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- invariants ------------------------------------------------------------------------------

def receipts_hold(url: str, receipts: list[str], unanswered: list[str]) -> dict[str, Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows: dict[str, int] = {}
        keys = receipts + unanswered
        for i in range(0, len(keys), 500):
            for key, n in conn.execute(text(
                    "SELECT idempotency_key, count(*) FROM comment WHERE idempotency_key = ANY(:k) "
                    "GROUP BY idempotency_key"), {"k": keys[i:i + 500]}):
                rows[key] = n
        doubled = conn.execute(text("SELECT count(*) FROM (SELECT idempotency_key FROM comment WHERE "
                                    "idempotency_key IS NOT NULL GROUP BY idempotency_key "
                                    "HAVING count(*) > 1) d")).scalar_one()
    engine.dispose()
    return {
        "receipts": len(receipts),
        "receipts_without_row": sum(1 for k in receipts if rows.get(k, 0) == 0),
        "receipts_with_two_rows": sum(1 for k in receipts if rows.get(k, 0) > 1),
        "keys_with_two_rows": doubled,
        "rows_the_client_was_not_told_about": sum(1 for k in unanswered if rows.get(k, 0) > 0),
    }


def audit_verify(url: str) -> dict[str, Any]:
    result = subprocess.run([FLASK, "--app", "wsgi", "audit", "verify"], cwd=ROOT, capture_output=True,
                            text=True, env={**os.environ, **bench_env(url)}, check=False)
    return {"ok": result.returncode == 0, "output": (result.stdout + result.stderr).strip().splitlines()[:2]}


# --- load ------------------------------------------------------------------------------------

def post_under_fault(server: Server, browsers: dict[str, Browser], posting: dict, seconds: float,
                     fault: Any, every: float) -> dict[str, Any]:
    post_path = f"/consultations/{posting['consultation_id']}/comments/new"
    form_path = f"{post_path}?section={posting['section_id']}"
    receipts: list[str] = []
    unanswered: list[str] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(email: str) -> None:
        browser = browsers[email]
        token = None
        while not stop.is_set():
            try:
                token = token or browser.csrf_token(form_path)
            except Exception:  # noqa: BLE001 - the page itself failed under the fault; try again
                time.sleep(0.2)
                continue
            form = comment_form(token, posting, f"Drill post by {email}: brokering controls need a "
                                                f"licence ({uuid.uuid4().hex[:8]}).")
            try:
                status, _h, _b = browser.request("POST", post_path, form)
            except Exception:  # noqa: BLE001 - connection cut: no answer
                status = 0
            with lock:
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                (receipts if 200 <= status < 400 else unanswered).append(form["idempotency_key"])

    threads = [threading.Thread(target=writer, args=(email,)) for email in browsers]
    for thread in threads:
        thread.start()
    faults = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(every)
        faults += fault()
    stop.set()
    for thread in threads:
        thread.join()
    return {"statuses": statuses, "faults": faults, "receipts": receipts, "unanswered": unanswered}


def kill_a_worker(server: Server) -> int:
    pids = server.worker_pids()
    if not pids:
        return 0
    os.kill(random.choice(pids), signal.SIGKILL)
    return 1


def terminate_backends(url: str) -> Any:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    database = make_url(url).database

    def fault() -> int:
        with admin.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database}).all())
    return fault


def double_submit(server: Server, browsers: dict[str, Browser], posting: dict, rounds: int) -> dict[str, Any]:
    post_path = f"/consultations/{posting['consultation_id']}/comments/new"
    form_path = f"{post_path}?section={posting['section_id']}"
    email = next(iter(browsers))
    receipts: list[str] = []
    unanswered: list[str] = []
    statuses: dict[str, int] = {}
    for _ in range(rounds):
        form = comment_form(browsers[email].csrf_token(form_path), posting,
                            f"Double submit ({uuid.uuid4().hex[:8]}): the same form sent four times.")
        clients = []
        for _ in range(4):  # four tabs of the same signed-in browser, one connection each
            clone = Browser(server.port)
            clone.cookies = dict(browsers[email].cookies)
            clients.append(clone)
        barrier = threading.Barrier(len(clients))
        answers: list[int] = []

        def send(client: Browser, barrier: threading.Barrier = barrier, answers: list[int] = answers,
                 form: dict[str, str] = form) -> None:
            barrier.wait()
            try:
                answers.append(client.request("POST", post_path, form)[0])
            except Exception:  # noqa: BLE001
                answers.append(0)

        threads = [threading.Thread(target=send, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for status in answers:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        (receipts if any(200 <= s < 400 for s in answers) else unanswered).append(form["idempotency_key"])
    return {"statuses": statuses, "faults": rounds, "receipts": receipts, "unanswered": unanswered}


# --- mail ------------------------------------------------------------------------------------

def mail_worker_drill(url: str, messages: int) -> dict[str, Any]:
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    from app.core.models import OutboxMessage

    received: list[Any] = []

    class Catcher:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append(message_from_bytes(envelope.content, policy=policy.default))
            time.sleep(0.01)  # a real relay takes a moment; gives the kill a batch to cut
            return "250 accepted"

    port = free_port()
    controller = Controller(Catcher(), hostname="127.0.0.1", port=port)
    controller.start()
    engine = create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM outbox_message"))
        conn.execute(insert(OutboxMessage), [
            {"dedupe_key": f"drill-{i}", "to_address": f"reader{i}@example.org", "subject": f"Drill {i}",
             "body_text": f"Body {i}", "status": "pending", "attempts": 0, "next_attempt_at": now,
             "created_at": now} for i in range(messages)])
    env = {**os.environ, **bench_env(url), "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port),
           "OUTBOX_LEASE_SECONDS": "3"}

    def start() -> subprocess.Popen:
        return subprocess.Popen([FLASK, "--app", "wsgi", "worker", "--interval", "0.2"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def status_counts() -> dict[str, int]:
        with engine.connect() as conn:
            return dict(conn.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
                        .all())

    kills = 0
    started = time.monotonic()
    for threshold in (messages // 4, messages // 2):
        worker = start()
        while len(received) < threshold and time.monotonic() - started < 120:
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        kills += 1
    worker = start()
    while status_counts().get("pending", 0) and time.monotonic() - started < 180:
        time.sleep(0.2)
    worker.terminate()
    worker.wait(15)
    controller.stop()
    counts = status_counts()
    with engine.connect() as conn:
        dead_without_reason = conn.execute(select(func.count()).where(OutboxMessage.status == "dead")
                                           .where(OutboxMessage.last_error.is_(None))).scalar_one()
    engine.dispose()
    subjects = [m["Subject"] for m in received]
    ids: dict[str, set[str]] = {}
    for m in received:
        ids.setdefault(m["Subject"], set()).add(m["Message-ID"])
    return {
        "messages": messages, "worker_kills": kills, "seconds": round(time.monotonic() - started, 1),
        "status": counts, "received": len(subjects), "distinct_received": len(set(subjects)),
        "lost": messages - len(set(subjects)) - counts.get("dead", 0),
        "repeats": len(subjects) - len(set(subjects)),
        "repeats_with_another_message_id": sum(1 for v in ids.values() if len(v) > 1),
        "dead_without_reason": dead_without_reason,
    }


# --- backup ----------------------------------------------------------------------------------

def backup_drill(server: Server, browsers: dict[str, Browser], posting: dict, url: str, seconds: float,
                 workdir: Path) -> dict[str, Any]:
    """``flask backup`` while the writers post; ``flask restore`` into a second database."""
    env = {**os.environ, **bench_env(url), "UPLOAD_DIR": str(workdir / "uploads")}
    timings: dict[str, float] = {}

    def take_backup() -> int:
        if timings:
            return 0
        started = time.perf_counter()
        result = subprocess.run([FLASK, "--app", "wsgi", "backup", "--output-dir", str(workdir / "backups")],
                                cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        timings["backup_seconds"] = round(time.perf_counter() - started, 2)
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        return 1

    load = post_under_fault(server, browsers, posting, seconds, take_backup, every=seconds / 3)
    backup = next((workdir / "backups").iterdir())
    manifest = json.loads((backup / "manifest.json").read_text())
    restored_url = make_url(url).set(database=f"{make_url(url).database}_restored")
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{restored_url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{restored_url.database}"'))
    restored = restored_url.render_as_string(hide_password=False)
    started = time.perf_counter()
    result = subprocess.run([FLASK, "--app", "wsgi", "restore", str(backup), "--yes"], cwd=ROOT, capture_output=True,
                            text=True, check=False, env={**env, "DATABASE_URL": restored,
                                                         "UPLOAD_DIR": str(workdir / "restored-uploads")})
    timings["restore_seconds"] = round(time.perf_counter() - started, 2)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{restored_url.database}" WITH (FORCE)'))
    admin.dispose()
    receipts = load["receipts"]
    return {
        **timings, "posts_during": len(receipts) + len(load["unanswered"]), "statuses": load["statuses"],
        "dump_mb": round((backup / "database.pgdump").stat().st_size / 1e6, 1),
        "tables": len(manifest["tables"]), "rows": sum(manifest["tables"].values()),
        "comments_in_snapshot": manifest["tables"].get("comment"),
        "restore_ok": result.returncode == 0,
        "restore_output": (result.stdout + result.stderr).strip().splitlines()[-2:],
        "receipts": receipts, "unanswered": load["unanswered"],
    }


# --- main ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    from bench.generate import generate

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="PostgreSQL URL of a database to WIPE and use")
    parser.add_argument("--seconds", type=float, default=20, help="length of each load drill")
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--kill-every", type=float, default=5.0, help="seconds between gunicorn worker kills")
    args = parser.parse_args(argv)
    if not args.db.startswith("postgresql"):
        parser.error("the drills need PostgreSQL (pg_terminate_backend, several gunicorn workers)")

    log("generating a small data set (wipes the database)")
    manifest = generate(args.db, 2000, pending=200, reset=True, quiet=True)
    posting = manifest["scenario"]["posting"]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS_DIR.mkdir(exist_ok=True)
    report: dict[str, Any] = {"when": stamp, "database": "postgresql", "seconds_per_drill": args.seconds,
                              "writers": args.writers, "drills": {}}

    with Server("wsgi:app", "sync", bench_env(args.db), RESULTS_DIR / f"{stamp}-faults-gunicorn.log") as server:
        browsers = {}
        for email in posting["writers"][:args.writers]:
            browser = Browser(server.port)
            browser.login(email)
            browsers[email] = browser
        drills = {
            "worker-kill": lambda: post_under_fault(server, browsers, posting, args.seconds,
                                                    lambda: kill_a_worker(server), every=args.kill_every),
            "pg-terminate": lambda: post_under_fault(server, browsers, posting, args.seconds,
                                                     terminate_backends(args.db), every=1.0),
            "double-submit": lambda: double_submit(server, browsers, posting, rounds=40),
            "backup-under-load": lambda: backup_drill(server, browsers, posting, args.db, args.seconds,
                                                      Path(tempfile.mkdtemp(prefix="agora-faults-"))),
        }
        for name, drill in drills.items():
            log(f"drill {name}")
            result = drill()
            time.sleep(1)  # let gunicorn replace killed workers before the next drill
            outcome = receipts_hold(args.db, result.pop("receipts"), result.pop("unanswered"))
            report["drills"][name] = {**result, **outcome, "audit_verify": audit_verify(args.db)}
            log(json.dumps(report["drills"][name]))

    log("drill mail-worker-kill")
    report["drills"]["mail-worker-kill"] = {**mail_worker_drill(args.db, 400), "audit_verify": audit_verify(args.db)}
    log(json.dumps(report["drills"]["mail-worker-kill"]))

    ok = all(d.get("receipts_without_row", 0) == 0 and d.get("receipts_with_two_rows", 0) == 0
             and d.get("keys_with_two_rows", 0) == 0 and d.get("lost", 0) == 0
             and d.get("repeats_with_another_message_id", 0) == 0 and d.get("dead_without_reason", 0) == 0
             and d.get("restore_ok", True) and d["audit_verify"]["ok"] for d in report["drills"].values())
    report["invariants_hold"] = ok
    out = RESULTS_DIR / "latest-faults.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    log(f"{'all invariants hold' if ok else 'AN INVARIANT FAILED'}; report in {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

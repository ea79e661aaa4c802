"""Drive the real app under gunicorn with wrk and compare it with bare Flask.

    python -m bench.run                                  # 10^4 comments on SQLite (+ PostgreSQL, see below)
    python -m bench.run --db postgres --comments 10000 100000 --workers sync

For each database and each N: generate the data set (``bench.generate``),
count SQL queries and comments shown per page in-process (Flask test client
and a ``before_cursor_execute`` counter), then for each gunicorn worker class
(2 workers, sync and gthread) start the app and the reference app
(``bench/reference_app.py``) on loopback and, scenario by scenario, run wrk on
the reference page with the same number of comments and then on the real
page. Peak RSS per worker is read from VmHWM in /proc (reset before each
scenario). Posting is measured with 16 Python client threads. Results go to
bench/results/<stamp>.json and bench/RESULTS.md (between the markers).

Databases: ``--db sqlite`` (a file under instance/) and ``--db postgres``.
The default is SQLite, plus PostgreSQL when DATABASE_URL points to one; the
bench then uses a database of its own on that server (``agora_bench`` unless
``--pg-database``), never the one DATABASE_URL names, because it is wiped.
"""

from __future__ import annotations

import argparse
import csv
import html
import http.client
import io
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import BENCH_PASSWORD, bench_env

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
RESULTS_MD = ROOT / "bench" / "RESULTS.md"
LUA = ROOT / "bench" / "wrk" / "report.lua"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
MARK_START = "<!-- results:{name}:start (written by python -m bench.run; text outside the markers is kept) -->"
MARK_END = "<!-- results:{name}:end -->"
COMMENT_MARK = b'<article class="comment '
QUEUE_ITEM_MARK = b'name="items"'
# A participant who reads while signed in: the discussion kept for every participant, with the
# reader's own supports, actions and marks put in for each request (app/comments/kept.py).
READER = "bench-writer15@example.org"
# The comments of every consultation, as the admin (a global moderator's export).
EXPORT_PATH = "/manage/moderation/comments.csv"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

# Targets from the issue (bench/README.md).
SECTION_VS_REFERENCE = 0.60
THREAD_VS_REFERENCE = 0.50
QUEUE_P95_VS_HELLO = 10.0
SCALE_TOLERANCE = 0.20


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- HTTP with a cookie jar of our own -----------------------------------------------------
# The app's session cookie is Secure in production; plain clients would not send it
# back over http://127.0.0.1, so cookies are kept by hand.

class Browser:
    def __init__(self, port: int, timeout: float = 60) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
        headers = {"Cookie": self.cookie_header} if self.cookies else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                # gunicorn's sync workers close the connection after each response
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                if attempt:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key.strip()] = val.strip()
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def csrf_token(self, path: str) -> str:
        status, _h, data = self.request("GET", path)
        match = CSRF.search(data.decode("utf-8", "replace"))
        if status != 200 or match is None:
            raise RuntimeError(f"no form with a CSRF token at {path} (status {status})")
        return html.unescape(match.group(1))

    def login(self, email: str, password: str = BENCH_PASSWORD) -> str:
        token = self.csrf_token("/login")
        status, headers, _ = self.request("POST", "/login", {"csrf_token": token, "email": email,
                                                             "password": password, "next": ""})
        if status != 302:
            raise RuntimeError(f"sign-in of {email} failed with status {status}")
        return self.cookie_header


# --- gunicorn ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One gunicorn (2 workers) on loopback."""

    def __init__(self, spec: str, worker_class: str, env: dict[str, str], log_path: Path, *, workers: int = 2,
                 threads: int = 4) -> None:
        self.spec, self.worker_class, self.env, self.log_path = spec, worker_class, env, log_path
        self.workers, self.threads = workers, threads
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        cmd = [GUNICORN, "-w", str(self.workers), "-k", self.worker_class, "-b", f"127.0.0.1:{self.port}",
               "--chdir", str(ROOT), "--timeout", "300", "--log-level", "warning", "--graceful-timeout", "5"]
        if self.worker_class == "gthread":
            cmd += ["--threads", str(self.threads)]
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(cmd + [self.spec], cwd=ROOT, env={**os.environ, **self.env},
                                        stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.spec} exited; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                if len(self.worker_pids()) >= self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn {self.spec} did not start; see {self.log_path}")

    def __exit__(self, *exc: Any) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def reset_peaks(self) -> bool:
        """Reset VmHWM of the workers (Linux: write 5 to clear_refs)."""
        ok = True
        for pid in self.worker_pids():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                ok = False
        return ok

    def peaks_mb(self) -> list[float]:
        peaks = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                peaks.append(round(int(match.group(1)) / 1024, 1))
        return peaks

    def settle(self, timeout: float = 3.0) -> None:
        """Wait until no worker holds a connection of the run before (a gthread worker still
        answering the warm-up's last requests would leave the next run's connections to the other)."""
        deadline = time.monotonic() + timeout
        while any(self.connections_per_worker()) and time.monotonic() < deadline:
            time.sleep(0.05)

    def connections_per_worker(self) -> list[int]:
        """The client connections each worker holds now (from /proc), in worker order: a gthread
        worker keeps the keep-alive connections it accepted, so wrk's four may all be on one."""
        port = f":{self.port:04X}"
        open_sockets = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                rows = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for row in rows:
                fields = row.split()
                if fields[1].endswith(port) and fields[3] == "01":  # this server's end, established
                    open_sockets.add(f"socket:[{fields[9]}]")
        counts = []
        for pid in self.worker_pids():
            held = 0
            try:
                for fd in os.scandir(f"/proc/{pid}/fd"):
                    try:
                        held += os.readlink(fd.path) in open_sockets
                    except OSError:
                        continue
            except OSError:
                pass
            counts.append(held)
        return counts


# --- wrk ---------------------------------------------------------------------------------

def wrk(url: str, *, duration: float, connections: int, cookie: str | None = None, expected: int = 200,
        server: Server | None = None) -> dict:
    """One wrk run; with ``server``, where its connections were a second in
    (``connections_per_worker``)."""
    seconds = max(1, round(duration))
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", "-s", str(LUA)]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd += [url, "--", str(expected)]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    placed = None
    if server is not None:
        time.sleep(min(1.0, seconds / 2))
        placed = server.connections_per_worker()
    stdout, stderr = process.communicate()
    for line in stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result = json.loads(line[len("BENCH_JSON "):])
            result["error_count"] = sum(result["errors"].values()) - result["errors"]["last_unexpected"]
            result["connections_per_worker"] = placed
            return result
    raise RuntimeError(f"wrk printed no result for {url}: {stdout}\n{stderr}")


def measure(server: Server, path: str, args: argparse.Namespace, cookie: str | None = None) -> dict:
    """Warm up, reset peak RSS, run the bounded load, read the peaks."""
    wrk(server.url(path), duration=args.warmup, connections=args.connections, cookie=cookie)
    server.settle()
    reset = server.reset_peaks()
    result = wrk(server.url(path), duration=args.duration, connections=args.connections, cookie=cookie,
                 server=server)
    if result["requests"] < args.min_requests:
        # slow pages: measure longer rather than report a rate from a handful of requests
        longer = min(args.max_duration, args.duration * args.min_requests / max(1, result["requests"]))
        server.reset_peaks()
        result = wrk(server.url(path), duration=longer, connections=args.connections, cookie=cookie, server=server)
    result["peak_rss_mb"] = server.peaks_mb()
    result["peak_rss_reset"] = reset
    return result


# --- scenarios -----------------------------------------------------------------------------

@dataclass
class Scenario:
    name: str
    title: str
    path: str
    who: str | None = None  # "moderator" / "admin": signed-in pages
    reference: str = "list"  # "list": the Jinja reference with as many comments; "hello"
    comments_shown: int = 0
    queries: int = 0
    bytes: int = 0
    small_path: str | None = None  # the same page on a small object, to show queries do not grow
    small_queries: int | None = None


def median_round(rounds: list[dict], key: Callable[[dict], float]) -> dict:
    """A copy of the median of ``rounds`` by ``key`` (the upper one of an even number)."""
    return dict(sorted(rounds, key=key)[len(rounds) // 2])


def measure_paired(ref: Server, real: Server, scenario: Scenario, args: argparse.Namespace, *,
                   cookie: str | None, hello: dict) -> dict:
    """The page and what it is compared with, measured in turn, ``args.rounds`` times: each round
    the reference (the reference page with as many comments, or hello world for a page compared
    with it), then the page. The machine's speed drifts (the same reference page answered 365 and
    697 req/s in one run, finding 11 of bench/RESULTS.md), so a ratio holds only between two
    measurements taken side by side. The round reported is the median one by the scenario's
    target (the ratio to the reference page, or the p95 against hello world's of the same round);
    errors are summed over the rounds and peak RSS is the highest of them. ``hello``: the run's
    hello world, for the p95 of a page compared with a reference page."""
    path = f"/comments/{scenario.comments_shown}" if scenario.reference == "list" else "/hello"
    rounds = []
    for _ in range(max(1, args.rounds)):
        reference = measure(ref, path, args)
        result = measure(real, scenario.path, args, cookie=cookie)
        base = reference if scenario.reference == "hello" else hello
        result["reference_rps"] = reference["rps"]
        result["reference_connections_per_worker"] = reference["connections_per_worker"]
        result["ratio_to_reference"] = round(result["rps"] / reference["rps"], 3) if reference["rps"] else None
        result["p95_vs_hello_p95"] = round(result["latency_ms"]["p95"] / base["latency_ms"]["p95"], 2)
        rounds.append(result)
    target = "p95_vs_hello_p95" if scenario.reference == "hello" else "ratio_to_reference"
    chosen = median_round(rounds, lambda r: r[target] or 0)
    chosen["error_count"] = sum(r["error_count"] for r in rounds)
    chosen["peak_rss_mb"] = [max(peaks) for peaks in zip(*(r["peak_rss_mb"] for r in rounds), strict=False)]
    chosen["rounds"] = [{"rps": r["rps"], "reference_rps": r["reference_rps"], "p95_ms": r["latency_ms"]["p95"],
                         "ratio_to_reference": r["ratio_to_reference"], "p95_vs_hello_p95": r["p95_vs_hello_p95"],
                         "connections_per_worker": r["connections_per_worker"],
                         "reference_connections_per_worker": r["reference_connections_per_worker"]}
                        for r in rounds]
    return chosen


def scenarios_for(manifest: dict, session) -> list[Scenario]:
    """The pages to measure, with a small counterpart of each found in the database."""
    from sqlalchemy import func, select

    from app.comments.models import Comment

    hot, thread, posting = manifest["scenario"]["hot"], manifest["scenario"]["thread"], manifest["scenario"]["posting"]
    c = hot["consultation_id"]
    # a small section and a small thread (the same pages with few comments)
    small_section = session.execute(
        select(Comment.section_id, func.count()).where(Comment.consultation_id == posting["consultation_id"],
                                                       Comment.section_id.is_not(None),
                                                       Comment.version_id == posting["version_id"],
                                                       Comment.status == "published")
        .group_by(Comment.section_id).order_by(func.count(), Comment.section_id).limit(1)).first()
    from app.consultations.models import Section

    small_anchor = session.get(Section, small_section[0]).anchor if small_section else "article-1"
    readable_roots = select(Comment.id).where(Comment.consultation_id == c, Comment.parent_id.is_(None),
                                              Comment.status == "published", Comment.audience == "public")
    small_root = session.execute(
        select(Comment.root_id, func.count()).where(Comment.consultation_id == c, Comment.status == "published",
                                                    Comment.audience == "public", Comment.root_id.in_(readable_roots))
        .group_by(Comment.root_id).having(func.count() >= 3).order_by(func.count(), Comment.root_id).limit(1)
    ).first()
    small_thread = small_root[0] if small_root else thread["root_id"]
    from flask import current_app

    largest = manifest["largest_region"]["code"]
    coverage = [Scenario("coverage", f"Coverage map of the largest regional organisation ({largest})",
                         f"/regions/{largest}/coverage", reference="hello")] \
        if any(r.rule == "/regions/<code>/coverage" for r in current_app.url_map.iter_rules()) else []
    return [
        Scenario("overview", "Consultation page, 2,000 comments (draft-as-a-whole window)", f"/consultations/{c}",
                 small_path=f"/consultations/{posting['consultation_id']}"),
        Scenario("section", "Section discussion, default window (visitor)",
                 f"/consultations/{c}/sections/{hot['section_anchor']}",
                 small_path=f"/consultations/{posting['consultation_id']}/sections/{small_anchor}"),
        Scenario("section_signed_in", "Section discussion, default window, signed in (kept, the reader's parts put in)",
                 f"/consultations/{c}/sections/{hot['section_anchor']}", who="reader",
                 small_path=f"/consultations/{posting['consultation_id']}/sections/{small_anchor}"),
        Scenario("permalink", "Deep permalink (the page it lands on)",
                 f"/consultations/{c}/comments/{hot['deep_comment_id']}"),
        Scenario("thread", "Whole thread of 1,000 comments on one page (visitor)",
                 f"/consultations/{thread['consultation_id']}/comments/{thread['root_id']}/thread",
                 small_path=f"/consultations/{c}/comments/{small_thread}/thread"),
        Scenario("thread_signed_in", "Whole thread of 1,000 comments, signed in (kept, the reader's parts put in)",
                 f"/consultations/{thread['consultation_id']}/comments/{thread['root_id']}/thread", who="reader",
                 small_path=f"/consultations/{c}/comments/{small_thread}/thread"),
        Scenario("queue", "Moderation queue, first page", "/manage/moderation/", who="moderator", reference="hello",
                 small_path=f"/manage/moderation/?consultation={posting['consultation_id']}"),
        Scenario("queue_filtered", "Moderation queue, filtered (one consultation, newest first)",
                 f"/manage/moderation/?consultation={c}&sort=newest", who="moderator", reference="hello"),
        *coverage,
    ]


def inspect(url: str, manifest: dict, scenarios: list[Scenario]) -> dict:
    """In-process: SQL queries per request and comments shown, for each scenario."""
    from sqlalchemy import event

    from app.core.db import db
    from bench.generate import make_app

    app = make_app(url)
    # Requests run outside any outer app context, as under gunicorn: each gets its own
    # session and its own flask.g (an outer context would share both between requests).
    engine = db.state(app).engine
    clients: dict[str | None, Any] = {None: app.test_client()}
    for who, email in (("moderator", manifest["moderator"]), ("admin", "bench-admin@example.org"),
                       ("reader", READER)):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = html.unescape(CSRF.search(page).group(1))
        response = client.post("/login", data={"csrf_token": token, "email": email, "password": BENCH_PASSWORD})
        assert response.status_code == 302, f"in-process sign-in of {email} failed"
        clients[who] = client

    statements: list[str] = []

    def hook(conn, cursor, statement, *args):
        statements.append(statement)

    def count(client, path: str) -> tuple[int, Any]:
        client.get(path)  # warm: templates, country names
        statements.clear()
        event.listen(engine, "before_cursor_execute", hook)
        try:
            response = client.get(path)
            response.get_data()  # a streamed body (the CSV export) runs its queries while it is read
        finally:
            event.remove(engine, "before_cursor_execute", hook)
        return len(statements), response

    for scenario in scenarios:
        client = clients[scenario.who]
        if scenario.name == "permalink":
            response = client.get(scenario.path)
            assert response.status_code == 302, response.status_code
            location = response.headers["Location"]
            scenario.path = urllib.parse.urlsplit(location)._replace(scheme="", netloc="", fragment="").geturl()
        queries, response = count(client, scenario.path)
        if response.status_code != 200:
            raise RuntimeError(f"{scenario.path} answered {response.status_code} in-process")
        scenario.queries = queries
        scenario.bytes = len(response.data)
        scenario.comments_shown = response.data.count(QUEUE_ITEM_MARK if scenario.who == "moderator"
                                                      else COMMENT_MARK)
        if scenario.small_path:
            scenario.small_queries, small = count(client, scenario.small_path)
            if small.status_code != 200:
                log(f"  {scenario.small_path} answered {small.status_code}: no small-object count for {scenario.name}")
                scenario.small_queries = None
    extra = {}
    # posting: one comment through the form, as a writer
    writer = app.test_client()
    page = writer.get("/login").get_data(as_text=True)
    writer.post("/login", data={"csrf_token": html.unescape(CSRF.search(page).group(1)),
                                "email": manifest["scenario"]["posting"]["writers"][0], "password": BENCH_PASSWORD})
    posting = manifest["scenario"]["posting"]
    form_path = f"/consultations/{posting['consultation_id']}/comments/new?section={posting['section_id']}"
    token = html.unescape(CSRF.search(writer.get(form_path).get_data(as_text=True)).group(1))
    statements.clear()
    event.listen(engine, "before_cursor_execute", hook)
    try:
        response = writer.post(f"/consultations/{posting['consultation_id']}/comments/new",
                               data=comment_form(token, posting, "In-process query count of one post."))
    finally:
        event.remove(engine, "before_cursor_execute", hook)
    extra["post_queries"] = len(statements)
    extra["post_status"] = response.status_code
    queries, response = count(clients["admin"], EXPORT_PATH)
    if response.status_code != 200:
        raise RuntimeError(f"{EXPORT_PATH} answered {response.status_code} in-process")
    extra["export_queries"] = queries
    engine.dispose()
    return extra


def comment_form(token: str, posting: dict, body: str) -> dict[str, str]:
    return {"csrf_token": token, "body": body, "kind": "comment", "stance": "", "audience": "public",
            "organisation_id": "", "language": "en", "section_id": str(posting["section_id"]), "parent_id": "",
            "version_id": str(posting["version_id"]), "idempotency_key": uuid.uuid4().hex}


def run_together(threads: list[threading.Thread], ready: threading.Barrier) -> float:
    """Start the client threads, release them at once (each waits on ``ready``, as does this
    one) and return the seconds until the last one is done."""
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def post_concurrently(server: Server, url: str, manifest: dict, *, writers: int, per_writer: int,
                      targets: list[dict] | None = None) -> dict:
    """16 writers post at once through the real form; every 2xx/3xx must have its row.
    ``targets`` (consultation, section, version each) spreads the writers over several
    consultations, writer i on target i mod len; default the posting consultation."""
    from sqlalchemy import column, create_engine, func, select, table

    targets = targets or [manifest["scenario"]["posting"]]
    mine = {email: targets[i % len(targets)] for i, email in enumerate(manifest["scenario"]["posting"]["writers"])}
    results: list[tuple[int, str, float, str]] = []
    lock = threading.Lock()
    ready = threading.Barrier(writers + 1)
    errors: list[str] = []

    # Sign in one after the other (set-up, not what is measured): concurrent sign-ins
    # on SQLite are a separate finding (bench/RESULTS.md).
    browsers: dict[str, tuple[Browser, str]] = {}
    for email in manifest["scenario"]["posting"]["writers"][:writers]:
        browser = Browser(server.port)
        browser.login(email)
        target = mine[email]
        browsers[email] = (browser, browser.csrf_token(
            f"/consultations/{target['consultation_id']}/comments/new?section={target['section_id']}"))

    def writer(email: str, n: int) -> None:
        browser, token = browsers[email]
        posting = mine[email]
        post_path = f"/consultations/{posting['consultation_id']}/comments/new"
        ready.wait()
        for i in range(n):
            form = comment_form(token, posting, f"Bench post {i} by {email}: the licensing of brokers needs a "
                                                f"deadline ({uuid.uuid4().hex[:8]}).")
            started = time.perf_counter()
            try:
                status, _headers, _ = browser.request("POST", post_path, form)
                error = ""
            except Exception as exc:  # noqa: BLE001
                status, error = 0, f"{type(exc).__name__}: {exc}"
            with lock:
                results.append((status, form["idempotency_key"], time.perf_counter() - started, error))

    elapsed = run_together([threading.Thread(target=writer, args=(email, per_writer))
                            for email in manifest["scenario"]["posting"]["writers"][:writers]], ready)
    ok = [key for status, key, _t, _e in results if 200 <= status < 400]
    failed = [(status, error) for status, _k, _t, error in results if not 200 <= status < 400]
    engine = create_engine(url)
    comment = table("comment", column("idempotency_key"))
    with engine.connect() as conn:
        found = 0
        for i in range(0, len(ok), 500):
            found += conn.execute(select(func.count()).select_from(comment)
                                  .where(comment.c.idempotency_key.in_(ok[i:i + 500]))).scalar_one()
    engine.dispose()
    latencies = sorted(t * 1000 for _s, _k, t, _e in results)
    return {
        "writers": writers, "posts": len(results), "ok": len(ok), "errors": len(failed) + len(errors),
        "error_samples": (errors + [f"{s} {e}" for s, e in failed])[:5], "rows_found": found,
        "every_ok_has_its_row": found == len(ok), "seconds": round(elapsed, 2),
        "posts_per_second": round(len(results) / elapsed, 1) if elapsed else None,
        "latency_ms": {"p50": pct(latencies, 50), "p95": pct(latencies, 95), "p99": pct(latencies, 99)},
    }


ITEM = re.compile(r'name="items" value="(\d+):(\d+)"')
BULK_ACTION = re.compile(r'<form method="post" action="([^"]+)" id="bulk-form">')


def decide_in_turn(server: Server, url: str, manifest: dict, *, moderators: int, decisions: int) -> dict:
    """Moderators approve the first item of their queue and read the next page, again and again,
    through the real forms: ``moderators`` sessions of the bench moderator at once, each on the
    queue of one consultation (so that two of them never decide the same item). The decision
    (the POST) and the next page (the GET it redirects to) are timed apart; every accepted
    decision must have left its comment published."""
    from sqlalchemy import column, create_engine, func, select, table

    consultations = sorted({c["consultation_id"] for c in (manifest["scenario"]["hot"],
                                                           manifest["scenario"]["posting"])})
    consultations += [i for i in range(1, manifest["consultations"] + 1) if i not in consultations]
    lock = threading.Lock()
    timings: dict[str, list[float]] = {"decision": [], "next_page": []}
    decided: list[int] = []
    failures: list[str] = []
    sessions = []
    for k in range(moderators):
        browser = Browser(server.port)
        browser.login(manifest["moderator"])
        sessions.append((browser, f"/manage/moderation/?consultation={consultations[k % len(consultations)]}"))
    ready = threading.Barrier(moderators + 1)

    def timed(kind: str, browser: Browser, method: str, path: str, form: dict | None = None):
        started = time.perf_counter()
        status, headers, data = browser.request(method, path, form)
        with lock:
            timings[kind].append((time.perf_counter() - started) * 1000)
        return status, headers, data

    def moderator(browser: Browser, queue: str) -> None:
        ready.wait()
        status, _h, data = timed("next_page", browser, "GET", queue)
        for _ in range(decisions):
            page = data.decode("utf-8", "replace")
            item, token, action = ITEM.search(page), CSRF.search(page), BULK_ACTION.search(page)
            if status != 200 or item is None or token is None or action is None:
                with lock:
                    failures.append(f"queue page {status}, {'an item' if item else 'no item'}")
                return
            form = {"csrf_token": html.unescape(token.group(1)), "items": f"{item.group(1)}:{item.group(2)}",
                    "action": "approve", "reason_id": "", "reason_text": ""}
            status, headers, _ = timed("decision", browser, "POST", html.unescape(action.group(1)), form)
            if status != 302:
                with lock:
                    failures.append(f"decision {status}")
                return
            with lock:
                decided.append(int(item.group(1)))
            location = urllib.parse.urlsplit(headers.get("location", queue))
            status, _h, data = timed("next_page", browser, "GET",
                                     location.path + (f"?{location.query}" if location.query else ""))

    elapsed = run_together([threading.Thread(target=moderator, args=one) for one in sessions], ready)
    engine = create_engine(url)
    comment = table("comment", column("id"), column("status"))
    with engine.connect() as conn:
        published = conn.execute(select(func.count()).select_from(comment).where(
            comment.c.id.in_(decided), comment.c.status == "published")).scalar_one() if decided else 0
    engine.dispose()
    result = {"moderators": moderators, "decisions": len(decided), "errors": len(failures),
              "error_samples": failures[:5], "published": published,
              "every_decision_applied": published == len(decided), "seconds": round(elapsed, 2)}
    for kind, values in timings.items():
        values.sort()
        result[kind] = {"p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99)}
    return result


def decisions_paired(ref: Server, real: Server, url: str, manifest: dict, args: argparse.Namespace) -> dict:
    """Moderators deciding (``decide_in_turn``) ``args.rounds`` times, each time just after hello
    world (as ``measure_paired``); the median round by the larger of its two p95 ratios is
    reported, with the figures of every round. Decisions, errors and applied decisions are
    counted over all the rounds."""
    rounds = []
    for _ in range(max(1, args.rounds)):
        hello_p95 = measure(ref, "/hello", args)["latency_ms"]["p95"]
        d = decide_in_turn(real, url, manifest, moderators=2, decisions=args.decisions)
        d["hello_p95_ms"] = hello_p95
        for kind in ("decision", "next_page"):
            p95 = d[kind]["p95"]
            d[kind]["p95_vs_hello_p95"] = round(p95 / hello_p95, 2) if p95 is not None else float("inf")
        rounds.append(d)
    chosen = median_round(rounds, lambda d: max(d["decision"]["p95_vs_hello_p95"], d["next_page"]["p95_vs_hello_p95"]))
    for key in ("decisions", "errors", "published"):
        chosen[key] = sum(d[key] for d in rounds)
    chosen["error_samples"] = [sample for d in rounds for sample in d["error_samples"]][:5]
    chosen["every_decision_applied"] = all(d["every_decision_applied"] for d in rounds)
    chosen["rounds"] = [{"hello_p95_ms": d["hello_p95_ms"], "seconds": d["seconds"],
                         **{kind: d[kind] for kind in ("decision", "next_page")}} for d in rounds]
    return chosen


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
    return round(values[index], 1)


def export_comments(server: Server, cookie: str) -> dict:
    """The CSV of every comment of every consultation, downloaded as the admin: time, size, peak memory."""
    server.reset_peaks()
    browser = Browser(server.port, timeout=600)
    browser.cookies = dict(part.split("=", 1) for part in cookie.split("; "))
    started = time.perf_counter()
    status, _headers, data = browser.request("GET", EXPORT_PATH)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"{EXPORT_PATH} answered {status}")
    # Parsed, not line-counted: comment bodies hold line breaks.
    rows = sum(1 for _row in csv.reader(io.StringIO(data.decode("utf-8-sig")))) - 1
    return {"path": EXPORT_PATH, "status": status, "rows": rows, "bytes": len(data),
            "seconds": round(elapsed, 2), "peak_rss_mb": server.peaks_mb()}


def build_digests(url: str, sample: int) -> dict:
    """Time the digest build (``queue_due_digests``) in-process for ``sample`` of the focal points."""
    try:
        from app.digests import services as digests
    except ImportError:
        return {"skipped": "the digests domain is not built yet"}
    from app.core.db import db
    from bench.generate import make_app

    app = make_app(url)
    with app.app_context():
        from sqlalchemy import inspect as inspect_db

        if not inspect_db(db.engine).has_table("digest_subscription"):
            return {"skipped": "the digests domain is not migrated yet"}
        recipients = len(digests.focal_point_ids(db.session))
        started = time.perf_counter()
        report = digests.queue_due_digests(db.session, progress=lambda ids: ids[:sample])
        elapsed = time.perf_counter() - started
        db.engine.dispose()
    built = report.created + report.empty + report.existing
    return {"focal_points": recipients, "sample": built, "created": report.created, "empty": report.empty,
            "existing": report.existing, "seconds": round(elapsed, 2),
            "seconds_per_recipient": round(elapsed / built, 3) if built else None,
            "estimated_seconds_for_all": round(elapsed / built * recipients, 1) if built else None}


# --- one database, one N ---------------------------------------------------------------------

def run_one(url: str, comments: int, args: argparse.Namespace, stamp: str) -> dict:
    from bench.generate import db_label, generate

    log(f"generating {comments} comments (+{args.pending} pending) on {db_label(url)}")
    manifest = generate(url, comments, pending=args.pending, reset=True, quiet=not args.verbose)
    log(f"generated in {manifest['seconds']}s: {manifest['comments']}")

    from app.core.db import db
    from bench.generate import make_app

    app = make_app(url)
    with app.app_context():
        scenarios = scenarios_for(manifest, db.session)
        db.engine.dispose()
    extra = inspect(url, manifest, scenarios)
    for s in scenarios:
        log(f"  {s.name}: {s.comments_shown} comments shown, {s.queries} queries"
            + (f" (small object: {s.small_queries})" if s.small_queries is not None else ""))

    run: dict[str, Any] = {
        "database": manifest["database"], "dialect": manifest["dialect"], "comments": comments,
        "manifest": {k: manifest[k] for k in ("comments", "rows", "consultations", "users", "organisations",
                                              "largest_region", "not_built", "scenario", "seconds")},
        "scenarios": {s.name: {"title": s.title, "path": s.path, "who": s.who, "comments_shown": s.comments_shown,
                               "queries": s.queries, "bytes": s.bytes, "small_path": s.small_path,
                               "small_queries": s.small_queries, "reference": s.reference} for s in scenarios},
        "post_queries": extra["post_queries"], "export_queries": extra["export_queries"],
        "worker_classes": {},
    }
    env = bench_env(url)
    for worker_class in args.workers:
        log(f"gunicorn {worker_class}, 2 workers")
        logs = RESULTS_DIR / f"{stamp}-gunicorn.log"
        per: dict[str, Any] = {"reference": {}, "scenarios": {}}
        with Server("bench.reference_app:create_app()", worker_class, {}, logs) as ref, \
                Server("wsgi:app", worker_class, env, logs) as real:
            cookies = {"moderator": Browser(real.port).login(manifest["moderator"]),
                       "admin": Browser(real.port).login("bench-admin@example.org"),
                       "reader": Browser(real.port).login(READER)}
            per["reference"]["hello"] = measure(ref, "/hello", args)
            log(f"  hello world: {per['reference']['hello']['rps']:.0f} req/s, "
                f"p95 {per['reference']['hello']['latency_ms']['p95']:.1f} ms")
            for s in scenarios:
                result = measure_paired(ref, real, s, args, cookie=cookies.get(s.who or ""),
                                        hello=per["reference"]["hello"])
                if s.reference == "list":
                    per["reference"].setdefault(f"list_{s.comments_shown}", {"rps": result["reference_rps"]})
                per["scenarios"][s.name] = result
                log(f"  {s.name}: {result['rps']:.1f} req/s (reference {result['reference_rps']:.1f}, "
                    f"ratio {result['ratio_to_reference']}), p95 {result['latency_ms']['p95']:.1f} ms, "
                    f"errors {result['error_count']}, peak RSS {result['peak_rss_mb']} MB; rounds "
                    + ", ".join(f"{r['rps']:.0f}/{r['reference_rps']:.0f}" for r in result["rounds"]))
            for n in (100, 1000):  # the ceilings DESIGN.md quotes, for comparison
                if f"list_{n}" not in per["reference"]:
                    per["reference"][f"list_{n}"] = measure(ref, f"/comments/{n}", args)
            per["export"] = export_comments(real, cookies["admin"])
            log(f"  comments CSV export: {per['export']['rows']} rows, {per['export']['bytes'] / 1e6:.1f} MB "
                f"in {per['export']['seconds']}s, peak RSS {per['export']['peak_rss_mb']} MB")
            real.reset_peaks()
            per["posting"] = post_concurrently(real, url, manifest, writers=16, per_writer=args.posts_per_writer)
            per["posting"]["peak_rss_mb"] = real.peaks_mb()
            log(f"  posting: {per['posting']}")
            per["decisions"] = decisions_paired(ref, real, url, manifest, args)
            log(f"  decisions: {per['decisions']}")
        run["worker_classes"][worker_class] = per
    run["digests"] = build_digests(url, args.digest_sample)
    log(f"  digests: {run['digests']}")
    return run


# --- databases ---------------------------------------------------------------------------------

def sqlite_url(comments: int) -> str:
    path = ROOT / "instance" / f"bench-{comments}.sqlite3"
    path.parent.mkdir(exist_ok=True)
    return f"sqlite:///{path}"


def postgres_url(args: argparse.Namespace) -> str | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = args.pg_url or os.environ.get("DATABASE_URL") or ""
    if not base.startswith("postgresql"):
        return None
    url = make_url(base)
    target = url.set(database=args.pg_database)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": args.pg_database}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{args.pg_database}"'))
    admin.dispose()
    return target.render_as_string(hide_password=False)


# --- rate limits across processes ------------------------------------------------------------

def rate_limit_check(args: argparse.Namespace, stamp: str) -> dict:
    """Two gunicorn processes against one Redis: the registration limit per client
    address holds across both. The same with memory storage shows why Redis is
    needed. (Sign-in is paced by its own throttle in the database, shared by
    every process whatever the storage.)"""
    try:
        import redis
    except ImportError:
        return {"skipped": "the redis package is not installed"}
    redis_url = args.redis_url
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=1)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return {"skipped": f"Redis not reachable at {redis_url}: {exc}"}
    url = sqlite_url(0).replace("bench-0", "bench-ratelimit")
    from bench.generate import make_app, migrate_and_load, reset_database

    reset_database(url)
    migrate_and_load(make_app(url))
    limit = 6
    out: dict[str, Any] = {"limit": f"{limit} registrations per hour", "redis_url": redis_url}
    for storage in ("redis", "memory"):
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        env = {**bench_env(url), "RATELIMIT_ENABLED": "true", "RATELIMIT_REGISTER": f"{limit} per hour"}
        if storage == "redis":
            env["REDIS_URL"] = redis_url
        spec = f"app:create_app(RATELIMIT_KEY_PREFIX={prefix!r})"
        logs = RESULTS_DIR / f"{stamp}-gunicorn.log"
        with Server(spec, "sync", env, logs, workers=1) as first, Server(spec, "sync", env, logs, workers=1) as second:
            statuses = []
            for i in range(2 * limit + 2):
                server = (first, second)[i % 2]
                browser = Browser(server.port)
                token = browser.csrf_token("/register")
                status, _h, _b = browser.request("POST", "/register", {"csrf_token": token,
                                                                       "email": f"{prefix}-{i}@example.org"})
                statuses.append(status)
        refused = statuses.count(429)
        out[storage] = {"statuses": statuses, "accepted_attempts": len(statuses) - refused, "refused": refused,
                        "limit_holds_across_processes": len(statuses) - refused <= limit}
        if storage == "redis":
            for key in client.scan_iter(match=f"*{prefix}*"):
                client.delete(key)
    client.close()
    return out


# --- reporting ---------------------------------------------------------------------------------

def targets(report: dict) -> list[dict]:
    found = []
    for run in report["runs"]:
        where = f"{run['dialect']} {run['comments']:,}"
        sc = run["scenarios"]
        grows = [name for name, s in sc.items()
                 if s["small_queries"] is not None and s["small_queries"] != s["queries"]]
        found.append({"target": "SQL queries per page do not depend on the number of comments", "where": where,
                      "value": ", ".join(f"{n} {s['small_queries']}→{s['queries']}" for n, s in sc.items()
                                         if s["small_queries"] is not None),
                      "met": not grows})
        for wc, per in run["worker_classes"].items():
            s = per["scenarios"]
            found.append({"target": f"section page ≥ {SECTION_VS_REFERENCE:.0%} of the reference",
                          "where": f"{where} {wc}",
                          "value": f"{s['section']['ratio_to_reference']:.0%}",
                          "met": s["section"]["ratio_to_reference"] >= SECTION_VS_REFERENCE})
            found.append({"target": f"1,000-comment thread ≥ {THREAD_VS_REFERENCE:.0%} of the reference",
                          "where": f"{where} {wc}", "value": f"{s['thread']['ratio_to_reference']:.0%}",
                          "met": s["thread"]["ratio_to_reference"] >= THREAD_VS_REFERENCE})
            for name, label, floor in (("section_signed_in", "section page, signed in,", SECTION_VS_REFERENCE),
                                       ("thread_signed_in", "1,000-comment thread, signed in,", THREAD_VS_REFERENCE)):
                if name in s:
                    found.append({"target": f"{label} ≥ {floor:.0%} of the reference", "where": f"{where} {wc}",
                                  "value": f"{s[name]['ratio_to_reference']:.0%}",
                                  "met": s[name]["ratio_to_reference"] >= floor})
            for name, label in (("queue", "queue first page"), ("queue_filtered", "filtered queue")):
                if name in s:
                    found.append({"target": f"{label} p95 < {QUEUE_P95_VS_HELLO:g}× hello-world p95",
                                  "where": f"{where} {wc}", "value": f"{s[name]['p95_vs_hello_p95']:g}×",
                                  "met": s[name]["p95_vs_hello_p95"] < QUEUE_P95_VS_HELLO})
            d = per.get("decisions")
            if d:
                worst = max(d["decision"]["p95_vs_hello_p95"], d["next_page"]["p95_vs_hello_p95"])
                found.append({"target": f"a decision and the next page each p95 < {QUEUE_P95_VS_HELLO:g}× hello-world "
                                        "p95, every decision applied", "where": f"{where} {wc}",
                              "value": f"{d['decision']['p95_vs_hello_p95']:g}× and "
                                       f"{d['next_page']['p95_vs_hello_p95']:g}×, {d['errors']} errors, "
                                       f"{d['published']}/{d['decisions']} applied",
                              "met": worst < QUEUE_P95_VS_HELLO and d["errors"] == 0 and d["every_decision_applied"]})
            p = per["posting"]
            found.append({"target": "posting: zero errors, every 2xx/3xx has its row", "where": f"{where} {wc}",
                          "value": f"{p['errors']} errors, {p['rows_found']}/{p['ok']} rows",
                          "met": p["errors"] == 0 and p["every_ok_has_its_row"]})
    for comparison in report.get("scale", []):
        found.append({"target": f"at {comparison['large']:,} no page worse than at {comparison['small']:,} by > 20 %",
                      "where": f"{comparison['dialect']} {comparison['worker_class']}",
                      "value": ", ".join(f"{k} {v:+.0%}" for k, v in comparison["change"].items()),
                      "met": all(v >= -SCALE_TOLERANCE for v in comparison["change"].values())})
    return found


def scale_comparisons(runs: list[dict]) -> list[dict]:
    """Ratio to the reference at the larger N against the smallest N, per database and worker class."""
    out = []
    by_db: dict[str, list[dict]] = {}
    for run in runs:
        by_db.setdefault(run["dialect"], []).append(run)
    for dialect, group in by_db.items():
        group.sort(key=lambda r: r["comments"])
        base = group[0]
        for other in group[1:]:
            for wc in other["worker_classes"]:
                if wc not in base["worker_classes"]:
                    continue
                a, b = base["worker_classes"][wc]["scenarios"], other["worker_classes"][wc]["scenarios"]
                change = {}
                for name in a:
                    if a[name]["ratio_to_reference"] and b[name]["ratio_to_reference"]:
                        change[name] = round(b[name]["ratio_to_reference"] / a[name]["ratio_to_reference"] - 1, 3)
                out.append({"dialect": dialect, "worker_class": wc, "small": base["comments"],
                            "large": other["comments"], "change": change,
                            "queries": {name: [base["scenarios"][name]["queries"], other["scenarios"][name]["queries"]]
                                        for name in base["scenarios"] if name in other["scenarios"]}})
    return out


def percent(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    return f"{ratio:.1%}" if ratio < 0.1 else f"{ratio:.0%}"


def markdown(report: dict) -> str:
    lines = [f"Run `{report['command']}` on {report['started']} ({report['machine']['cpus']} CPUs, load average "
             f"before the run {report['machine']['load_before']}, Python {report['machine']['python']}, "
             f"wrk -t1 -c{report['settings']['connections']}, {report['settings']['duration']} s per measurement "
             f"after {report['settings']['warmup']} s of warm-up). Ratios compare with the reference app measured "
             f"in the same run, on the same gunicorn settings"
             + (f": each page {report['settings']['rounds']} times, each time just after its reference (the "
                "reference page with as many comments, or hello world), and the median round is reported"
                if report["settings"].get("rounds", 1) > 1 else "") + ".", ""]
    for run in report["runs"]:
        m = run["manifest"]
        lines += [f"### {run['dialect']}, {run['comments']:,} comments", "",
                  f"Data set: {m['comments']['total']:,} comments ({m['comments']['discussion']:,} in discussions, "
                  f"{m['comments']['pending']:,} pending, {m['comments']['held']:,} held, {m['comments']['flagged']:,} "
                  f"flagged), {m['consultations']} consultations, {m['users']:,} users, {m['organisations']} "
                  f"organisations, {m['rows'].get('comment_support', 0):,} supports, "
                  f"{m['rows'].get('audit_entry', 0):,} audit entries; generated in {m['seconds']} s.", ""]
        for wc, per in run["worker_classes"].items():
            ref = per["reference"]
            lines += [f"**gunicorn {wc}, 2 workers** — hello world {ref['hello']['rps']:.0f} req/s "
                      f"(p95 {ref['hello']['latency_ms']['p95']:.1f} ms); Jinja reference: "
                      + ", ".join(f"{k[5:]} comments {v['rps']:.1f} req/s" for k, v in sorted(
                          ((k, v) for k, v in ref.items() if k.startswith("list_")), key=lambda kv: int(kv[0][5:])))
                      + ".", "",
                      "| scenario | comments shown | SQL queries | req/s | p50 ms | p95 ms | p99 ms | "
                      "reference req/s | "
                      "ratio | p95 / hello p95 | peak RSS per worker (MB) | errors |",
                      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
            for name, result in per["scenarios"].items():
                s = run["scenarios"][name]
                lat = result["latency_ms"]
                lines.append(f"| {s['title']} | {s['comments_shown']} | {s['queries']} | {result['rps']:.1f} | "
                             f"{lat['p50']:.1f} | {lat['p95']:.1f} | {lat['p99']:.1f} | {result['reference_rps']:.1f} "
                             f"({'hello' if s['reference'] == 'hello' else str(s['comments_shown']) + ' comments'}) | "
                             f"{percent(result['ratio_to_reference'])} | {result['p95_vs_hello_p95']:g} | "
                             f"{' / '.join(str(x) for x in result['peak_rss_mb'])} | {result['error_count']} |")
            p, e = per["posting"], per["export"]
            lines += ["", f"Posting, {p['writers']} concurrent writers through the real form: {p['posts']} posts in "
                          f"{p['seconds']} s ({p['posts_per_second']}/s), p50 {p['latency_ms']['p50']} ms, p95 "
                          f"{p['latency_ms']['p95']} ms, p99 {p['latency_ms']['p99']} ms; {p['errors']} errors; "
                          f"{p['rows_found']} of {p['ok']} accepted posts have their row; {run['post_queries']} SQL "
                          f"queries per post; peak RSS {' / '.join(str(x) for x in p['peak_rss_mb'])} MB."
                          + (f" Errors: {p['error_samples']}" if p["errors"] else ""),
                      "", export_line(e, run["export_queries"]), ""]
            if per.get("decisions"):
                lines[-1:-1] = ["", decisions_line(per["decisions"])]
    if report.get("scale"):
        lines += ["### Scale: ratio to the reference at the larger N compared with the smaller", "",
                  "| database | workers | N | " + " | ".join(report["scale"][0]["change"]) + " |",
                  "|---|---|---|" + "---:|" * len(report["scale"][0]["change"])]
        for c in report["scale"]:
            lines.append(f"| {c['dialect']} | {c['worker_class']} | {c['small']:,} → {c['large']:,} | "
                         + " | ".join(f"{v:+.0%}" for v in c["change"].values()) + " |")
        lines.append("")
        for c in report["scale"]:
            lines.append(f"SQL queries per page ({c['dialect']}), {c['small']:,} → {c['large']:,} comments: "
                         + ", ".join(f"{name} {a}→{b}" for name, (a, b) in c["queries"].items()) + ".")
        lines.append("")
    rl = report.get("rate_limits")
    if rl:
        if "skipped" in rl:
            lines += [f"Rate limits across processes: skipped ({rl['skipped']}).", ""]
        else:
            lines += [f"Rate limits across processes: two gunicorn processes, sign-in limit {rl['limit']}, "
                      f"{len(rl['redis']['statuses'])} failed sign-ins for one account sent alternately to both. "
                      f"With Redis ({rl.get('redis_url', DEFAULT_REDIS_URL)}): "
                      f"{rl['redis']['accepted_attempts']} answered, "
                      f"{rl['redis']['refused']} refused with 429 — the limit holds across both processes: "
                      f"{'yes' if rl['redis']['limit_holds_across_processes'] else 'NO'}. With memory storage: "
                      f"{rl['memory']['accepted_attempts']} answered — each process counts on its own.", ""]
    for run in report["runs"]:
        d = run.get("digests") or {}
        where = f"{run['dialect']} {run['comments']:,}"
        if "skipped" in d:
            lines += [f"Digest build ({where}): not measured — {d['skipped']}.", ""]
        elif d:
            lines += [f"Digest build ({where}, in-process `queue_due_digests`, HTML + text + PDF per recipient): "
                      f"{d['sample']} of {d['focal_points']} focal points in {d['seconds']} s "
                      f"({d['seconds_per_recipient']} s each; "
                      f"{d['created']} digests created, {d['empty']} with nothing to report) — about "
                      f"{d['estimated_seconds_for_all']} s for all of them.", ""]
    missing = []
    if any("path" not in per["export"] for run in report["runs"] for per in run["worker_classes"].values()):
        missing.append("a CSV export of comments")  # results recorded before it existed
    if not any("coverage" in run["scenarios"] for run in report["runs"]):
        missing.insert(0, "the coverage map of the largest regional organisation")
    if missing:
        lines += ["Not measured because the feature is not built yet: " + ", ".join(missing) + ".", ""]
    lines += ["### Targets", "", "| target | where | value | met |", "|---|---|---|---|"]
    for t in report["targets"]:
        lines.append(f"| {t['target']} | {t['where']} | {t['value']} | {'yes' if t['met'] else '**no**'} |")
    return "\n".join(lines) + "\n"


def decisions_line(d: dict) -> str:
    def timing(kind: str) -> str:
        t = d[kind]
        return f"p50 {t['p50']} ms, p95 {t['p95']} ms ({t['p95_vs_hello_p95']:g}× hello p95), p99 {t['p99']} ms"
    rounds = d.get("rounds", [d])
    within = (f" ({len(rounds)} rounds, each just after hello world; the median round: {d['decisions'] // len(rounds)}"
              f" decisions in {d['seconds']} s)" if len(rounds) > 1 else f" in {d['seconds']} s")
    return (f"Moderators deciding, {d['moderators']} at once through the queue's form (approve the first item, "
            f"then the next page): {d['decisions']} decisions{within}; the decision {timing('decision')}; "
            f"the next page {timing('next_page')}; {d['errors']} errors; {d['published']} of {d['decisions']} "
            f"decided comments published." + (f" Errors: {d['error_samples']}" if d["errors"] else ""))


def export_line(e: dict, queries: int) -> str:
    peak = " / ".join(str(x) for x in e["peak_rss_mb"])
    if "path" not in e:  # results recorded before the comments export existed
        return (f"Audit CSV export (stand-in: there is no comments export yet): {e['rows']:,} rows, "
                f"{e['bytes'] / 1e6:.1f} MB in {e['seconds']} s, {queries} SQL queries, peak RSS {peak} MB.")
    return (f"Comments CSV export of every consultation (`{e['path']}`, as the admin, streamed): {e['rows']:,} "
            f"rows, {e['bytes'] / 1e6:.1f} MB in {e['seconds']} s, {queries} SQL queries, peak RSS per worker "
            f"{peak} MB.")


def write_results_md(text: str, name: str) -> None:
    """Replace one named section of bench/RESULTS.md (added at the end if missing)."""
    start, end = MARK_START.format(name=name), MARK_END.format(name=name)
    current = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else "# Bench results\n"
    if start not in current:
        current += f"\n{start}\n{end}\n"
    before, rest = current.split(start, 1)
    after = rest.split(end, 1)[1] if end in rest else "\n"
    RESULTS_MD.write_text(f"{before}{start}\n{text}{end}{after}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, nargs="+", default=[10_000], help="N, one or more (default 10000)")
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--db", nargs="+", choices=("sqlite", "postgres"), default=None,
                        help="default: sqlite, and postgres when DATABASE_URL is a PostgreSQL URL")
    parser.add_argument("--pg-url", help="a PostgreSQL server URL (default: DATABASE_URL)")
    parser.add_argument("--pg-database", default="agora_bench", help="database the bench creates and wipes")
    parser.add_argument("--workers", nargs="+", choices=("sync", "gthread"), default=["sync", "gthread"])
    parser.add_argument("--duration", type=float, default=4.0, help="seconds of load per measurement")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3,
                        help="each page and its reference are measured in turn this many times (median reported)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--min-requests", type=int, default=16,
                        help="measure longer (up to --max-duration) when fewer requests complete")
    parser.add_argument("--max-duration", type=float, default=40.0)
    parser.add_argument("--posts-per-writer", type=int, default=20)
    parser.add_argument("--decisions", type=int, default=25, help="decisions per moderator (two at once)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--digest-sample", type=int, default=50,
                        help="focal points whose digest build is timed (all 500: --digest-sample 500)")
    parser.add_argument("--no-rate-limit-check", action="store_true")
    parser.add_argument("--no-markdown", action="store_true", help="do not rewrite bench/RESULTS.md")
    parser.add_argument("--section", default="make-bench",
                        help="the marked section of bench/RESULTS.md this run rewrites")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--scenario", choices=("writers-spread", "busy-hour", "insight"),
                        help="run only this scenario and write its own section of bench/RESULTS.md: a mixed "
                             "load on PostgreSQL (bench/load.py), or the insight pages (bench/insight.py)")
    parser.add_argument("--consultations", type=int, default=1_000,
                        help="consultations of the OSCE's and AU's members in the insight scenario")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the busy-hour scenario")
    parser.add_argument("--busy-redis-url", default="redis://127.0.0.1:6379/14",
                        help="Redis for kept pages in the busy-hour scenario")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="measure only these page scenarios on SQLite (e.g. section_signed_in queue), "
                             "print them and record nothing (bench/quick.py)")
    parser.add_argument("--render", metavar="JSON",
                        help="only rewrite the --section of bench/RESULTS.md from a results file, measuring nothing")
    args = parser.parse_args(argv)
    if args.render:
        report = json.loads(Path(args.render).read_text(encoding="utf-8"))
        report["targets"] = targets(report)
        write_results_md(markdown(report), args.section)
        log(f"bench/RESULTS.md section {args.section!r} rewritten from {args.render}")
        return 0

    # SIGTERM (make interrupted, CI time-out) stops the gunicorn processes on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.scenario == "insight":
        from bench.insight import run_insight

        if shutil.which("wrk") is None:
            print("wrk is not installed: run `bash scripts/system_deps.sh bench` (Debian package wrk)", file=sys.stderr)
            return 2
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        text = run_insight(args, datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
        print(text)
        if not args.no_markdown:
            write_results_md(text, "insight")
        return 0
    if args.scenario:  # Python clients only: no wrk needed
        from bench.load import run_scenario

        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        text = run_scenario(args.scenario, args, datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
        print(text)
        if not args.no_markdown:
            write_results_md(text, args.scenario)
        return 0
    if shutil.which("wrk") is None:
        print("wrk is not installed: run `bash scripts/system_deps.sh bench` (Debian package wrk)", file=sys.stderr)
        return 2
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if args.only:
        from bench.quick import run_only

        print(run_only(args, stamp))
        return 0
    databases = args.db or (["sqlite", "postgres"] if (args.pg_url or os.environ.get("DATABASE_URL", "")
                                                       ).startswith("postgresql") else ["sqlite"])
    report: dict[str, Any] = {
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load_before": round(os.getloadavg()[0], 2),
                    "python": platform.python_version(), "platform": platform.platform()},
        "settings": {"duration": args.duration, "warmup": args.warmup, "rounds": args.rounds,
                     "connections": args.connections,
                     "workers": 2, "threads_gthread": 4},
        "runs": [],
    }
    report["command"] = report["command"].strip()
    started = time.perf_counter()
    for name in databases:
        for n in args.comments:
            url = sqlite_url(n) if name == "sqlite" else postgres_url(args)
            if url is None:
                log("PostgreSQL: no PostgreSQL URL (set DATABASE_URL or --pg-url); skipped")
                continue
            report["runs"].append(run_one(url, n, args, stamp))
    report["scale"] = scale_comparisons(report["runs"])
    if not args.no_rate_limit_check:
        report["rate_limits"] = rate_limit_check(args, stamp)
        log(f"rate limits: {report['rate_limits']}")
    report["targets"] = targets(report)
    report["seconds"] = round(time.perf_counter() - started, 1)
    path = RESULTS_DIR / f"{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if not args.no_markdown:  # the summary kept in git goes with the RESULTS.md it produced
        (RESULTS_DIR / f"latest-{args.section}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    text = markdown(report)
    print(text)
    if not args.no_markdown:
        write_results_md(text, args.section)
    log(f"done in {report['seconds']}s; results in {path.relative_to(ROOT)}"
        + ("" if args.no_markdown else " and bench/RESULTS.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

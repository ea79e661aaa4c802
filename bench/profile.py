"""Profile one page in-process with pyinstrument, on a database the generator filled.

    python -m bench.profile --db sqlite:///instance/bench-10000.sqlite3 /consultations/1/sections/article-5
    python -m bench.profile --db URL --as bench-moderator@example.org /manage/moderation/
    python -m bench.profile --db URL --as bench-moderator@example.org --decide /manage/moderation/?consultation=1

Requests run outside any outer app context, as under gunicorn. Prints the
CPU time per request (``time.process_time``, which a loaded machine does not
inflate the way it inflates wall time) and pyinstrument's call tree.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import statistics
import time
from collections.abc import Callable

from bench import BENCH_PASSWORD


def main(argv: list[str] | None = None) -> None:
    from pyinstrument import Profiler

    from bench.generate import make_app
    from bench.run import CSRF

    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--db", required=True)
    parser.add_argument("--as", dest="email", help="sign in as this bench account first")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--sql", action="store_true", help="print the statements one request runs, then stop")
    parser.add_argument("--decide", action="store_true",
                        help="the path is a review queue: time approving its first item (the POST alone)")
    parser.add_argument("--plain", action="store_true",
                        help="with --decide: time without the profiler (CPU and wall per request, median)")
    parser.add_argument("--after-decision", action="store_true",
                        help="with --decide: time the queue page that follows each decision instead")
    args = parser.parse_args(argv)

    client = make_app(args.db).test_client()
    if args.email:
        token = html.unescape(CSRF.search(client.get("/login").get_data(as_text=True)).group(1))
        response = client.post("/login", data={"csrf_token": token, "email": args.email, "password": BENCH_PASSWORD})
        assert response.status_code == 302, "sign-in failed"
    response = client.get(args.path)
    assert response.status_code == 200, "the page does not answer 200"
    if args.decide:
        _profile_decisions(client, args.path, args.repeat, after=args.after_decision, plain=args.plain,
                           sql=args.sql)
        return
    if args.sql:
        for _ in range(args.repeat):  # PostgreSQL prepares a statement after its fifth run on a connection
            client.get(args.path)
        _print_statements(client, lambda: client.get(args.path))
        return
    cpu = time.process_time()
    for _ in range(args.repeat):
        client.get(args.path)
    cpu_ms = (time.process_time() - cpu) / args.repeat * 1000
    shown = response.data.count(b'<article class="comment ')
    print(f"{cpu_ms:.1f} ms of CPU per request without the profiler ({shown} comments shown)")
    if shown:
        from bench.reference_app import create_app as create_reference

        reference = create_reference().test_client()
        reference.get(f"/comments/{shown}")
        cpu = time.process_time()
        for _ in range(args.repeat):
            reference.get(f"/comments/{shown}")
        ref_ms = (time.process_time() - cpu) / args.repeat * 1000
        print(f"{ref_ms:.1f} ms for the reference app listing {shown} comments: "
              f"the page reaches {ref_ms / cpu_ms:.0%} of it")
    started = time.perf_counter()
    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(args.repeat):
            client.get(args.path)
    print(f"{(time.perf_counter() - started) / args.repeat * 1000:.1f} ms per request (profiled)")
    print(profiler.output_text(unicode=True, color=False))


def _profile_decisions(client, queue: str, repeat: int, *, after: bool = False, plain: bool = False,
                       sql: bool = False) -> None:
    """Approve the queue's first item ``repeat`` times through its bulk form, as the bench's
    deciding scenario does; the CPU and the profile cover the decisions, or with ``after``
    the queue page each decision leads to. With ``sql``, after the ``repeat`` decisions, the
    statements of one more decision (or of the page after it) are printed instead."""
    from pyinstrument import Profiler

    from bench.run import BULK_ACTION, CSRF, ITEM

    def next_form() -> tuple[str, dict]:
        page = client.get(queue).get_data(as_text=True)
        item, token, action = ITEM.search(page), CSRF.search(page), BULK_ACTION.search(page)
        assert item and token and action, "the queue offers nothing to decide"
        return html.unescape(action.group(1)), {
            "csrf_token": html.unescape(token.group(1)), "items": f"{item.group(1)}:{item.group(2)}",
            "action": "approve", "reason_id": "", "reason_text": ""}

    profiler = Profiler(interval=0.0005)
    cpu: list[float] = []
    wall: list[float] = []
    in_database: list[tuple[int, float]] = []
    for _ in range(repeat):
        action, form = next_form()
        if after:
            assert client.post(action, data=form).status_code == 302
        started, started_wall = time.process_time(), time.perf_counter()
        if plain:
            with _database_time(client) as spent:
                response = client.get(queue) if after else client.post(action, data=form)
            in_database.append(spent)
        else:
            with profiler:
                response = client.get(queue) if after else client.post(action, data=form)
        cpu.append(time.process_time() - started)
        wall.append(time.perf_counter() - started_wall)
        assert response.status_code == (200 if after else 302), f"the request answered {response.status_code}"
    if sql:
        action, form = next_form()
        if after:
            assert client.post(action, data=form).status_code == 302
            _print_statements(client, lambda: client.get(queue))
        else:
            _print_statements(client, lambda: client.post(action, data=form))
        return
    what = "page after a decision" if after else "decision"
    if plain:
        print(f"per {what}, median of {repeat}: {statistics.median(cpu) * 1000:.1f} ms of CPU, "
              f"{statistics.median(wall) * 1000:.1f} ms of wall time, of which "
              f"{statistics.median(ms for _n, ms in in_database):.1f} ms waiting on the database "
              f"({statistics.median(n for n, _ms in in_database):g} statements and the commit)")
        return
    print(f"{sum(cpu) / repeat * 1000:.1f} ms of CPU per {what} (profiled)")
    print(profiler.output_text(unicode=True, color=False))


@contextlib.contextmanager
def _database_time(client):
    """Yields ``[statements, ms]``, filled in on exit: the statements the block sent and the wall
    time spent in the driver on them and on the commits (the round trips and the server's work)."""
    from sqlalchemy import event

    from app.core.db import db

    with client.application.app_context():
        engine = db.engine
    spent = [0, 0.0]
    started: list[float] = []

    def begin(*_args):
        started.append(time.perf_counter())

    def end(*_args):
        spent[0] += 1
        spent[1] += (time.perf_counter() - started.pop()) * 1000

    hooks = [("before_cursor_execute", begin), ("after_cursor_execute", end)]
    for name, hook in hooks:
        event.listen(engine, name, hook)
    commit = _timed_commits(engine, spent)
    try:
        yield spent
    finally:
        commit()
        for name, hook in hooks:
            event.remove(engine, name, hook)


def _timed_commits(engine, spent: list) -> Callable[[], None]:
    """Time each DBAPI commit of ``engine``'s pool into ``spent[1]``; returns the undo."""
    dialect = engine.dialect
    original = dialect.do_commit

    def do_commit(dbapi_connection):
        started = time.perf_counter()
        try:
            original(dbapi_connection)
        finally:
            spent[1] += (time.perf_counter() - started) * 1000

    dialect.do_commit = do_commit

    def undo() -> None:
        dialect.do_commit = original
    return undo


def _print_statements(client, request) -> None:
    """Each statement the request ``request()`` sends, in order, with its wall time."""
    from sqlalchemy import event

    from app.core.db import db

    with client.application.app_context():
        engine = db.engine
    seen: list[tuple[str, float]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, (time.perf_counter() - conn.info.pop("bench_started")) * 1000))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    request()
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    for number, (statement, ms) in enumerate(seen, 1):
        print(f"-- {number}: {ms:.2f} ms\n{statement}\n")
    print(f"{len(seen)} statements")


if __name__ == "__main__":
    main()

"""The agent console's pages and the employee's "my tickets", counted per request: statements,
Python function calls (cProfile) and CPU time (``time.process_time`` around the request), on a
schema kept by ``bench.incidents --keep``; ``--explain`` splits one request's server time into
its statements (each one's ``EXPLAIN (ANALYZE, BUFFERS)``: time and buffers) and the rest
(Python). These measures hardly depend on the machine's load, so two checkouts can be compared
on a busy box (run this file from each in turn, alternately).

    python -m bench.queue_pages --schema S --incidents 1000000 --repeat 30
    python -m bench.queue_pages --schema S --incidents 1000000 --explain   # SQL vs Python
    python -m bench.queue_pages --schema S --incidents 1000000 --wall      # median / p95 ms
    python -m bench.queue_pages --schema S --incidents 1000000 --profile 25 --only P2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text

from bench._postgres import ROOT, app_on_schema
from bench.incident_page import Counter, Send, measure, sending, show_profile
from bench.incidents import client_of, next_link, timed, uptime

AGENT = 10_001
EVERYTHING = "/incidents/?view=all&sort=opened&direction=desc"


def requests(app: Any, incidents: int) -> dict[str, Callable[[int], Send]]:
    """The bench's queue pages (``bench.incidents``) and "my tickets" of the busiest caller."""
    from app.extensions import db
    from app.tickets.paging import OFFSET_CAP

    with app.app_context():
        caller = db.session.scalar(
            text("SELECT caller_id FROM tickets GROUP BY caller_id ORDER BY count(*) DESC LIMIT 1")
        )
    deep = max(1, incidents // 25 // 2)
    numbered = min(deep, OFFSET_CAP // 25)
    agent, employee = client_of(app, AGENT), client_of(app, caller)
    urls = {
        "queue, open P2 by priority, page 1": "/incidents/?view=open&priority=2&sort=priority",
        "queue, my group's unassigned": "/incidents/?view=unassigned&sort=opened&direction=desc",
        f"queue, everything by opened, page {numbered} typed": f"{EVERYTHING}&page={numbered}",
        f"queue, page {deep} typed": f"{EVERYTHING}&page={deep}",
        f'queue, page {deep} by "next"': next_link(app, AGENT, deep - 1),
    }
    chosen = {name: (lambda _n, u=url: sending(agent, u)) for name, url in urls.items()}
    chosen["employee's my tickets"] = lambda _n: sending(employee, "/incidents/mine")
    return chosen


class Timed(Counter):
    """:class:`Counter`'s engine hooks, keeping each statement's parameters and round trip
    (ms) in ``timed``."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.timed: list[tuple[str, Any, float]] = []
        self.started = 0.0

    def __enter__(self) -> Timed:
        super().__enter__()
        event.listen(self.engine, "after_cursor_execute", self.after)
        return self

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        event.remove(self.engine, "after_cursor_execute", self.after)

    def before(self, *_args: Any) -> None:
        self.started = time.perf_counter()

    def after(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_a: Any) -> None:
        spent = (time.perf_counter() - self.started) * 1000
        self.timed.append((statement, parameters, spent))


def explain(app: Any, prepare: Callable[[int], Send], repeat: int) -> None:
    """The request's wall time and its statements' round trips (medians of ``repeat``), then
    each statement's plan: execution time, planning time and shared buffers."""
    from app.extensions import db

    for n in range(3):
        prepare(-1 - n)()
    walls, sql, counts = [], [], []
    with Timed(app) as timed:
        for n in range(repeat):
            send = prepare(n)
            timed.timed.clear()
            started = time.perf_counter()
            send()
            walls.append((time.perf_counter() - started) * 1000)
            sql.append(sum(spent for *_s, spent in timed.timed))
            counts.append(len(timed.timed))
        last = list(timed.timed)
    wall, in_sql = statistics.median(walls), statistics.median(sql)
    print(
        f"  request {wall:.1f} ms (median of {repeat}), statements {in_sql:.1f} ms "
        f"({statistics.median(counts):.0f}), the rest (Python) {wall - in_sql:.1f} ms"
    )
    with app.app_context():
        connection = db.session.connection().connection.driver_connection
        for number, (statement, parameters, spent) in enumerate(last, start=1):
            short = " ".join(statement.split())
            if not short.upper().startswith(("SELECT", "WITH")):
                print(f"  {number}. {spent:.2f} ms round trip: {short[:100]}")
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}", parameters)
                plan = cursor.fetchone()[0][0]
            top = plan["Plan"]
            buffers = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
            print(
                f"  {number}. {spent:.2f} ms round trip, execution {plan['Execution Time']:.2f} "
                f"ms, planning {plan['Planning Time']:.2f} ms, {buffers} buffers, "
                f"{top['Node Type']}: {short[:140]}"
            )
        db.session.rollback()


def run(app: Any, name: str, prepare: Callable[[int], Send], args: argparse.Namespace) -> None:
    """One request in the mode asked for (the load-independent counts by default)."""
    if args.explain or args.profile:
        print(f"== {name}")
        if args.explain:
            explain(app, prepare, args.repeat)
        else:
            show_profile(app, prepare, args.repeat, args.profile)
        return
    if args.wall:
        median, p95, statements = timed(app, args.repeat, prepare)
        print(f"{name}: median {median:.1f} ms, p95 {p95:.1f} ms, {statements:.0f} statements")
        return
    got = measure(app, prepare, args.repeat)
    calls, cpu = f"{got['calls']:,.0f} function calls", f"CPU {got['cpu_ms']:.1f} ms (median)"
    print(f"{name}: {got['statements']:.0f} statements, {calls}, {cpu}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", required=True, help="a schema kept by bench.incidents")
    parser.add_argument("--only", default="", help="the requests whose name contains this")
    for number, default in (("--incidents", 100_000), ("--repeat", 30), ("--profile", 0)):
        parser.add_argument(number, type=int, default=default)  # --profile N: the top N
    for mode in ("--explain", "--wall"):  # SQL vs Python; median and p95 wall time
        parser.add_argument(mode, action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    app = app_on_schema(args.schema)
    load = uptime()
    for name, prepare in requests(app, args.incidents).items():
        if args.only in name:
            run(app, name, prepare, args)
    print(f"load average before / after: {load} / {uptime()}")
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()

"""The CPU, SQL statements and Python calls of each request of the locust mix, one at a time
through the test client: load-independent figures behind the load run (issue 20).

    python -m bench.request_cpu --schema dg_load20c_prof --seed        # migrate, load the demo
    python -m bench.request_cpu --schema dg_load20c_prof --repeat 10   # measure
    python -m bench.request_cpu --schema dg_load20c_prof --profile "POST /incidents/[n]/comment"

The application is built as ``bench.load_two_nodes`` builds its nodes (production settings,
PostgreSQL schema ``--schema``, the outbox on a throwaway ``redis-server``, so a write enqueues
its RQ jobs and nothing is delivered here). An agent, an employee and that employee's manager
(``bench/locustfile.py``'s people) sign in, then each request of the mix runs ``--repeat``
times after one warm-up: the page reads as ``bench/locustfile.py`` sends them and every write
posted from its form (a work note, a reported problem, an order, an approval of that order).
Printed per request: the median CPU time of this process (``time.process_time``: the desk's
Python, not PostgreSQL's), SQL statements, and Python function calls (cProfile's count, on a
run of its own). ``--profile NAME`` prints the cProfile of one more run of that request,
heaviest cumulative time first.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bench._postgres import ROOT
from bench.incidents import throwaway_redis, uptime
from bench.load_mix import employees_and_managers, form_on
from bench.load_two_nodes import environment, prepare

INCIDENT = re.compile(r'href="/incidents/(INC\d+)"')
APPROVAL = re.compile(r'href="/requests/approvals/(\d+)"')
ITEM = re.compile(r'href="/requests/catalog/(\d+)"[^>]*>\s*Software installation')
PASSWORD = "deskgraph-demo"


class Mix:
    """The requests of ``bench/locustfile.py`` as test-client calls, by name."""

    def __init__(self, app: Any, employee: str, manager: str) -> None:
        self.agent = self._signed_in(app, "agent")
        self.employee = self._signed_in(app, employee)
        self.manager = self._signed_in(app, manager)
        self.pages: dict[str, str] = {}

    @staticmethod
    def _signed_in(app: Any, username: str) -> Any:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        fields = form_on(page, "/login", "/login")
        fields.update(username=username, password=PASSWORD)
        answer = client.post("/login", data=fields)
        if answer.status_code != 302:
            raise SystemExit(f"{username} could not sign in ({answer.status_code})")
        return client

    def requests(self) -> dict[str, Callable[[], Any]]:
        """Each request: a callable that prepares nothing and sends exactly it."""
        return {
            "GET /incidents/?view=open": lambda: self.get(self.agent, "/incidents/?view=open"),
            "GET /incidents/[n] (agent)": lambda: self.get(self.agent, self.incident_url()),
            "GET /search?q=printer": lambda: self.get(self.agent, "/search?q=printer"),
            "POST /incidents/[n]/comment": self.work_note,
            "GET /incidents/mine": lambda: self.get(self.employee, "/incidents/mine"),
            "GET /incidents/report": lambda: self.get(self.employee, "/incidents/report"),
            "POST /incidents/report": self.report,
            "GET /requests/catalog": lambda: self.get(self.employee, "/requests/catalog"),
            "GET /requests/catalog/[id]": lambda: self.get(self.employee, self.item_url()),
            "POST /requests/catalog/[id]": self.order,
            "GET /requests/approvals": lambda: self.get(self.manager, "/requests/approvals"),
            "POST /requests/approvals/[id]/decide": self.decide,
        }

    def get(self, client: Any, url: str) -> str:
        answer = client.get(url)
        if answer.status_code != 200:
            raise SystemExit(f"GET {url}: {answer.status_code}")
        return str(answer.get_data(as_text=True))

    def incident_url(self) -> str:
        if "incident" not in self.pages:
            console = self.get(self.agent, "/incidents/?view=open")
            self.pages["incident"] = f"/incidents/{INCIDENT.findall(console)[0]}"
        return self.pages["incident"]

    def item_url(self) -> str:
        if "item" not in self.pages:
            found = ITEM.search(self.get(self.employee, "/requests/catalog"))
            assert found, "the demo's Software installation is not in the catalog"
            self.pages["item"] = f"/requests/catalog/{found[1]}"
        return self.pages["item"]

    # Writes: the form is read before the clock starts (``prepare``), then posted.
    def prepare(self, name: str) -> None:
        if name == "POST /incidents/[n]/comment":
            url = self.incident_url()
            form = form_on(self.get(self.agent, url), f"{url}/comment", url)
            self.pages["comment"] = form | {"body": "Checked with the user; looking at the logs."}
        elif name == "POST /incidents/report":
            form = form_on(
                self.get(self.employee, "/incidents/report"),
                "/incidents/report",
                "/incidents/report",
            )
            self.pages["report"] = form | {"short_description": "Printer does not work"}
            self.pages["report"] |= {"urgency": "3"}
        elif name == "POST /requests/catalog/[id]":
            url = self.item_url()
            form = form_on(self.get(self.employee, url), url, url)
            self.pages["order"] = form | {"lines-0-reason": "Needed for the quarterly report"}
        elif name == "POST /requests/approvals/[id]/decide":
            listing = self.get(self.manager, "/requests/approvals").split('id="decided-title"')[0]
            waiting = APPROVAL.findall(listing)
            if not waiting:  # order one so there is something to decide
                self.prepare("POST /requests/catalog/[id]")
                self.order()
                listing = self.get(self.manager, "/requests/approvals")
                waiting = APPROVAL.findall(listing.split('id="decided-title"')[0])
            url = f"/requests/approvals/{waiting[0]}"
            form = form_on(self.get(self.manager, url), f"{url}/decide", url)
            self.pages["decide"] = f"{url}/decide"
            self.pages["decision"] = form | {"decision": "approve", "comment": ""}

    def _post(self, client: Any, url: str, fields: Any) -> None:
        answer = client.post(url, data=fields)
        answer.close()  # as a server does: the outbox's jobs go to Redis after the answer
        if answer.status_code not in (302, 303):
            raise SystemExit(f"POST {url}: {answer.status_code}")

    def work_note(self) -> None:
        self._post(self.agent, f"{self.incident_url()}/comment", self.pages["comment"])

    def report(self) -> None:
        self._post(self.employee, "/incidents/report", self.pages["report"])

    def order(self) -> None:
        self._post(self.employee, self.item_url(), self.pages["order"])

    def decide(self) -> None:
        self._post(self.manager, self.pages["decide"], self.pages["decision"])


@contextmanager
def counting_statements(engine: Any) -> Iterator[list[int]]:
    counted = [0]

    def count(*_args: Any) -> None:
        counted[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", count)


@contextmanager
def listing_statements(engine: Any) -> Iterator[list[str]]:
    said: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        said.append(" ".join(statement.split())[:220])

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield said
    finally:
        event.remove(engine, "before_cursor_execute", note)


def measure(mix: Mix, name: str, send: Callable[[], Any], engine: Any, repeat: int) -> str:
    cpu, statements = [], []
    for n in range(repeat + 1):
        mix.prepare(name)
        with counting_statements(engine) as counted:
            started = time.process_time()
            send()
            spent = time.process_time() - started
        if n:  # the first run warms the caches (compiled statements, templates)
            cpu.append(spent * 1000)
            statements.append(counted[0])
    mix.prepare(name)
    profile = cProfile.Profile()
    profile.runcall(send)
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return (
        f"{name:40} CPU median {statistics.median(cpu):6.1f} ms (min {min(cpu):6.1f})"
        f"  statements {statistics.median(statements):4.0f}  Python calls {calls:7,}"
    )


def deliveries(engine: Any, *, listed: str | None = None) -> list[str]:
    """Deliver every pending outbox message (those the measured writes queued, then those
    their deliveries queue), each in an application context of its own as ``flask deskgraph
    worker`` runs a job; the CPU and statements of each, by kind (``listed``: also print the
    SQL of each delivery of that kind)."""
    from flask import current_app
    from sqlalchemy import select

    from app.extensions import db
    from app.outbox.models import OutboxMessage, OutboxState
    from app.outbox.services import deliver

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cpu: dict[str, list[float]] = {}
    statements: dict[str, list[int]] = {}
    while True:
        pending = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.kind)
            .where(OutboxMessage.state == OutboxState.PENDING)
            .order_by(OutboxMessage.id)
        ).all()
        db.session.rollback()
        if not pending:
            break
        for message_id, kind in pending:
            with listing_statements(engine) as said, app.app_context():
                started = time.process_time()
                deliver(message_id)
                cpu.setdefault(kind, []).append(1000 * (time.process_time() - started))
            statements.setdefault(kind, []).append(len(said))
            if kind == listed:
                print(f"-- {kind} message {message_id}")
                print("\n".join(f"{n + 1:3} {s}" for n, s in enumerate(said)), flush=True)
    return [
        f"deliver {kind:32} {len(times):4} messages  CPU median {statistics.median(times):6.1f}"
        f" ms (mean {statistics.mean(times):6.1f})"
        f"  statements {statistics.median(statements[kind]):4.0f}"
        for kind, times in cpu.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schema", default="dg_load20c_prof")
    parser.add_argument("--seed", action="store_true", help="migrate and load the demo first")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--only", action="append", default=[], help="only requests named so")
    parser.add_argument("--profile", default=None, help="cProfile one run of this request")
    parser.add_argument("--statements", default=None, help="list the SQL of this request")
    parser.add_argument(
        "--deliveries",
        action="store_true",
        help="then deliver, as the RQ worker does, the outbox messages the writes queued",
    )
    parser.add_argument(
        "--delivery-statements", default=None, help="list the SQL of the deliveries of this kind"
    )
    args = parser.parse_args()

    employees, managers = employees_and_managers()
    with throwaway_redis() as redis_url:
        assert redis_url is not None, "redis-server is not installed"
        os.environ.update(environment(args.schema, redis_url, ROOT / "instance" / "bench"))
        if args.seed:
            prepare(args.schema, dict(os.environ), ROOT / "instance" / "bench-seed.log")
        from wsgi import app

        with app.app_context():
            from app.extensions import db

            engine = db.engine
        mix = Mix(app, employees[0], managers[0])
        requests = mix.requests()
        print(f"{args.schema}, load {uptime()}, {args.repeat} runs each after a warm-up")
        if args.statements:
            mix.prepare(args.statements)
            requests[args.statements]()  # warm
            mix.prepare(args.statements)
            with listing_statements(engine) as said:
                requests[args.statements]()
            print("\n".join(f"{n + 1:3} {s}" for n, s in enumerate(said)))
            return
        if args.profile:
            mix.prepare(args.profile)
            requests[args.profile]()  # warm
            mix.prepare(args.profile)
            profile = cProfile.Profile()
            profile.runcall(requests[args.profile])
            pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(60)
            return
        for name, send in requests.items():
            if args.only and not any(o in name for o in args.only):
                continue
            print(measure(mix, name, send, engine, args.repeat), flush=True)
        if args.deliveries or args.delivery_statements:
            with app.app_context():
                for line in deliveries(engine, listed=args.delivery_statements):
                    print(line, flush=True)
        print(f"load after: {uptime()}")


if __name__ == "__main__":
    main()

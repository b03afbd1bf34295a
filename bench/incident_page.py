"""The incident page and opening an incident, counted per request: statements, Python function
calls (cProfile) and CPU time (``time.process_time`` around the request; the wall time beside
it, and the server's: the wall time inside the application's WSGI call, from the request's
environ to its last byte, without the test client's building of the request and reading of
the answer; the worker's beside it, until the answer is closed: with what a request leaves for
after its answer, such as the outbox's jobs handed to Redis), on a schema kept by
``bench.incidents --keep``. The first three hardly depend on the machine's load, so two
checkouts can be compared on a busy box (run this file from each in turn, alternately).

    python -m bench.incidents --incidents 100000 --keep --no-write --repeat 0 --schema S
    python -m bench.incident_page --schema S --repeat 40
    python -m bench.incident_page --schema S --repeat 40 --warm 200  # every queue's lists cached
    python -m bench.incident_page --schema S --statements     # each request's SQL, once
    python -m bench.incident_page --schema S --profile 25     # the top functions by own time

The application's objects are frozen out of the garbage collector's reach after it is built,
as ``gunicorn.conf.py`` leaves a production worker (``--no-freeze`` leaves them in it: a full
collection then walks them, about 120 ms once in some 1,500 pages, against 5-13 ms frozen).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from bench._postgres import ROOT, app_on_schema
from bench.incidents import TOKENS, client_of, throwaway_redis, uptime

AGENT, CALLER, GROUP = 10_001, 1, 1
Send = Callable[[], None]


def sending(client: Any, url: str, form: dict[str, str] | None = None) -> Send:
    """A GET of ``url`` that must answer 200, or a post of ``form`` that must open an
    incident (a redirect to it)."""

    def send() -> None:
        answer = client.get(url) if form is None else client.post(url, data=form)
        assert answer.status_code == (200 if form is None else 302), (url, answer.status_code)
        assert form is None or "/incidents/INC" in answer.location, answer.location
        answer.close()  # as a server does: what the request left for after its answer runs

    return send


def page(app: Any, incidents: int, rng: random.Random) -> Callable[[int], Send]:
    """The agent's incident page, a random incident each time."""
    client = client_of(app, AGENT)
    return lambda _n: sending(client, f"/incidents/INC{1000 + rng.randint(1, incidents):07d}")


def form_page(app: Any, user: int, url: str) -> Callable[[int], Send]:
    client = client_of(app, user)
    return lambda _n: sending(client, url)


def posts(
    app: Any, user: int, url: str, fields: Callable[[int], dict[str, str]]
) -> Callable[[int], Send]:
    """Post the form at ``url``, every field it shows (its tokens and the fields read from
    the form first, outside the count)."""
    client = client_of(app, user)

    def prepare(n: int) -> Send:
        shown = client.get(url).get_data(as_text=True)
        form = {name: "" for name in NAMES.findall(shown) if name != "attachment"}
        form.update(TOKENS.findall(shown))
        return sending(client, url, {**form, **fields(n)})

    return prepare


NAMES = re.compile(r'<(?:input|select|textarea)[^>]* name="([^"]+)"')


def call(n: int) -> dict[str, str]:
    """The agent's "log a call" fields (every other field of the form is posted empty)."""
    fixed = dict(
        pair.split("=") for pair in f"channel=phone impact=2 urgency=2 group={GROUP}".split()
    )
    return {**fixed, "caller": f"user{1 + n % 5_000:05d}", "short_description": f"Jam {n % 7}"}


def report(n: int) -> dict[str, str]:
    return {"short_description": f"Teams crashes when sharing ({n})", "urgency": "2"}


class Counter:
    """The statements the app's engine runs (their text, for ``--statements``)."""

    def __init__(self, app: Any) -> None:
        from app.extensions import db

        with app.app_context():
            self.engine = db.engine
        self.statements: list[str] = []

    def __enter__(self) -> Counter:
        event.listen(self.engine, "before_cursor_execute", self.before)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self.before)

    def before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)


class ServerClock:
    """The wall time of the application's last WSGI call, its answer's body read to the end
    (a request's server time, as a WSGI server runs it: ``last_ms``), and until the server
    closed the answer (``busy_ms``: the worker's time, with the work a request leaves for
    after its answer, ``app.after_answer``)."""

    def __init__(self, app: Any) -> None:
        self.app, self.last_ms, self.busy_ms = app, 0.0, 0.0

    def __enter__(self) -> ServerClock:
        inner = self.inner = self.app.wsgi_app

        def timed(environ: Any, start_response: Any) -> list[bytes]:
            started = time.perf_counter()
            answer = inner(environ, start_response)
            try:
                body = list(answer)
                self.last_ms = (time.perf_counter() - started) * 1000
            finally:
                getattr(answer, "close", lambda: None)()
            self.busy_ms = (time.perf_counter() - started) * 1000
            return body

        self.app.wsgi_app = timed
        return self

    def __exit__(self, *_exc: object) -> None:
        self.app.wsgi_app = self.inner


def measure(
    app: Any, prepare: Callable[[int], Send], repeat: int, warm: int = 3
) -> dict[str, float]:
    """Per request: the median statements and CPU ms over ``repeat`` requests, then the
    function calls cProfile counts over ``repeat`` more (after ``warm`` warm-up requests)."""
    for n in range(warm):
        prepare(-1 - n)()
    cpu, wall, server, busy, statements = [], [], [], [], []
    with Counter(app) as counter, ServerClock(app) as clock_in_app:
        for n in range(repeat):
            send = prepare(n)
            before = len(counter.statements)
            started, clock = time.process_time(), time.perf_counter()
            send()
            cpu.append((time.process_time() - started) * 1000)
            wall.append((time.perf_counter() - clock) * 1000)
            server.append(clock_in_app.last_ms)
            busy.append(clock_in_app.busy_ms)
            statements.append(len(counter.statements) - before)
    profile = cProfile.Profile()
    for n in range(repeat):
        send = prepare(repeat + n)
        profile.enable()
        send()
        profile.disable()
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return {
        "statements": statistics.median(statements),
        "cpu_ms": statistics.median(cpu),
        "wall_ms": statistics.median(wall),
        "server_ms": statistics.median(server),
        "busy_ms": statistics.median(busy),
        "calls": calls / repeat,
    }


def show_statements(app: Any, prepare: Callable[[int], Send]) -> None:
    for n in range(2):
        prepare(-1 - n)()
    send = prepare(0)
    with Counter(app) as counter:
        send()
    for number, statement in enumerate(counter.statements, start=1):
        print(f"-- {number}\n{' '.join(statement.split())[:600]}")


def show_profile(app: Any, prepare: Callable[[int], Send], repeat: int, top: int) -> None:
    for n in range(3):
        prepare(-1 - n)()
    profile = cProfile.Profile()
    for n in range(repeat):
        send = prepare(n)
        profile.enable()
        send()
        profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", required=True, help="a schema kept by bench.incidents")
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--only", default="", help="the requests whose name contains this")
    parser.add_argument("--statements", action="store_true", help="print each request's SQL")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions")
    parser.add_argument(
        "--warm",
        type=int,
        default=3,
        help="requests before measuring (200: the page's lists of all 78 queues cached, as in "
        "a worker that has served a few minutes)",
    )
    parser.add_argument(
        "--no-freeze", action="store_true", help="leave the app's objects to the collector"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    app = app_on_schema(args.schema)
    if not args.no_freeze:  # as gunicorn.conf.py leaves a worker: what the app built is frozen
        gc.collect()
        gc.freeze()
    rng = random.Random(7)
    with throwaway_redis() as redis_url:
        app.config["REDIS_URL"] = redis_url  # opening as in production: the outbox on RQ
        requests = {
            "incident page (agent)": page(app, args.incidents, rng),
            "log a call form (agent, GET)": form_page(app, AGENT, "/incidents/new"),
            "report a problem form (employee, GET)": form_page(app, CALLER, "/incidents/report"),
            "open: agent logs a call (outbox on RQ)": posts(app, AGENT, "/incidents/new", call),
            "open: employee reports a problem (outbox on RQ)": posts(
                app, CALLER, "/incidents/report", report
            ),
        }
        load = uptime()
        for name, prepare in requests.items():
            if args.only not in name:
                continue
            if args.statements:
                print(f"== {name}")
                show_statements(app, prepare)
            elif args.profile:
                print(f"== {name}")
                show_profile(app, prepare, args.repeat, args.profile)
            else:
                got = measure(app, prepare, args.repeat, args.warm)
                print(
                    f"{name}: {got['statements']:.0f} statements, "
                    f"{got['calls']:,.0f} function calls, CPU {got['cpu_ms']:.1f} ms, "
                    f"wall {got['wall_ms']:.1f} ms, server {got['server_ms']:.1f} ms, "
                    f"worker {got['busy_ms']:.1f} ms (medians)"
                )
        print(f"load average before / after: {load} / {uptime()}")
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()

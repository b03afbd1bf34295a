"""Figures per phase of a locust run, and the stepped run that finds the knee.

Loaded beside ``bench/locustfile.py`` (``locust -f bench/locustfile.py,bench/locust_phases.py``),
this file records every request with the phase it ended in, and at the end writes
``DESKGRAPH_LOCUST_PHASES`` (a CSV): for each phase its seconds, requests, failures,
requests/s, median, p95 and p99. A phase is the time spent at one user count ("50 users"); the
time until that many users have signed in is a phase of its own ("starting 50": every person
signs in as it starts, and a password hash is the desk's most expensive request), so a run
shows its ramp apart from its steady part, which locust's own totals mix.

``DESKGRAPH_LOCUST_STEPS=50,100,150,200`` with ``DESKGRAPH_LOCUST_STEP_SECONDS=75`` (and
``DESKGRAPH_LOCUST_SPAWN_RATE``, 10 by default) turns on a load shape: 50 users for 75 s, then
100, then 150, then 200, then stop. locust's ``--users`` and ``--run-time`` are then ignored.
``python -m bench.load_two_nodes --steps 50,100,150,200`` sets all of this.
"""

from __future__ import annotations

import csv
import os
import time
from statistics import quantiles
from typing import Any

from locust import LoadTestShape, events
from locust.env import Environment

STEPS = [int(n) for n in os.environ.get("DESKGRAPH_LOCUST_STEPS", "").split(",") if n.strip()]
STEP_SECONDS = float(os.environ.get("DESKGRAPH_LOCUST_STEP_SECONDS", "75"))
SPAWN_RATE = float(os.environ.get("DESKGRAPH_LOCUST_SPAWN_RATE", "10"))
FIELDS = ["phase", "seconds", "requests", "failures", "rps", "median", "p95", "p99"]

# each request: (the phase it ended in, when it ended, its time in ms, whether it failed)
_requests: list[tuple[str, float, float, bool]] = []
_target: list[int] = [0]  # the users wanted now; -1 once the run is stopping
_signed_in: list[int] = [0]  # sign-ins posted so far (each person signs in once, as it starts)


def _phase() -> str:
    target = _target[0]
    if target < 0:
        return "stopping"
    return f"{target} users" if _signed_in[0] >= target else f"starting {target}"


@events.init.add_listener
def on_init(environment: Environment, **_: Any) -> None:
    if environment.parsed_options is not None and not STEPS:
        _target[0] = int(environment.parsed_options.num_users or 0)


@events.request.add_listener
def on_request(
    request_type: str, name: str, response_time: float, exception: Any, **_: Any
) -> None:
    _requests.append((_phase(), time.monotonic(), response_time, bool(exception)))
    if request_type == "POST" and name == "/login":
        _signed_in[0] += 1


@events.test_stopping.add_listener
def on_test_stopping(**_: Any) -> None:
    _target[0] = -1


@events.quitting.add_listener
def on_quitting(**_: Any) -> None:
    path = os.environ.get("DESKGRAPH_LOCUST_PHASES")
    if path:
        write_phases(path, phases(_requests))


def phases(requests: list[tuple[str, float, float, bool]]) -> list[dict[str, Any]]:
    """The figures of each phase, in the order the phases came."""
    groups: dict[str, list[tuple[float, float, bool]]] = {}
    for phase, ended, millis, failed in requests:
        groups.setdefault(phase, []).append((ended, millis, failed))
    rows = []
    for name, done in groups.items():
        seconds = max(done[-1][0] - done[0][0], 1.0)
        times = sorted(millis for _, millis, _ in done)
        cuts = quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
        rows.append(
            {
                "phase": name,
                "seconds": round(seconds),
                "requests": len(done),
                "failures": sum(failed for _, _, failed in done),
                "rps": round(len(done) / seconds, 1),
                "median": round(cuts[49]),
                "p95": round(cuts[94]),
                "p99": round(cuts[98]),
            }
        )
    return rows


def write_phases(path: str, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)


if STEPS:

    class Steps(LoadTestShape):
        """``STEPS`` users in turn, ``STEP_SECONDS`` each (starting users included)."""

        def tick(self) -> tuple[int, float] | None:
            step = int(self.get_run_time() // STEP_SECONDS)
            if step >= len(STEPS):
                return None
            _target[0] = STEPS[step]
            return STEPS[step], SPAWN_RATE

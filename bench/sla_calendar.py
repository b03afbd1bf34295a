"""Benchmark the business calendar (due times) and the SLA clock (timelines).

Run from the repository root:  python -m bench.sla_calendar [--n 100000] [--timelines 100000]

Due times: ``n`` random starts over 2026–2027 with random targets from 15 minutes to 3 weeks on a
Europe/Paris calendar with a lunch break and French public holidays. Timelines, replayed with
``compute_clock`` (explanations included): a ticket opened, paused awaiting the caller, resumed,
re-prioritised and resolved; and a mix of 1 to 12 events (holds, priority changes, resolutions,
reopenings, clocks still running).
Inputs are generated with a fixed seed before timing; one untimed warm-up pass fills the
calendar's per-date cache, as a long-running worker would have it.
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from datetime import UTC, datetime, timedelta

from app.sla.calendar import BusinessCalendar
from app.sla.clock import compute_clock
from app.sla.clock_inputs import AWAITING_CALLER_OR_VENDOR, Condition, Event, SlaDefinition

CALENDAR = BusinessCalendar.weekly(
    "Europe/Paris", {d: [("08:00", "12:00"), ("13:00", "17:00")] for d in range(5)}, country="FR"
)
DEFINITION = SlaDefinition(
    "resolution",
    {1: timedelta(hours=4), 2: timedelta(hours=8), 3: timedelta(hours=24), 4: timedelta(hours=40)},
    stop=(Condition(kinds={"resolved", "closed"}),),
    pause=(AWAITING_CALLER_OR_VENDOR,),
)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _due_inputs(n: int, rng: random.Random) -> list[tuple[datetime, timedelta]]:
    return [
        (
            EPOCH + timedelta(seconds=rng.randrange(2 * 365 * 86400)),
            timedelta(minutes=rng.randrange(15, 3 * 5 * 8 * 60)),
        )
        for _ in range(n)
    ]


def _timelines(n: int, rng: random.Random) -> list[tuple[list[Event], datetime]]:
    """Five-event timelines: opened, on hold awaiting the caller, resumed, priority raised,
    resolved (the shape the first measurements used)."""
    result = []
    for _ in range(n):
        at = EPOCH + timedelta(seconds=rng.randrange(2 * 365 * 86400))
        steps = [timedelta(minutes=rng.randrange(1, 600)) for _ in range(4)]
        marks = [at + sum(steps[: i + 1], timedelta(0)) for i in range(4)]
        events = [
            Event(at, "opened", priority=rng.randrange(2, 5), group="service-desk"),
            Event(marks[0], "state_changed", state="on_hold", reason="awaiting_caller"),
            Event(marks[1], "state_changed", state="in_progress"),
            Event(marks[2], "priority_changed", priority=1),
            Event(marks[3], "resolved"),
        ]
        result.append((events, marks[3] + timedelta(hours=1)))
    return result


def _mixed(n: int, rng: random.Random) -> list[tuple[list[Event], datetime]]:
    """Timelines of 1 to 12 events as a desk has them: resolved at once, worked with holds
    (caller, vendor, or a reason that does not pause), re-prioritised, reopened and resolved
    again, or still running; replayed as of an hour after the last event."""
    result = []
    reasons = ("awaiting_caller", "awaiting_vendor", "change_pending")
    for _ in range(n):
        at = EPOCH + timedelta(seconds=rng.randrange(2 * 365 * 86400))
        events = [Event(at, "opened", priority=rng.randrange(1, 5), group="service-desk")]
        for _step in range(rng.choice((0, 1, 2, 3, 4, 6, 8, 11))):
            at += timedelta(minutes=rng.randrange(1, 900))
            kind = rng.choice(("hold", "work", "work", "priority", "resolve", "reopen"))
            if kind == "hold":
                events.append(
                    Event(at, "state_changed", state="on_hold", reason=rng.choice(reasons))
                )
            elif kind == "work":
                events.append(Event(at, "state_changed", state="in_progress"))
            elif kind == "priority":
                events.append(Event(at, "priority_changed", priority=rng.randrange(1, 5)))
            elif kind == "resolve":
                events.append(Event(at, "resolved"))
            else:
                events.append(Event(at, "reopened", state="in_progress"))
        result.append((events, at + timedelta(hours=1)))
    return result


def _time(label: str, count: int, run, repeat: int = 3) -> None:
    """Print the best of ``repeat`` timed runs after one warm-up (the machine is shared)."""
    run()
    best = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best.append(time.perf_counter() - started)
    seconds = min(best)
    print(
        f"{label}: {count:,} in {seconds:.2f} s = {count / seconds:,.0f}/s "
        f"({seconds / count * 1e6:.1f} µs each)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="due-time computations")
    parser.add_argument("--timelines", type=int, default=100_000, help="clock replays per kind")
    args = parser.parse_args()
    rng = random.Random(6)
    dues = _due_inputs(args.n, rng)
    timelines = _timelines(args.timelines, rng)
    mixed = _mixed(args.timelines, rng)
    print(f"Python {platform.python_version()} on {platform.machine()}")
    _time("add_business_time", args.n, lambda: [CALENDAR.add_business_time(*x) for x in dues])
    _time(
        "business_time",
        args.n,
        lambda: [CALENDAR.business_time(s, s + d * 3) for s, d in dues],
    )
    _time(
        "compute_clock, five-event timelines",
        args.timelines,
        lambda: [compute_clock(CALENDAR, DEFINITION, e, now) for e, now in timelines],
    )
    events = sum(len(e) for e, _now in mixed)
    _time(
        f"compute_clock, mixed timelines ({events / len(mixed):.1f} events on average)",
        args.timelines,
        lambda: [compute_clock(CALENDAR, DEFINITION, e, now) for e, now in mixed],
    )


if __name__ == "__main__":
    main()

"""The ServiceNow event log the tests read, and figures recomputed from it with the plain csv
module (independently of the importer)."""

from __future__ import annotations

import csv
import io
import os
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from statistics import median

DATA = Path(
    os.environ.get(
        "DESKGRAPH_SERVICENOW_DATA",
        Path(__file__).resolve().parents[3] / "shared/data/incidents/uci-servicenow-event-log",
    )
)
SAMPLE = DATA / "incident_event_log.sample_first1000incidents.csv"
FULL = DATA / "incident_event_log.csv.zip"


def when(text: str) -> datetime:
    return datetime.strptime(text, "%d/%m/%Y %H:%M")


def read(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def write(header: list[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def expected(rows: list[dict[str, str]]) -> dict:
    """What the report must say, computed straight from the rows: per number, the latest row
    (by sys_updated_at, then file order) is the incident's final state."""
    by_number: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_number[row["number"]].append((index, row))
    finals = {
        n: max(rs, key=lambda ir: (when(ir[1]["sys_updated_at"]), ir[0]))[1]
        for n, rs in by_number.items()
    }
    hours: dict[str, list[float]] = defaultdict(list)
    for row in finals.values():
        # resolved_at, or closed_at for an incident closed without one
        end = row["resolved_at"] if row["resolved_at"] != "?" else None
        if end is None and row["incident_state"] == "Closed" and row["closed_at"] != "?":
            end = row["closed_at"]
        if end is not None:
            delta = when(end) - when(row["opened_at"])
            hours[row["priority"].split(" ")[0]].append(delta.total_seconds() / 3600)
    cells = Counter((r["impact"][0], r["urgency"][0], r["priority"][0]) for r in rows)
    return {
        "rows": len(rows),
        "incidents": len(finals),
        "by_priority": Counter(r["priority"] for r in finals.values()),
        "by_state": Counter(r["incident_state"] for r in finals.values()),
        "median_hours": {p: round(median(v), 2) for p, v in hours.items()},
        "made_sla": sum(r["made_sla"] == "true" for r in finals.values()),
        "cells": cells,
        "finals": finals,
    }

"""What an import of ServiceNow's incident log says about it (pure: no Flask, no database).

:class:`Tally` adds up, incident by incident, what the report shows: counts by final priority
and by final state, the hours from opened to resolved per priority (for the median), the share
that made its SLA, and every row's impact × urgency → priority (which grid the log follows).
Its state is plain JSON, so an interrupted import keeps it in its checkpoint and resumes the
sums where it stopped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from app.i18n import N_
from app.i18n.stored import stored
from app.imports.servicenow.source import SourceIncident


@dataclass
class Tally:
    incidents: int = 0
    made_sla: int = 0
    by_priority: dict[str, int] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict)
    hours: dict[str, list[float]] = field(default_factory=dict)  # per priority, open→resolved
    cells: dict[str, int] = field(default_factory=dict)  # "impact,urgency,priority" → rows
    labels: dict[str, str] = field(default_factory=dict)  # priority → its label in the log

    def add(self, incident: SourceIncident) -> None:
        """Count one incident (its last row, and every row's impact × urgency → priority)."""
        final = incident.final
        priority = str(final.priority)
        self.incidents += 1
        self.made_sla += incident.value("made_sla") == "true"
        self.by_priority[priority] = self.by_priority.get(priority, 0) + 1
        state = incident.value("incident_state") or ""
        self.by_state[state] = self.by_state.get(state, 0) + 1
        if incident.resolved_until is not None:
            hours = (incident.resolved_until - incident.opened_at).total_seconds() / 3600
            self.hours.setdefault(priority, []).append(round(hours, 4))
        for u in incident.updates:
            key = f"{u.impact},{u.urgency},{u.priority}"
            self.cells[key] = self.cells.get(key, 0) + 1
        label = incident.value("priority")
        if label and priority not in self.labels:
            self.labels[priority] = label

    def state(self) -> dict[str, Any]:
        """The tally as JSON (for the checkpoint)."""
        return {
            "incidents": self.incidents,
            "made_sla": self.made_sla,
            "by_priority": self.by_priority,
            "by_state": self.by_state,
            "hours": self.hours,
            "cells": self.cells,
            "labels": self.labels,
        }

    @classmethod
    def from_state(cls, data: Mapping[str, Any] | None) -> Tally:
        data = data or {}
        return cls(
            incidents=int(data.get("incidents", 0)),
            made_sla=int(data.get("made_sla", 0)),
            by_priority=dict(data.get("by_priority", {})),
            by_state=dict(data.get("by_state", {})),
            hours={k: list(v) for k, v in data.get("hours", {}).items()},
            cells=dict(data.get("cells", {})),
            labels=dict(data.get("labels", {})),
        )

    def rows_by_cell(self) -> dict[tuple[int, int], dict[int, int]]:
        """Rows per (impact, urgency) and priority recorded."""
        grid: dict[tuple[int, int], dict[int, int]] = {}
        for key, n in self.cells.items():
            impact, urgency, priority = (int(v) for v in key.split(","))
            cell = grid.setdefault((impact, urgency), {})
            cell[priority] = cell.get(priority, 0) + n
        return grid


def grid_of(tally: Tally) -> tuple[dict[tuple[int, int], int], list[dict[str, Any]]]:
    """The impact × urgency → priority table the log follows (each cell's priority in most
    rows) and the cells where rows disagree (then no single table reproduces every row), as
    stored messages."""
    table: dict[tuple[int, int], int] = {}
    conflicts = []
    for cell, counts in sorted(tally.rows_by_cell().items()):
        table[cell] = max(counts, key=lambda p: (counts[p], -p))
        if len(counts) > 1:
            conflicts += [
                stored(
                    N_(
                        "impact %(impact)s × urgency %(urgency)s: priority %(priority)s in "
                        "%(rows)s rows"
                    ),
                    impact=cell[0],
                    urgency=cell[1],
                    priority=p,
                    rows=n,
                )
                for p, n in sorted(counts.items())
            ]
    return table, conflicts


def reproduced(tally: Tally, cells: Mapping[tuple[int, int], int]) -> tuple[int, int]:
    """How many rows a matrix's ``cells`` give the recorded priority, of how many rows."""
    total = hits = 0
    for (impact, urgency), counts in tally.rows_by_cell().items():
        for priority, n in counts.items():
            total += n
            hits += n * (cells.get((impact, urgency)) == priority)
    return hits, total


def describe(tally: Tally, matrix_cells: Mapping[tuple[int, int], int]) -> dict[str, Any]:
    """The run's summary: what the reader checks against the source."""
    table, conflicts = grid_of(tally)
    hits, total = reproduced(tally, matrix_cells)
    own_hits, _ = reproduced(tally, table)
    levels = sorted(set(table.values()))
    differing = [
        stored(
            N_("impact %(impact)s × urgency %(urgency)s: log %(log)s, matrix %(matrix)s"),
            impact=i,
            urgency=u,
            log=p,
            matrix=matrix_cells.get((i, u), "—"),
        )
        for (i, u), p in sorted(table.items())
        if matrix_cells.get((i, u)) != p
    ]
    return {
        "incidents": tally.incidents,
        "by_priority": {
            f"{p} - {tally.labels[p].split('-', 1)[-1].strip()}" if p in tally.labels else p: n
            for p, n in sorted(tally.by_priority.items(), key=_by_level)
        },
        "by_final_state": dict(sorted(tally.by_state.items())),
        "median_hours_open_to_resolved": {
            p: round(median(v), 2) for p, v in sorted(tally.hours.items(), key=_by_level)
        },
        "resolved_with_time": sum(len(v) for v in tally.hours.values()),
        "made_sla_percent": _percent(tally.made_sla, tally.incidents),
        "made_sla": tally.made_sla,
        "log_grid": {f"{i}x{u}": p for (i, u), p in table.items()},
        "log_grid_levels": len(levels),
        "log_grid_reproduces": stored(N_("%(hits)s of %(total)s rows"), hits=own_hits, total=total),
        "log_grid_conflicts": conflicts or stored(N_("none: one table reproduces every row")),
        "matrix_in_force_reproduces": (
            stored(
                N_("%(hits)s of %(total)s rows (%(percent)s %%)"),
                hits=hits,
                total=total,
                percent=round(100 * hits / total, 2),
            )
            if total
            else stored(N_("%(hits)s of %(total)s rows"), hits=hits, total=total)
        ),
        "matrix_in_force_differs": differing or stored(N_("nowhere")),
    }


def _by_level(item: tuple[str, Any]) -> int:
    return int(item[0])


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None

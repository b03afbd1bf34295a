"""The priority matrix stored in the database, as the pure ``PriorityMatrix``.

The rows are seeded with ITIL's 3 × 3 → 5 default by the migration that creates them;
administrators replace them as a whole (a half-edited matrix is never saved).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import CompoundSelect, Select, String, cast, delete, literal, select, union_all

from app import audit
from app.errors import Invalid
from app.extensions import db
from app.i18n import N_
from app.settings_cache import cached
from app.tickets.models import PriorityCell, PriorityLevel, PriorityScale
from app.tickets.priority import PriorityMatrix, matrix_problems

MATRIX_KEY = "priority_matrix"  # in the settings cache

# The labels the desk starts with (migration 170ec7640171), marked for the catalogs: pages show
# a label through gettext, so these read in the reader's language and a label an administrator
# wrote reads as written.
DEFAULT_LABELS = (
    N_("Critical"),
    N_("High"),
    N_("Moderate"),
    N_("Medium"),
    N_("Low"),
    N_("Planning"),
)


def load_matrix() -> PriorityMatrix:
    """The matrix in force (ITIL's default when the tables are empty), read in one statement
    when the process has not cached it at the desk settings' current revision
    (:mod:`app.settings_cache`: the console, the incident form and every new incident read it;
    opening one without a queue reads it with the routing rules, :func:`matrix_rows`). Its
    mappings are read-only."""
    return cached(MATRIX_KEY, _read_matrix)


def _read_matrix() -> PriorityMatrix:
    return frozen(matrix_of(db.session.execute(_matrix_statement())))


def frozen(matrix: PriorityMatrix) -> PriorityMatrix:
    """``matrix`` with read-only mappings, to be shared by every request of the process."""
    return PriorityMatrix(
        impacts=MappingProxyType(dict(matrix.impacts)),
        urgencies=MappingProxyType(dict(matrix.urgencies)),
        levels=MappingProxyType(dict(matrix.levels)),
        cells=MappingProxyType(dict(matrix.cells)),
    )


def matrix_rows() -> list[Select[str, str, str]]:
    """The matrix's rows as selects of three strings, for a ``UNION ALL`` (a caller may read
    them with rows of its own and give them to :func:`matrix_of`): the part (``impact``,
    ``urgency``, ``level`` or ``cell``), its key (a cell's ``impact:urgency``), its label (a
    cell's priority)."""
    level, cell = literal("level", String(8)), literal("cell", String(8))
    return [
        select(PriorityScale.scale, cast(PriorityScale.value, String), PriorityScale.label),
        select(level, cast(PriorityLevel.level, String), PriorityLevel.label),
        select(
            cell,
            cast(PriorityCell.impact, String)
            + literal(":", String)
            + cast(PriorityCell.urgency, String),
            cast(PriorityCell.priority, String),
        ),
    ]


@cache
def _matrix_statement() -> CompoundSelect[str, str, str]:
    return union_all(*matrix_rows())


def matrix_of(rows: Iterable[Sequence[Any]]) -> PriorityMatrix:
    """The matrix :func:`matrix_rows`' rows describe (part, key, label first; any other row is
    passed over), each part in the order of its keys."""
    parts: dict[str, dict[Any, str]] = {"impact": {}, "urgency": {}, "level": {}, "cell": {}}
    for part, key, label, *_ in rows:
        if part in parts:
            parts[part][tuple(map(int, key.split(":"))) if part == "cell" else int(key)] = label
    if not ((parts["impact"] or parts["urgency"]) and parts["level"] and parts["cell"]):
        return PriorityMatrix()
    impacts, urgencies, levels, cells = (dict(sorted(part.items())) for part in parts.values())
    return PriorityMatrix(
        impacts=impacts,
        urgencies=urgencies,
        levels=levels,
        cells={key: int(priority) for key, priority in cells.items()},
    )


def save_matrix(
    *,
    impacts: dict[int, str],
    urgencies: dict[int, str],
    levels: dict[int, str],
    cells: dict[tuple[int, int], int],
    actor: Any,
) -> PriorityMatrix:
    """Replace the matrix. Existing incidents keep their priority until next edited.

    :raise Invalid: the matrix is incomplete or maps to an undeclared level.
    """
    candidate = object.__new__(PriorityMatrix)
    for name, value in (
        ("impacts", impacts),
        ("urgencies", urgencies),
        ("levels", levels),
        ("cells", cells),
    ):
        object.__setattr__(candidate, name, value)
    problems = matrix_problems(candidate)
    if problems:
        raise Invalid({"matrix": problems})
    before = load_matrix()
    for model in (PriorityCell, PriorityLevel, PriorityScale):
        db.session.execute(delete(model))
    db.session.add_all(
        [PriorityScale(scale="impact", value=k, label=v) for k, v in impacts.items()]
        + [PriorityScale(scale="urgency", value=k, label=v) for k, v in urgencies.items()]
        + [PriorityLevel(level=k, label=v) for k, v in levels.items()]
        + [PriorityCell(impact=i, urgency=u, priority=p) for (i, u), p in cells.items()]
    )
    db.session.flush()
    audit.record(
        actor,
        "priority_matrix",
        0,
        "replaced",
        {"cells": [len(before.cells), len(cells)], "levels": [len(before.levels), len(levels)]},
    )
    return PriorityMatrix(impacts=impacts, urgencies=urgencies, levels=levels, cells=cells)

"""The priority matrix stored in the database, as the pure ``PriorityMatrix``.

The rows are seeded with ITIL's 3 × 3 → 5 default by the migration that creates them;
administrators replace them as a whole (a half-edited matrix is never saved).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from app import audit
from app.errors import Invalid
from app.extensions import db
from app.tickets.models import PriorityCell, PriorityLevel, PriorityScale
from app.tickets.priority import PriorityMatrix, matrix_problems


def load_matrix() -> PriorityMatrix:
    """The matrix in force (ITIL's default when the tables are empty)."""
    scales = db.session.scalars(select(PriorityScale)).all()
    levels = db.session.scalars(select(PriorityLevel)).all()
    cells = db.session.scalars(select(PriorityCell)).all()
    if not (scales and levels and cells):
        return PriorityMatrix()
    return PriorityMatrix(
        impacts={s.value: s.label for s in scales if s.scale == "impact"},
        urgencies={s.value: s.label for s in scales if s.scale == "urgency"},
        levels={lv.level: lv.label for lv in levels},
        cells={(c.impact, c.urgency): c.priority for c in cells},
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

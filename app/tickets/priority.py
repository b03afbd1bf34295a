"""The impact × urgency → priority matrix, as data (pure: no Flask, no database).

ITIL and ServiceNow's default is 3 × 3 → 5 levels::

              urgency 1   urgency 2   urgency 3
    impact 1      1           2           3
    impact 2      2           3           4
    impact 3      3           4           5

Level 1 is the most urgent. Sites may use other sizes (e.g. 4 × 4 → 4 levels); a matrix is
valid when every (impact, urgency) cell maps to a declared level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_LEVELS = {1: "Critical", 2: "High", 3: "Moderate", 4: "Low", 5: "Planning"}
DEFAULT_IMPACTS = {1: "High", 2: "Medium", 3: "Low"}
DEFAULT_URGENCIES = {1: "High", 2: "Medium", 3: "Low"}


def _itil_cells() -> dict[tuple[int, int], int]:
    return {(i, u): i + u - 1 for i in range(1, 4) for u in range(1, 4)}


@dataclass(frozen=True)
class PriorityMatrix:
    """Impacts, urgencies and priority levels with their labels, and the cell table."""

    impacts: Mapping[int, str] = field(default_factory=lambda: dict(DEFAULT_IMPACTS))
    urgencies: Mapping[int, str] = field(default_factory=lambda: dict(DEFAULT_URGENCIES))
    levels: Mapping[int, str] = field(default_factory=lambda: dict(DEFAULT_LEVELS))
    cells: Mapping[tuple[int, int], int] = field(default_factory=_itil_cells)

    def __post_init__(self) -> None:
        problems = matrix_problems(self)
        if problems:
            raise ValueError("; ".join(problems))

    def priority(self, impact: int, urgency: int) -> int:
        """:raise ValueError: impact or urgency outside the matrix."""
        if impact not in self.impacts:
            raise ValueError(f"impact must be one of {sorted(self.impacts)}, got {impact!r}")
        if urgency not in self.urgencies:
            raise ValueError(f"urgency must be one of {sorted(self.urgencies)}, got {urgency!r}")
        return self.cells[(impact, urgency)]

    def label(self, level: int) -> str:
        return self.levels.get(level, f"P{level}")

    def rows(self) -> list[tuple[int, str, list[int]]]:
        """The table row by row: (impact, label, [priority per urgency])."""
        return [
            (i, self.impacts[i], [self.cells[(i, u)] for u in sorted(self.urgencies)])
            for i in sorted(self.impacts)
        ]


def matrix_problems(matrix: PriorityMatrix) -> list[str]:
    """What makes a matrix unusable (empty list: it is complete and consistent)."""
    problems = []
    if not matrix.impacts or not matrix.urgencies or not matrix.levels:
        return ["a matrix needs at least one impact, one urgency and one priority level"]
    for impact in matrix.impacts:
        for urgency in matrix.urgencies:
            level = matrix.cells.get((impact, urgency))
            if level is None:
                problems.append(f"impact {impact} × urgency {urgency} has no priority")
            elif level not in matrix.levels:
                problems.append(
                    f"impact {impact} × urgency {urgency} maps to unknown level {level}"
                )
    extra = set(matrix.cells) - {(i, u) for i in matrix.impacts for u in matrix.urgencies}
    if extra:
        problems.append(f"cells outside the matrix: {sorted(extra)}")
    return problems

"""The impact × urgency → priority matrix (pure)."""

from __future__ import annotations

import pytest

from app.tickets.priority import PriorityMatrix

ITIL = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}  # fmt: skip


@pytest.mark.parametrize(("cell", "expected"), sorted(ITIL.items()))
def test_default_matrix_is_itils_three_by_three(cell, expected):
    matrix = PriorityMatrix()
    assert matrix.priority(*cell) == expected


def test_labels_of_the_default_levels():
    matrix = PriorityMatrix()
    assert matrix.label(1) == "Critical"
    assert matrix.label(5) == "Planning"
    assert matrix.rows()[0] == (1, "High", [1, 2, 3])


def test_a_four_level_matrix_can_be_configured():
    scale = {1: "High", 2: "Medium", 3: "Low", 4: "Very low"}
    matrix = PriorityMatrix(
        impacts=scale,
        urgencies=scale,
        levels={1: "Critical", 2: "High", 3: "Medium", 4: "Low"},
        cells={(i, u): max(i, u) for i in scale for u in scale},
    )
    assert matrix.priority(1, 4) == 4
    assert matrix.priority(2, 2) == 2
    assert matrix.priority(4, 4) == 4
    assert set(matrix.cells.values()) == {1, 2, 3, 4}


def test_incomplete_or_inconsistent_matrices_are_refused():
    with pytest.raises(ValueError, match=r"impact 3 × urgency 3 has no priority"):
        PriorityMatrix(cells={k: v for k, v in ITIL.items() if k != (3, 3)})
    with pytest.raises(ValueError, match="unknown level 9"):
        PriorityMatrix(cells={**ITIL, (1, 1): 9})
    with pytest.raises(ValueError, match="outside the matrix"):
        PriorityMatrix(cells={**ITIL, (4, 1): 1})


@pytest.mark.parametrize(("impact", "urgency"), [(0, 1), (4, 1), (1, 0), (1, 7), (-1, -1)])
def test_out_of_range_values_are_refused(impact, urgency):
    with pytest.raises(ValueError, match="must be one of"):
        PriorityMatrix().priority(impact, urgency)

"""Affected CIs grouped by class for the what-if page (pure)."""

from __future__ import annotations

from app.cmdb.impact.groups import group_by_class
from app.cmdb.impact.reference import AffectedCI, State


def ci(n: int, ci_class: str, depth: int = 1, state: State = State.DOWN) -> AffectedCI:
    return AffectedCI(n, f"ci-{n}", ci_class, state, depth, None)


def test_services_then_peoples_devices_then_the_largest_classes():
    affected = [
        ci(1, "storage", 0),
        *(ci(10 + i, "virtual_machine", 2) for i in range(3)),
        ci(20, "laptop", 3),
        ci(21, "database", 2, State.DEGRADED),
        ci(22, "database", 2),
        ci(30, "business_service", 4),
    ]
    groups = group_by_class(affected, {"virtual_machine": "Virtual machine"})
    assert [(g.ci_class, len(g.items)) for g in groups] == [
        ("business_service", 1), ("laptop", 1), ("virtual_machine", 3), ("database", 2),
        ("storage", 1),
    ]  # fmt: skip
    assert groups[2].label == "Virtual machine"
    assert groups[3].label == "Database"  # no label given: the name, readable
    assert (groups[3].down, groups[3].degraded) == (1, 1)
    assert groups[4].failing
    assert not groups[0].failing
    assert group_by_class([]) == []

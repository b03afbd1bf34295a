"""The CIs a failure reaches, grouped by class for a page: business services first, then the
classes people work on (workstations, laptops, printers…), then the rest, largest first.

Pure (no Flask, no database): the view passes the affected CIs and the classes' labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from app.cmdb.impact.reference import AffectedCI, State

SERVICE_CLASSES = ("business_service",)
PEOPLE_CLASSES = ("workstation", "laptop", "printer", "phone", "mobile_device")


@dataclass
class ClassGroup:
    """The affected CIs of one class, nearest first (the failing ones at depth 0)."""

    ci_class: str
    label: str
    items: list[AffectedCI] = field(default_factory=list)
    down: int = 0
    degraded: int = 0

    @property
    def failing(self) -> bool:
        """Whether one of the failing CIs themselves is in this group."""
        return any(a.depth == 0 for a in self.items)


def group_by_class(
    affected: Iterable[AffectedCI], labels: Mapping[str, str] | None = None
) -> list[ClassGroup]:
    """Affected CIs by class; ``labels`` maps a class name to its label (default: the name
    with spaces). Within a group the CIs keep their order (by depth, then as given)."""
    labels = labels or {}
    groups: dict[str, ClassGroup] = {}
    for a in affected:
        group = groups.get(a.ci_class)
        if group is None:
            label = labels.get(a.ci_class) or a.ci_class.replace("_", " ").capitalize()
            group = groups[a.ci_class] = ClassGroup(a.ci_class, label)
        group.items.append(a)
        if a.state is State.DOWN:
            group.down += 1
        else:
            group.degraded += 1

    def rank(group: ClassGroup) -> tuple[int, int, str]:
        if group.ci_class in SERVICE_CLASSES:
            first = 0
        elif group.ci_class in PEOPLE_CLASSES:
            first = 1
        else:
            first = 2
        return (first, -len(group.items), group.label.lower())

    return sorted(groups.values(), key=rank)

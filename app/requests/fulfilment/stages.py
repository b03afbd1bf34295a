"""Fulfilment plans: task templates, stage order and when items and requests are done (a pure
core: no Flask, no database).

A task template lists tasks, each with a stage number (1, 2, …) and a group (empty: the item's
fulfilment group). Tasks of one stage run in parallel; a stage starts when every task of the
previous stage is closed. A task closed incomplete (or canceled) stops the plan: the later
stages depend on it, so the item closes incomplete. Stage 0 is reserved for the manual task an
automation leaves when it fails.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.requests.problems import Problems

__all__ = [
    "Finish",
    "Next",
    "TaskSpec",
    "TaskStatus",
    "TemplateInvalid",
    "next_step",
    "parse_template",
    "request_outcome",
    "template_to_json",
]

MAX_TASKS = 30
MAX_STAGE = 20


class TemplateInvalid(Problems):
    """A template breaks a rule; ``problems`` maps ``tasks.<i>.<field>`` to a message."""


@dataclass(frozen=True)
class TaskSpec:
    stage: int
    name: str
    group_id: int | None = None  # None: the item's fulfilment group
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"stage": self.stage, "name": self.name}
        if self.group_id is not None:
            data["group_id"] = self.group_id
        if self.description:
            data["description"] = self.description
        return data


def parse_template(
    raw: Sequence[Mapping[str, Any]], group_ids: frozenset[int]
) -> tuple[TaskSpec, ...]:
    """The tasks of a template, checked and sorted by stage (stable within a stage).
    ``group_ids`` are the assignment groups that exist.

    :raise TemplateInvalid: a task without a name, a stage outside 1–20, an unknown group,
        more than :data:`MAX_TASKS` tasks.
    """
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise TemplateInvalid({"tasks": "A task template is a list of tasks."})
    if len(raw) > MAX_TASKS:
        raise TemplateInvalid({"tasks": f"A template has at most {MAX_TASKS} tasks."})
    problems: dict[str, str] = {}
    specs: list[TaskSpec] = []
    for index, item in enumerate(raw):
        where, title = f"tasks.{index}", f"Task {index + 1}"
        item = item if isinstance(item, Mapping) else {}
        name = " ".join(str(item.get("name") or "").split())
        if not name or len(name) > 200:
            problems[f"{where}.name"] = f"{title}: give it a name of at most 200 characters."
        try:
            stage = int(str(item.get("stage") if item.get("stage") not in (None, "") else 1))
        except ValueError:
            stage = 0
        if not 1 <= stage <= MAX_STAGE:
            problems[f"{where}.stage"] = f"{title}: the stage is a number from 1 to {MAX_STAGE}."
        group_id: int | None = None
        if item.get("group_id") not in (None, ""):
            try:
                group_id = int(str(item.get("group_id")))
            except ValueError:
                group_id = -1
            if group_id not in group_ids:
                problems[f"{where}.group_id"] = f"{title}: choose an assignment group."
        description = str(item.get("description") or "").strip()
        if len(description) > 4000:
            problems[f"{where}.description"] = f"{title}: keep the description under 4000."
        specs.append(TaskSpec(stage, name, group_id, description))
    if problems:
        raise TemplateInvalid(problems)
    return tuple(sorted(specs, key=lambda s: s.stage))


def template_to_json(specs: Sequence[TaskSpec]) -> list[dict[str, Any]]:
    return [spec.to_json() for spec in specs]


class TaskStatus(enum.StrEnum):
    """How a task stands for the plan (from its state and close code)."""

    OPEN = "open"
    COMPLETE = "complete"
    SKIPPED = "skipped"
    INCOMPLETE = "incomplete"
    CANCELED = "canceled"


DONE_WELL = frozenset({TaskStatus.COMPLETE, TaskStatus.SKIPPED})


@dataclass(frozen=True)
class Next:
    """Start the tasks of ``stage`` (None: wait, tasks are still open)."""

    stage: int | None


@dataclass(frozen=True)
class Finish:
    """Every task is done: the item is delivered (``complete``) or not."""

    complete: bool


def next_step(
    stages: Sequence[int], tasks: Sequence[tuple[int, TaskStatus]], *, started: int | None
) -> Next | Finish:
    """What the item's fulfilment does next.

    :param stages: the stage numbers of the item's template (any order, repeats allowed).
    :param tasks: ``(stage, status)`` of the tasks created so far.
    :param started: the highest stage started so far (None: none yet).
    """
    if any(status == TaskStatus.OPEN for _stage, status in tasks):
        return Next(None)
    if any(status not in DONE_WELL for _stage, status in tasks):
        return Finish(complete=False)
    later = sorted({s for s in stages if started is None or s > started})
    if later:
        return Next(later[0])
    return Finish(complete=True)


class ItemEnd(enum.StrEnum):
    OPEN = "open"
    DELIVERED = "delivered"
    NOT_DELIVERED = "not_delivered"  # closed incomplete or rejected
    CANCELED = "canceled"


def request_outcome(items: Sequence[ItemEnd]) -> ItemEnd:
    """A request is open while one of its items is; canceled when every item was; delivered
    when every item that was not canceled was delivered; otherwise not delivered."""
    if not items or any(i == ItemEnd.OPEN for i in items):
        return ItemEnd.OPEN
    kept = [i for i in items if i != ItemEnd.CANCELED]
    if not kept:
        return ItemEnd.CANCELED
    if all(i == ItemEnd.DELIVERED for i in kept):
        return ItemEnd.DELIVERED
    return ItemEnd.NOT_DELIVERED

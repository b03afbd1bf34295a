"""Task templates, stage order and request outcomes (pure, no app)."""

from __future__ import annotations

import pytest

from app.requests.fulfilment.stages import (
    Finish,
    ItemEnd,
    Next,
    TaskSpec,
    TaskStatus,
    TemplateInvalid,
    next_step,
    parse_template,
    request_outcome,
)
from app.requests.states import TaskState, task_transition_problems

OPEN, DONE, SKIP, FAIL = (
    TaskStatus.OPEN,
    TaskStatus.COMPLETE,
    TaskStatus.SKIPPED,
    TaskStatus.INCOMPLETE,
)


def test_parse_template_sorts_by_stage_and_keeps_order_within_a_stage():
    specs = parse_template(
        [{"stage": 2, "name": "b"}, {"name": "a1"}, {"stage": "1", "name": "a2", "group_id": 5}],
        frozenset({5}),
    )
    assert specs == (TaskSpec(1, "a1"), TaskSpec(1, "a2", 5), TaskSpec(2, "b"))


def test_parse_template_reports_each_problem():
    with pytest.raises(TemplateInvalid) as refused:
        parse_template(
            [{"stage": 0, "name": "x"}, {"stage": "two", "name": ""}, {"name": "c", "group_id": 6}],
            frozenset({5}),
        )
    assert set(refused.value.problems) == {
        "tasks.0.stage",
        "tasks.1.stage",
        "tasks.1.name",
        "tasks.2.group_id",
    }


@pytest.mark.parametrize(
    ("tasks", "started", "expected"),
    [
        ([], None, Next(1)),
        ([(1, OPEN), (1, DONE)], 1, Next(None)),
        ([(1, DONE), (1, SKIP)], 1, Next(3)),
        ([(1, DONE), (3, DONE)], 3, Finish(complete=True)),
        ([(1, FAIL), (1, DONE)], 1, Finish(complete=False)),
        ([(0, DONE)], 0, Next(1)),  # the manual task of a failed automation goes first
        ([(1, TaskStatus.CANCELED)], 1, Finish(complete=False)),
    ],
)
def test_next_step(tasks, started, expected):
    assert next_step([1, 1, 3], tasks, started=started) == expected


def test_an_empty_plan_is_finished_at_once():
    assert next_step([], [], started=None) == Finish(complete=True)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], ItemEnd.OPEN),
        ([ItemEnd.DELIVERED, ItemEnd.OPEN], ItemEnd.OPEN),
        ([ItemEnd.CANCELED, ItemEnd.CANCELED], ItemEnd.CANCELED),
        ([ItemEnd.DELIVERED, ItemEnd.CANCELED], ItemEnd.DELIVERED),
        ([ItemEnd.DELIVERED, ItemEnd.NOT_DELIVERED], ItemEnd.NOT_DELIVERED),
    ],
)
def test_request_outcome(items, expected):
    assert request_outcome(items) == expected


def test_task_transitions():
    assert task_transition_problems(TaskState.NEW, TaskState.IN_PROGRESS) == {}
    assert "state" in task_transition_problems(TaskState.CLOSED, TaskState.IN_PROGRESS)
    assert "state" in task_transition_problems(TaskState.NEW, TaskState.CANCELED)
    assert task_transition_problems(TaskState.NEW, TaskState.CLOSED, close_code="complete") == {}
    assert "close_notes" in task_transition_problems(
        TaskState.NEW, TaskState.CLOSED, close_code="skipped"
    )

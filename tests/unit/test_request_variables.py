"""Catalog form definitions and answers (pure, no app): every variable type, required flags,
limits, safe patterns, and the lookup for people and CIs."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.requests.catalog.variables import (
    AnswersInvalid,
    DefinitionInvalid,
    Variable,
    VariableType,
    describe_answers,
    parse_form,
    pattern_problem,
    validate_answers,
)

PEOPLE = {5: "Ann Smith"}
CIS = {9: ("Firefox", "software"), 10: ("db-01", "server")}


def lookup(variable, ident):
    if variable.type == VariableType.PERSON:
        return PEOPLE.get(ident)
    name, cls = CIS.get(ident, (None, None))
    return name if name and (variable.ci_class is None or variable.ci_class == cls) else None


FORM = parse_form(
    [
        {
            "name": "title",
            "label": "Title",
            "type": "text",
            "required": True,
            "max_length": 20,
            "pattern": r"[A-Z]{2}-\d+",
        },
        {"name": "notes", "label": "Notes", "type": "long_text"},
        {"name": "count", "label": "Count", "type": "number", "minimum": 1, "maximum": 10},
        {"name": "day", "label": "Day", "type": "date", "minimum": "2026-01-01"},
        {"name": "size", "label": "Size", "type": "choice", "choices": "S\nM\nL"},
        {"name": "extras", "label": "Extras", "type": "multi_choice", "choices": ["x", "y"]},
        {"name": "agree", "label": "I agree", "type": "checkbox", "required": True},
        {"name": "who", "label": "Who", "type": "person"},
        {"name": "app", "label": "App", "type": "ci", "ci_class": "software"},
        {"name": "scan", "label": "Scan", "type": "attachment"},
    ]
)
GOOD = {"title": "AB-12", "agree": "on"}


def problems(raw):
    with pytest.raises(AnswersInvalid) as refused:
        validate_answers(FORM, raw, lookup)
    return refused.value.problems


def test_definitions_round_trip_through_json():
    again = parse_form([v.to_json() for v in FORM])
    assert again == FORM
    offer = {"name": "sw", "label": "Software", "type": "ci", "ci_class": "software"}
    offer |= {"ci_attribute": "installs_on", "ci_value": " Workstations "}
    (variable,) = parse_form([offer])
    assert (variable.ci_attribute, variable.ci_value) == ("installs_on", "Workstations")
    assert parse_form([variable.to_json()]) == (variable,)
    assert FORM[4].choices == ("S", "M", "L")


@dataclass
class Upload:
    filename: str


def test_answers_are_typed():
    answers, uploads = validate_answers(
        FORM,
        {
            **GOOD,
            "notes": " line\n",
            "count": "2.5",
            "day": "2026-02-03",
            "size": "M",
            "extras": ["y", "x", "y"],
            "who": "5",
            "app": 9,
            "scan": Upload("a.png"),
            "csrf": "z",
        },
        lookup,
    )
    assert answers == {
        "title": "AB-12",
        "notes": "line",
        "count": 2.5,
        "day": "2026-02-03",
        "size": "M",
        "extras": ["x", "y"],
        "agree": True,
        "who": {"id": 5, "label": "Ann Smith"},
        "app": {"id": 9, "label": "Firefox"},
    }
    assert uploads == {"scan": Upload("a.png")}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"agree": "on"}, "title"),
        ({"title": "ab-12", "agree": "on"}, "title"),
        ({"title": "AB-" + "1" * 30, "agree": "on"}, "title"),
        ({"title": "AB-1"}, "agree"),
        ({**GOOD, "agree": "maybe"}, "agree"),
        ({**GOOD, "count": "ten"}, "count"),
        ({**GOOD, "count": "11"}, "count"),
        ({**GOOD, "count": "nan"}, "count"),
        ({**GOOD, "count": True}, "count"),
        ({**GOOD, "day": "2025-12-31"}, "day"),
        ({**GOOD, "day": "31/12/2026"}, "day"),
        ({**GOOD, "size": "XL"}, "size"),
        ({**GOOD, "extras": ["x", "z"]}, "extras"),
        ({**GOOD, "who": "6"}, "who"),
        ({**GOOD, "who": "Ann"}, "who"),
        ({**GOOD, "app": "10"}, "app"),
        ({**GOOD, "notes": "x" * 20_001}, "notes"),
    ],
)
def test_bad_answers_name_the_variable(raw, field):
    assert field in problems(raw)


def test_optional_answers_may_be_left_out_and_a_checkbox_is_always_there():
    answers, _ = validate_answers(FORM, {**GOOD, "size": "", "extras": []}, lookup)
    assert answers == {"title": "AB-12", "agree": True}


@pytest.mark.parametrize(
    ("definition", "key"),
    [
        ({"name": "1abc", "label": "x", "type": "text"}, "variables.0.name"),
        ({"name": "a", "label": "", "type": "text"}, "variables.0.label"),
        ({"name": "a", "label": "x", "type": "colour"}, "variables.0.type"),
        ({"name": "a", "label": "x", "type": "choice"}, "variables.0.choices"),
        (
            {"name": "a", "label": "x", "type": "number", "minimum": 5, "maximum": 1},
            "variables.0.maximum",
        ),
        ({"name": "a", "label": "x", "type": "date", "minimum": "soon"}, "variables.0.minimum"),
        ({"name": "a", "label": "x", "type": "text", "minimum": 1}, "variables.0.minimum"),
        ({"name": "a", "label": "x", "type": "text", "max_length": 501}, "variables.0.max_length"),
        ({"name": "a", "label": "x", "type": "number", "max_length": 5}, "variables.0.max_length"),
        ({"name": "a", "label": "x", "type": "text", "pattern": "(a+)+$"}, "variables.0.pattern"),
        ({"name": "a", "label": "x", "type": "text", "pattern": "(["}, "variables.0.pattern"),
        ({"name": "a", "label": "x", "type": "long_text", "pattern": "a"}, "variables.0.pattern"),
        ({"name": "a", "label": "x", "type": "text", "ci_class": "server"}, "variables.0.ci_class"),
        (
            {"name": "a", "label": "x", "type": "text", "ci_attribute": "os", "ci_value": "x"},
            "variables.0.ci_attribute",
        ),
        (
            {"name": "a", "label": "x", "type": "ci", "ci_attribute": "os", "ci_value": "x"},
            "variables.0.ci_class",
        ),
        (
            {"name": "a", "label": "x", "type": "ci", "ci_class": "software", "ci_value": "x"},
            "variables.0.ci_attribute",
        ),
        (
            {"name": "a", "label": "x", "type": "ci", "ci_class": "server", "ci_attribute": "os"},
            "variables.0.ci_value",
        ),
    ],
)
def test_bad_definitions_name_the_variable_and_field(definition, key):
    with pytest.raises(DefinitionInvalid) as refused:
        parse_form([definition])
    assert key in refused.value.problems
    assert refused.value.problems[key].startswith("Variable 1")


def test_repeated_names_and_non_lists_are_refused():
    twice = {"name": "a", "label": "x", "type": "text"}
    with pytest.raises(DefinitionInvalid):
        parse_form([twice, twice])
    with pytest.raises(DefinitionInvalid):
        parse_form("text")  # type: ignore[arg-type]
    with pytest.raises(DefinitionInvalid):
        parse_form([twice] * 61)


@pytest.mark.parametrize(
    ("pattern", "safe"),
    [
        (r"^[A-Z]{2}\d{4}$", True),
        (r"(\d{3}-)?\d{4}", True),
        (r"[)(]+x", True),
        (r"(ab)+", True),
        (r"(a+)+", False),
        (r"(a|aa)*b", False),
        (r"(\w+\s?){2,}", False),
        (r"\d*\d*\d*", False),
        (r"(a)\1", False),
        (r"(?=a)a", False),
        ("a" * 201, False),
    ],
)
def test_pattern_safety(pattern, safe):
    assert (pattern_problem(pattern) is None) == safe


def test_describe_answers_reads_with_the_version_ordered_with():
    answers, _ = validate_answers(FORM, {**GOOD, "extras": ["x", "y"], "who": "5"}, lookup)
    rows = dict(describe_answers(FORM, answers))
    assert rows["Extras"] == "x, y"
    assert rows["Who"] == "Ann Smith"
    assert rows["I agree"] == "Yes"
    assert rows["Notes"] == ""
    assert describe_answers((Variable("gone", "Gone", VariableType.TEXT),), {}) == [("Gone", "")]

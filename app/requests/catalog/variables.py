"""Catalog item forms: variable definitions and the answers given to them (a pure core).

A form is a list of variable definitions, stored as JSON in an immutable form version; a
request item keeps the version it was ordered with and its answers as typed JSON:

=================  ====================================  =========================================
type               answer stored as                      validation
=================  ====================================  =========================================
``text``           ``str``                               max length (≤ 500), a safe pattern
``long_text``      ``str``                               max length (≤ 20,000)
``number``         ``int`` or ``float``                  minimum, maximum
``date``           ISO date ``"2026-05-04"``             minimum, maximum (ISO dates)
``choice``         one of the choices (``str``)          must be listed
``multi_choice``   the chosen values, in listed order    each must be listed
``checkbox``       ``bool`` (always present)             required means "must be ticked"
``person``         ``{"id": 5, "label": "Ann Smith"}``   an active person (through ``lookup``)
``ci``             ``{"id": 9, "label": "Firefox"}``     a CI the variable offers (``lookup``)
``attachment``     ``{"id": 3, "label": "scan.pdf"}``    an uploaded file (stored by the service)
=================  ====================================  =========================================

No Flask, no database: a person or CI is checked through the ``lookup`` callable the service
passes in, ``lookup(variable, id) -> label or None``. Unanswered optional variables are left
out of the answers (a checkbox is always there).

A CI variable *offers* configuration items: those of ``ci_class`` (and its subclasses), and
with ``ci_attribute`` only those whose attribute of that name equals ``ci_value`` (e.g. the
software whose "installs_on" is "Workstations"). Without a class it offers every CI. The
employee's picker lists, and the answer may name, only what the variable offers.

A definition may carry other languages' texts, ``"translations": {"sv": {"label": …, "help":
…, "choices": [one text per choice, in order]}}``: :meth:`Variable.in_language` shows them.
The stored answers stay the (English) choices, whatever language the person ordered in.

Patterns must pass :func:`app.requests.catalog.patterns.pattern_problem` (a subset on which Python's
backtracking engine cannot take exponential time), and the answers they check are at most 500
characters.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from app.i18n import N_
from app.requests.catalog.patterns import pattern_problem
from app.requests.problems import Problems

__all__ = [
    "AnswersInvalid",
    "DefinitionInvalid",
    "Lookup",
    "Variable",
    "VariableType",
    "describe_answers",
    "parse_form",
    "pattern_problem",
    "validate_answers",
]

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_VARIABLES = 60
MAX_CHOICES = 100
TEXT_LIMIT = 500
LONG_TEXT_LIMIT = 20_000
TRUE_WORDS = frozenset({"1", "true", "on", "yes", "y"})
FALSE_WORDS = frozenset({"", "0", "false", "off", "no", "n"})


class VariableType(enum.StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    CHECKBOX = "checkbox"
    PERSON = "person"
    CI = "ci"
    ATTACHMENT = "attachment"

    @property
    def label(self) -> str:
        """The type in English; pages show ``_(kind.label)``."""
        return _TYPE_LABELS[self]


_TYPE_LABELS = {
    VariableType.TEXT: N_("Text"),
    VariableType.LONG_TEXT: N_("Long text"),
    VariableType.NUMBER: N_("Number"),
    VariableType.DATE: N_("Date"),
    VariableType.CHOICE: N_("Choice"),
    VariableType.MULTI_CHOICE: N_("Multiple choice"),
    VariableType.CHECKBOX: N_("Checkbox"),
    VariableType.PERSON: N_("Person"),
    VariableType.CI: N_("Configuration item"),
    VariableType.ATTACHMENT: N_("Attachment"),
}
CHOICE_TYPES = frozenset({VariableType.CHOICE, VariableType.MULTI_CHOICE})
REFERENCE_TYPES = frozenset({VariableType.PERSON, VariableType.CI})

# lookup(variable, id) -> the label of an active person / a CI the variable offers, or None.
Lookup = Callable[["Variable", int], str | None]
Gettext = Callable[..., str]  # ``gettext(message, **values)``
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
CI_VALUE_LIMIT = 200


class DefinitionInvalid(Problems):
    """A form definition breaks a rule; ``problems`` maps ``variables.<i>.<field>`` to a
    message that names the variable."""


class AnswersInvalid(Problems):
    """Answers break the form; ``problems`` maps each variable name to a message."""


@dataclass(frozen=True)
class Variable:
    """One question of a form. ``minimum``/``maximum`` are numbers for ``number`` and ISO
    dates for ``date``; ``max_length`` and ``pattern`` apply to text; ``ci_class``,
    ``ci_attribute`` and ``ci_value`` say which CIs a ``ci`` variable offers."""

    name: str
    label: str
    type: VariableType
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | str | None = None
    maximum: float | str | None = None
    max_length: int | None = None
    pattern: str | None = None
    ci_class: str | None = None
    ci_attribute: str | None = None
    ci_value: str | None = None
    # Other languages: {"sv": {"label": …, "help": …, "choices": (…,)}} (texts only).
    translations: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, hash=False)
    # What a person reads for each choice (same order as ``choices``; empty: the choices).
    choice_texts: tuple[str, ...] = ()

    def in_language(self, language: str) -> Variable:
        """The variable as a reader of ``language`` sees it: its label, help and choice texts
        in that language where given, else the originals. Choices (the answers) are unchanged."""
        texts = self.translations.get(language) or {}
        if not texts:
            return self
        return replace(
            self,
            label=texts.get("label") or self.label,
            help=texts.get("help") or self.help,
            choice_texts=tuple(
                shown or choice
                for choice, shown in zip(
                    self.choices, texts.get("choices") or self.choices, strict=False
                )
            ),
        )

    def choice_text(self, choice: str) -> str:
        """What a person reads for the stored ``choice``."""
        if self.choice_texts and choice in self.choices:
            return self.choice_texts[self.choices.index(choice)]
        return choice

    def to_json(self) -> dict[str, Any]:
        """The definition as stored in a form version (defaults left out)."""
        data: dict[str, Any] = {"name": self.name, "label": self.label, "type": self.type.value}
        for key in (
            "required",
            "help",
            "minimum",
            "maximum",
            "max_length",
            "pattern",
            "ci_class",
            "ci_attribute",
            "ci_value",
        ):
            value = getattr(self, key)
            if value not in (None, "", False):
                data[key] = value
        if self.choices:
            data["choices"] = list(self.choices)
        if self.translations:
            data["translations"] = {
                language: {k: list(v) if k == "choices" else v for k, v in texts.items()}
                for language, texts in self.translations.items()
            }
        return data


# -- definitions ----------------------------------------------------------------------------


def _english(message: str, **values: Any) -> str:
    """The ``gettext`` of callers that read English (scripts, the API's machine checks)."""
    return message % values if values else message


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def _iso_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _bound(kind: VariableType, value: Any) -> float | str | None:
    if value in (None, ""):
        return None
    if kind == VariableType.NUMBER:
        number = _number(value)
        if number is None:
            raise ValueError("number")
        return int(number) if number.is_integer() else number
    if kind == VariableType.DATE:
        day = _iso_date(value)
        if day is None:
            raise ValueError("date")
        return day.isoformat()
    raise ValueError("type")


# What a bound (``minimum``/``maximum``) that ``_bound`` refuses gets: by bound and reason.
BOUND_PROBLEMS = {
    ("minimum", "number"): N_("Variable %(number)s (%(name)s): the minimum must be a number."),
    ("maximum", "number"): N_("Variable %(number)s (%(name)s): the maximum must be a number."),
    ("minimum", "date"): N_(
        "Variable %(number)s (%(name)s): the minimum must be a date (YYYY-MM-DD)."
    ),
    ("maximum", "date"): N_(
        "Variable %(number)s (%(name)s): the maximum must be a date (YYYY-MM-DD)."
    ),
    ("minimum", "type"): N_(
        "Variable %(number)s (%(name)s): a minimum does not apply to %(type)s variables."
    ),
    ("maximum", "type"): N_(
        "Variable %(number)s (%(name)s): a maximum does not apply to %(type)s variables."
    ),
}


def _parse_one(
    raw: Mapping[str, Any], where: str, problems: dict[str, str], _: Gettext = _english
) -> Variable | None:
    name = str(raw.get("name") or "").strip()
    label = " ".join(str(raw.get("label") or "").split())
    title = {"number": int(where.split(".")[-1]) + 1, "name": label or name or _("unnamed")}

    def problem(field: str, message: str, **values: Any) -> None:
        """Note ``message`` (a marked sentence naming the variable by ``title``)."""
        problems.setdefault(f"{where}.{field}", _(message, **title, **values))

    if not NAME.match(name):
        problem(
            "name",
            N_(
                "Variable %(number)s (%(name)s): the name must be lower-case letters, digits "
                "and _ (max 40)."
            ),
        )
    if not label or len(label) > 200:
        problem(
            "label",
            N_("Variable %(number)s (%(name)s): give it a label of at most 200 characters."),
        )
    try:
        kind = VariableType(str(raw.get("type") or ""))
    except ValueError:
        problem("type", N_("Variable %(number)s (%(name)s): choose a type from the list."))
        return None
    choices: list[str] = []
    raw_choices = raw.get("choices") or []
    if isinstance(raw_choices, str):
        raw_choices = raw_choices.splitlines()
    for choice in raw_choices:
        text = " ".join(str(choice).split())
        if text and text not in choices:
            choices.append(text[:200])
    if kind in CHOICE_TYPES and not choices:
        problem("choices", N_("Variable %(number)s (%(name)s): list at least one choice."))
    if len(choices) > MAX_CHOICES:
        problem(
            "choices",
            N_("Variable %(number)s (%(name)s): at most %(max)s choices."),
            max=MAX_CHOICES,
        )
    bounds: dict[str, Any] = {}
    for key in ("minimum", "maximum"):
        try:
            bounds[key] = _bound(kind, raw.get(key))
        except ValueError as error:
            problem(key, BOUND_PROBLEMS[key, str(error)], type=_(kind.label).lower())
    low, high = bounds.get("minimum"), bounds.get("maximum")
    if low is not None and high is not None and low > high:
        problem("maximum", N_("Variable %(number)s (%(name)s): the maximum is below the minimum."))
    max_length = raw.get("max_length")
    if max_length in (None, ""):
        max_length = None
    elif kind not in (VariableType.TEXT, VariableType.LONG_TEXT):
        problem(
            "max_length",
            N_("Variable %(number)s (%(name)s): a maximum length applies to text only."),
        )
    else:
        limit = TEXT_LIMIT if kind == VariableType.TEXT else LONG_TEXT_LIMIT
        try:
            max_length = int(str(max_length))
        except ValueError:
            max_length = 0
        if not 1 <= max_length <= limit:
            problem(
                "max_length",
                N_("Variable %(number)s (%(name)s): the maximum length must be 1 to %(limit)s."),
                limit=limit,
            )
    pattern = str(raw.get("pattern") or "") or None
    if pattern is not None:
        if kind != VariableType.TEXT:
            problem(
                "pattern",
                N_("Variable %(number)s (%(name)s): a pattern applies to short text only."),
            )
        elif why := pattern_problem(pattern, _):
            problem("pattern", N_("Variable %(number)s (%(name)s): %(problem)s"), problem=why)
    ci_class = str(raw.get("ci_class") or "").strip() or None
    if ci_class is not None and kind != VariableType.CI:
        problem(
            "ci_class",
            N_("Variable %(number)s (%(name)s): a CI class applies to CI variables only."),
        )
    ci_attribute, ci_value = _ci_filter(raw, kind, ci_class, problem)
    help_text = str(raw.get("help") or "").strip()
    if len(help_text) > 1000:
        problem(
            "help", N_("Variable %(number)s (%(name)s): keep the help text under 1000 characters.")
        )
    translations = _translations(raw.get("translations"), kind, choices, problem)
    return Variable(
        name=name,
        label=label,
        type=kind,
        required=bool(raw.get("required")),
        help=help_text,
        choices=tuple(choices) if kind in CHOICE_TYPES else (),
        minimum=low,
        maximum=high,
        max_length=max_length if isinstance(max_length, int) else None,
        pattern=pattern,
        ci_class=ci_class,
        ci_attribute=ci_attribute,
        ci_value=ci_value,
        translations=translations,
    )


def _translations(
    raw: Any,
    kind: VariableType,
    choices: list[str],
    problem: Callable[..., None],
) -> dict[str, dict[str, Any]]:
    """Other languages' label, help and choice texts, checked; empty texts left out. Problems
    are keyed ``<field>_<language>`` (``label_sv``)."""
    result: dict[str, dict[str, Any]] = {}
    for language, texts in (raw or {}).items() if isinstance(raw, Mapping) else ():
        if not isinstance(texts, Mapping):
            continue
        clean: dict[str, Any] = {}
        label = " ".join(str(texts.get("label") or "").split())
        if len(label) > 200:
            problem(
                f"label_{language}",
                N_(
                    "Variable %(number)s (%(name)s): keep the translated label under 200 "
                    "characters."
                ),
            )
        elif label:
            clean["label"] = label
        help_text = str(texts.get("help") or "").strip()
        if len(help_text) > 1000:
            problem(
                f"help_{language}",
                N_(
                    "Variable %(number)s (%(name)s): keep the translated help under 1000 "
                    "characters."
                ),
            )
        elif help_text:
            clean["help"] = help_text
        shown = texts.get("choices") or []
        if isinstance(shown, str):
            shown = [line for line in shown.splitlines() if line.strip()]
        shown = [" ".join(str(text).split())[:200] for text in shown]
        if shown and kind in CHOICE_TYPES:
            if len(shown) != len(choices):
                problem(
                    f"choices_{language}",
                    N_(
                        "Variable %(number)s (%(name)s): give one translated choice per choice, "
                        "in the same order (%(count)s)."
                    ),
                    count=len(choices),
                )
            else:
                clean["choices"] = tuple(shown)
        if clean:
            result[str(language)] = clean
    return result


def _ci_filter(
    raw: Mapping[str, Any],
    kind: VariableType,
    ci_class: str | None,
    problem: Callable[..., None],
) -> tuple[str | None, str | None]:
    """The attribute filter of a CI variable: both parts or neither, and only with a class
    (an attribute belongs to a class). Whether the class has the attribute and the value fits
    its type is the catalog service's check (it needs the CMDB)."""
    attribute = str(raw.get("ci_attribute") or "").strip() or None
    value = " ".join(str(raw.get("ci_value") or "").split()) or None
    if attribute is None and value is None:
        return None, None
    if kind != VariableType.CI:
        problem(
            "ci_attribute",
            N_("Variable %(number)s (%(name)s): an attribute filter applies to CI variables only."),
        )
    elif ci_class is None:
        problem(
            "ci_class",
            N_(
                "Variable %(number)s (%(name)s): choose the CI class whose attribute filters "
                "the offer."
            ),
        )
    elif attribute is None or not ATTRIBUTE_NAME.match(attribute):
        problem(
            "ci_attribute",
            N_("Variable %(number)s (%(name)s): name the attribute (its name, e.g. installs_on)."),
        )
    elif value is None or len(value) > CI_VALUE_LIMIT:
        problem(
            "ci_value",
            N_("Variable %(number)s (%(name)s): give the value the attribute must equal."),
        )
    return attribute, value


def parse_form(
    raw: Sequence[Mapping[str, Any]], gettext: Gettext = _english
) -> tuple[Variable, ...]:
    """The variables of a form definition, checked; what it refuses is worded with
    ``gettext`` (English by default).

    :raise DefinitionInvalid: a variable is malformed, names repeat, or there are too many.
    """
    problems: dict[str, str] = {}
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise DefinitionInvalid({"variables": gettext("A form is a list of variables.")})
    if len(raw) > MAX_VARIABLES:
        raise DefinitionInvalid(
            {"variables": gettext("A form has at most %(max)s variables.", max=MAX_VARIABLES)}
        )
    variables: list[Variable] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"variables.{index}"
        if not isinstance(item, Mapping):
            problems[where] = gettext("Variable %(number)s is not a definition.", number=index + 1)
            continue
        variable = _parse_one(item, where, problems, gettext)
        if variable is None:
            continue
        if variable.name in seen:
            problems.setdefault(
                f"{where}.name",
                gettext(
                    "Variable %(number)s: the name '%(name)s' is used twice.",
                    number=index + 1,
                    name=variable.name,
                ),
            )
        seen.add(variable.name)
        variables.append(variable)
    if problems:
        raise DefinitionInvalid(problems)
    return tuple(variables)


# -- answers --------------------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | frozenset):
        return not any(not _is_empty(v) for v in value)
    if hasattr(value, "filename"):  # an upload
        return not getattr(value, "filename", None)
    return False


def _reference(variable: Variable, value: Any, lookup: Lookup, _: Gettext) -> dict[str, Any]:
    ident = value.get("id") if isinstance(value, Mapping) else value
    person = variable.type == VariableType.PERSON
    try:
        number = int(str(ident).strip())
    except ValueError:
        if person:
            raise ValueError(_("Choose a person from the list.")) from None
        raise ValueError(_("Choose a configuration item from the list.")) from None
    label = lookup(variable, number)
    if label is None:
        if person:
            raise ValueError(_("Choose an active person from the directory."))
        raise ValueError(_("Choose one of the configuration items listed."))
    return {"id": number, "label": label}


def _answer(variable: Variable, value: Any, lookup: Lookup, _: Gettext) -> Any:
    """The typed answer to one variable; :raise ValueError: with the message to show, worded
    with ``_``."""
    kind = variable.type
    if kind in (VariableType.TEXT, VariableType.LONG_TEXT):
        text = (
            str(value).strip() if kind == VariableType.LONG_TEXT else " ".join(str(value).split())
        )
        limit = variable.max_length or (
            TEXT_LIMIT if kind == VariableType.TEXT else LONG_TEXT_LIMIT
        )
        if len(text) > limit:
            raise ValueError(_("Keep it under %(limit)s characters.", limit=limit))
        if variable.pattern and not re.fullmatch(variable.pattern, text):
            raise ValueError(_("This does not have the expected format."))
        return text
    if kind == VariableType.NUMBER:
        number = _number(value)
        if number is None:
            raise ValueError(_("Enter a number."))
        low, high = variable.minimum, variable.maximum
        if low is not None and number < float(low) or high is not None and number > float(high):
            raise ValueError(_range_message(low, high, _))
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == VariableType.DATE:
        day = _iso_date(value)
        if day is None:
            raise ValueError(_("Enter a date (YYYY-MM-DD)."))
        low, high = variable.minimum, variable.maximum
        if low is not None and day.isoformat() < str(low):
            raise ValueError(_range_message(low, high, _))
        if high is not None and day.isoformat() > str(high):
            raise ValueError(_range_message(low, high, _))
        return day.isoformat()
    if kind == VariableType.CHOICE:
        text = str(value).strip()
        if text not in variable.choices:
            raise ValueError(_("Choose one of the listed values."))
        return text
    if kind == VariableType.MULTI_CHOICE:
        values = [value] if isinstance(value, str) else list(value)
        chosen = {str(v).strip() for v in values if not _is_empty(v)}
        if chosen - set(variable.choices):
            raise ValueError(_("Choose only listed values."))
        return [c for c in variable.choices if c in chosen]
    if kind == VariableType.CHECKBOX:
        return _checkbox(value, _)
    if kind in REFERENCE_TYPES:
        return _reference(variable, value, lookup, _)
    return value  # an attachment: the service stores the upload and writes its reference


def _checkbox(value: Any, _: Gettext = _english) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(_("Tick the box or leave it empty."))


def _range_message(low: Any, high: Any, _: Gettext) -> str:
    if low is not None and high is not None:
        return _("Enter a value from %(low)s to %(high)s.", low=low, high=high)
    if low is not None:
        return _("Enter a value of at least %(low)s.", low=low)
    return _("Enter a value of at most %(high)s.", high=high)


def validate_answers(
    variables: Sequence[Variable],
    raw: Mapping[str, Any],
    lookup: Lookup,
    gettext: Gettext = _english,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check the raw answers (form strings or typed values) against ``variables``.

    Returns ``(answers, uploads)``: the typed answers, and the uploads of attachment variables
    (objects with a ``filename``) for the service to store and reference. Keys that are not
    variables are ignored.

    :raise AnswersInvalid: a required variable is unanswered, or a value is of the wrong type
        or outside its limits (one message per variable, worded with ``gettext``: the
        caller's, in the reader's language).
    """
    _ = gettext
    answers: dict[str, Any] = {}
    uploads: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for variable in variables:
        value = raw.get(variable.name)
        if variable.type == VariableType.CHECKBOX:
            try:
                answers[variable.name] = ticked = _checkbox(False if value is None else value, _)
            except ValueError as error:
                problems[variable.name] = str(error)
                continue
            if variable.required and not ticked:
                problems[variable.name] = _("Tick this box to go on.")
            continue
        if _is_empty(value):
            if variable.required:
                problems[variable.name] = _("This is required.")
            continue
        try:
            answer = _answer(variable, value, lookup, _)
        except ValueError as error:
            problems[variable.name] = str(error)
            continue
        except TypeError:
            problems[variable.name] = _("This value has the wrong type.")
            continue
        if variable.type == VariableType.ATTACHMENT:
            uploads[variable.name] = answer
        else:
            answers[variable.name] = answer
    if problems:
        raise AnswersInvalid(problems)
    return answers, uploads


def describe_answers(
    variables: Sequence[Variable],
    answers: Mapping[str, Any],
    language: str = "en",
    gettext: Gettext = _english,
) -> list[tuple[str, str]]:
    """``(label, text)`` per variable of the version the item was ordered with, for people to
    read in ``language`` (labels and choices the form translates, other words ``gettext``);
    unanswered variables show an empty text."""
    rows: list[tuple[str, str]] = []
    for variable in (v.in_language(language) for v in variables):
        value = answers.get(variable.name)
        if value is None:
            text = ""
        elif isinstance(value, bool):
            text = gettext("Yes") if value else gettext("No")
        elif isinstance(value, Mapping):
            text = str(value.get("label", value.get("id", "")))
        elif isinstance(value, list):
            text = ", ".join(variable.choice_text(str(v)) for v in value)
        elif isinstance(value, str):
            text = variable.choice_text(value)
        else:
            text = str(value)
        rows.append((variable.label, text))
    return rows

"""Catalog administration forms: input shape only (the catalog services check the rules).

The three list editors (form variables, approval levels, fulfilment tasks) are a ``FieldList``
of row sub-forms; rows are added, removed and moved with submit buttons (``op``), so they work
without JavaScript. Each editor turns its rows into the JSON-like lists the services take, and
back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.forms import MultiCheckboxField
from app.requests.approvals.rules import GroupRule, LevelKind
from app.requests.catalog.variables import MAX_VARIABLES, VariableType
from app.requests.models import Audience, Automation

MAX_LEVELS = 10
MAX_TASKS = 30


# -- categories and item settings ---------------------------------------------------------------


class CategoryForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Give the category a name.")), Length(max=100)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    name_sv = StringField(_l("Name in Swedish"), validators=[Optional(), Length(max=100)])
    description_sv = TextAreaField(
        _l("Description in Swedish"), validators=[Optional(), Length(max=2000)]
    )
    position = IntegerField(
        _l("Position"),
        validators=[Optional(), NumberRange(min=-10_000, max=10_000)],
        default=0,
        description=_l("Categories are listed by position, then by name."),
    )


class MoveForm(FlaskForm):
    """Move a category one place up or down."""

    direction = HiddenField(validators=[DataRequired()])


class ItemForm(FlaskForm):
    version = HiddenField()
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Give the item a name.")), Length(max=150)]
    )
    short_description = StringField(
        _l("Short description"),
        validators=[Optional(), Length(max=300)],
        description=_l("One line in the catalog list."),
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])
    name_sv = StringField(
        _l("Name in Swedish"),
        validators=[Optional(), Length(max=150)],
        description=_l("Empty: Swedish readers see the English text."),
    )
    short_description_sv = StringField(
        _l("Short description in Swedish"), validators=[Optional(), Length(max=300)]
    )
    description_sv = TextAreaField(
        _l("Description in Swedish"), validators=[Optional(), Length(max=20_000)]
    )
    category = SelectField(_l("Category"), validate_choice=False, default="")
    audience = SelectField(
        _l("Who may order it"),
        choices=[
            SelectChoice(Audience.EVERYONE.value, _l("Everyone")),
            SelectChoice(Audience.GROUPS.value, _l("Members of the groups below")),
        ],
        default=Audience.EVERYONE.value,
    )
    groups = MultiCheckboxField(_l("Groups that may order it"), validate_choice=False, default=())
    delivery_days = IntegerField(
        _l("Estimated delivery (business days)"),
        validators=[InputRequired(_l("Give an estimate in business days."))],
        default=5,
    )
    fulfilment_group = SelectField(
        _l("Fulfilment group"),
        validate_choice=False,
        default="",
        description=_l("The queue that works the item's tasks unless a task names another."),
    )
    service_owner = StringField(
        _l("Service owner (username)"),
        validators=[Optional(), Length(max=150)],
        description=_l("Approves items whose policy asks the service owner."),
    )
    automation = SelectField(
        _l("Automated fulfilment"),
        choices=[
            SelectChoice("", _l("None")),
            SelectChoice(
                Automation.DIRECTORY_GROUP.value, _l("Add the person to a directory group")
            ),
        ],
        default="",
    )
    automation_group = SelectField(
        _l("Directory group"),
        validate_choice=False,
        default="",
        description=_l("Empty: the form's “directory_group” choice names the group."),
    )
    is_active = BooleanField(
        _l("Active (employees may order it)"),
        default=False,
        description=_l("Publish it once its form is ready."),
    )


# -- the list editors ---------------------------------------------------------------------------


class VariableRow(Form):
    name = StringField(
        _l("Name"),
        validators=[Length(max=40)],
        description=_l("a–z, digits and _; stored with answers."),
    )
    label = StringField(_l("Label"), validators=[Length(max=200)])
    type = SelectField(
        _l("Type"),
        choices=[SelectChoice(t.value, _l(t.label)) for t in VariableType],
        default=VariableType.TEXT.value,
    )
    required = BooleanField(_l("Required"))
    help = StringField(_l("Help text"), validators=[Length(max=1000)])
    choices = TextAreaField(
        _l("Choices"), validators=[Length(max=20_000)], description=_l("One a line (choice types).")
    )
    minimum = StringField(
        _l("Minimum"), validators=[Length(max=40)], description=_l("Number or YYYY-MM-DD date.")
    )
    maximum = StringField(_l("Maximum"), validators=[Length(max=40)])
    max_length = StringField(
        _l("Maximum length"), validators=[Length(max=10)], description=_l("Text.")
    )
    pattern = StringField(
        _l("Pattern"),
        validators=[Length(max=200)],
        description=_l("A regular expression (short text)."),
    )
    ci_class = SelectField(
        _l("CI class"), default="", description=_l("Configuration item variables: the CIs offered.")
    )
    ci_attribute = StringField(
        _l("Only CIs whose attribute"),
        validators=[Length(max=60)],
        description=_l("Optional: an attribute of the class, e.g. installs_on."),
    )
    ci_value = StringField(
        "equals", validators=[Length(max=200)], description=_l("e.g. Workstations.")
    )
    label_sv = StringField(_l("Label in Swedish"), validators=[Length(max=200)])
    help_sv = StringField(_l("Help text in Swedish"), validators=[Length(max=1000)])
    choices_sv = TextAreaField(
        _l("Choices in Swedish"),
        description=_l(
            "One per line, in the order of the choices. Empty: the choices as they are."
        ),
    )


class FormBuilderForm(FlaskForm):
    number = HiddenField()  # the form version the editor started from
    variables = FieldList(FormField(VariableRow), max_entries=MAX_VARIABLES)


class LevelRow(Form):
    kind = SelectField(
        _l("Who approves"),
        choices=[SelectChoice(k.value, _l(k.label)) for k in LevelKind],
        default=LevelKind.MANAGER.value,
    )
    group = SelectField(_l("Group"), validate_choice=False, default="")
    rule = SelectField(
        _l("Rule"),
        choices=[SelectChoice(r.value, _l(r.label)) for r in GroupRule],
        default=GroupRule.ANYONE.value,
    )


class PolicyForm(FlaskForm):
    version = HiddenField()
    levels = FieldList(FormField(LevelRow), max_entries=MAX_LEVELS)


class TaskRow(Form):
    stage = StringField(_l("Stage"), validators=[Length(max=10)], default="1")
    name = StringField(_l("Task"), validators=[Length(max=200)])
    group = SelectField(_l("Group"), validate_choice=False, default="")
    description = TextAreaField(_l("Instructions"), validators=[Length(max=4000)])


class TemplateForm(FlaskForm):
    version = HiddenField()
    tasks = FieldList(FormField(TaskRow), max_entries=MAX_TASKS)


# -- other languages ---------------------------------------------------------------------------

# The language the editors' "… in Swedish" fields write (``<field>_sv``).
OTHER_LANGUAGE = "sv"


def fill_translations(form: FlaskForm, obj: Any, fields: Iterable[str]) -> FlaskForm:
    """Put ``obj.translations``' texts in the form's ``<field>_sv`` inputs."""
    texts = (getattr(obj, "translations", None) or {}).get(OTHER_LANGUAGE) or {}
    for field in fields:
        form[f"{field}_{OTHER_LANGUAGE}"].data = texts.get(field, "")
    return form


def read_translations(form: FlaskForm, fields: Iterable[str]) -> dict[str, dict[str, str]]:
    """The form's ``<field>_sv`` inputs as a service's ``translations`` value."""
    return {
        OTHER_LANGUAGE: {f: form[f"{f}_{OTHER_LANGUAGE}"].data or "" for f in fields},
    }


# -- rows <-> the services' lists ---------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def variable_rows(definitions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A stored form's variables as editor rows."""
    return [
        {
            "name": _text(d.get("name")),
            "label": _text(d.get("label")),
            "type": _text(d.get("type")),
            "required": bool(d.get("required")),
            "help": _text(d.get("help")),
            "choices": "\n".join(str(c) for c in d.get("choices") or ()),
            **{k: _text(d.get(k)) for k in ("minimum", "maximum", "max_length", "pattern")},
            **{k: _text(d.get(k)) for k in ("ci_class", "ci_attribute", "ci_value")},
            **_translation_row(d.get("translations") or {}),
        }
        for d in definitions
    ]


def _translation_row(translations: Mapping[str, Any]) -> dict[str, str]:
    texts = translations.get(OTHER_LANGUAGE) or {}
    return {
        f"label_{OTHER_LANGUAGE}": _text(texts.get("label")),
        f"help_{OTHER_LANGUAGE}": _text(texts.get("help")),
        f"choices_{OTHER_LANGUAGE}": "\n".join(str(c) for c in texts.get("choices") or ()),
    }


def variable_definitions(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Editor rows as the definitions ``save_form`` takes (text trimmed; empty means unset)."""
    keys = ("name", "label", "type", "help", "choices", "minimum", "maximum", "max_length")
    return [
        {k: _text(r.get(k)).strip() for k in keys}
        | {"required": bool(r.get("required")), "pattern": _text(r.get("pattern"))}
        | {k: _text(r.get(k)).strip() for k in ("ci_class", "ci_attribute", "ci_value")}
        | {
            "translations": {
                OTHER_LANGUAGE: {
                    k: _text(r.get(f"{k}_{OTHER_LANGUAGE}")).strip()
                    for k in ("label", "help", "choices")
                }
            }
        }
        for r in rows
    ]


def level_rows(policy: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "kind": _text(level.get("kind")),
            "group": _text(level.get("group_id")),
            "rule": _text(level.get("rule") or GroupRule.ANYONE.value),
        }
        for level in policy
    ]


def policy_levels(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"kind": _text(r.get("kind")), "group_id": _text(r.get("group")) or None}
        | {"rule": _text(r.get("rule"))}
        for r in rows
    ]


def task_rows(template: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "stage": _text(t.get("stage")),
            "name": _text(t.get("name")),
            "group": _text(t.get("group_id")),
            "description": _text(t.get("description")),
        }
        for t in template
    ]


def template_tasks(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "stage": _text(r.get("stage")).strip(),
            "name": _text(r.get("name")),
            "group_id": _text(r.get("group")) or None,
            "description": _text(r.get("description")),
        }
        for r in rows
    ]


def apply_row_op(op: str, rows: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The rows after ``op``: ``add`` (a blank row, up to ``limit``), ``remove-3``, ``up-3`` or
    ``down-3``; an unknown operation or position leaves them as they are."""
    action, _, where = op.partition("-")
    if action == "add":
        return rows + [{}] if len(rows) < limit else rows
    index = int(where) if where.isdecimal() and len(where) < 4 else -1
    if action not in ("remove", "up", "down") or not 0 <= index < len(rows):
        return rows
    rows = list(rows)
    if action == "remove":
        del rows[index]
    else:
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(rows):
            rows[index], rows[other] = rows[other], rows[index]
    return rows

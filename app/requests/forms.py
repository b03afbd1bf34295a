"""Service request forms: input shape only; the rules (answers, approvals, periods) live in the
services, whose ``Invalid`` errors are put back on these fields.

An item's order form is built from its form version: one WTForms field per variable, in a
``BaseForm`` (fields are looked up by name, so a variable may be called ``data`` or ``meta``)
prefixed ``lines-<i>`` so that several items share one page (the cart).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.form import BaseForm
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional
from wtforms.widgets import DateInput, NumberInput

from app.forms import MultiCheckboxField, OneSubmission
from app.requests.catalog.variables import Variable, VariableType

NO_CHOICE = SelectChoice("", _l("— Choose —"))


def picker_field(label: str, description: str) -> SelectField:
    """A person or CI select; its options are the current choice and what a search finds."""
    return SelectField(
        label, choices=[NO_CHOICE], default="", validate_choice=False, description=description
    )


def _field(variable: Variable) -> Any:
    """An unbound field for one variable; no validators (the service checks the answers)."""
    label, help_text = variable.label, variable.help
    kind = variable.type
    if kind == VariableType.TEXT:
        return StringField(label, description=help_text)
    if kind == VariableType.LONG_TEXT:
        return TextAreaField(label, description=help_text)
    if kind == VariableType.NUMBER:
        return StringField(label, description=help_text, widget=NumberInput(step="any"))
    if kind == VariableType.DATE:
        return StringField(label, description=help_text, widget=DateInput())
    if kind == VariableType.CHOICE:
        choices = [NO_CHOICE] + [SelectChoice(c, variable.choice_text(c)) for c in variable.choices]
        return SelectField(
            label, description=help_text, choices=choices, default="", validate_choice=False
        )
    if kind == VariableType.MULTI_CHOICE:
        return MultiCheckboxField(
            label,
            description=help_text,
            choices=[SelectChoice(c, variable.choice_text(c)) for c in variable.choices],
            default=[],
            validate_choice=False,
        )
    if kind == VariableType.CHECKBOX:
        return BooleanField(label, description=help_text, default=False)
    if kind == VariableType.ATTACHMENT:
        return FileField(label, description=help_text)
    return picker_field(label, help_text)  # person and CI


def line_form(
    index: int, variables: Sequence[Variable], formdata: Any = None, answers: Mapping | None = None
) -> BaseForm:
    """The fields of one cart line (``lines-<index>-<variable>``), filled from the posted
    ``formdata`` (re-shown after an error) or from nothing (a fresh form)."""
    form = BaseForm([(v.name, _field(v)) for v in variables], prefix=f"lines-{index}")
    form.process(formdata)
    return form


def raw_answers(form: BaseForm, variables: Iterable[Variable]) -> dict[str, Any]:
    """The posted values as the ordering service takes them (strings, lists, bools, files)."""
    return {v.name: form[v.name].data for v in variables}


def set_picker_choices(field: Any, options: Iterable[SelectChoice]) -> None:
    """The options of a person or CI select: "— Choose —", then ``options`` (deduplicated)."""
    seen: set[str] = set()
    choices = [NO_CHOICE]
    for option in options:
        if option.value not in seen:
            seen.add(option.value)
            choices.append(option)
    field.choices = choices


class OrderForm(OneSubmission, FlaskForm):
    """What an order adds to its items' forms: who it is for and a note."""

    requested_for = picker_field(
        _l("Who is it for?"),
        _l(
            "Yourself, or a colleague you order for (they can follow it too). Search, then "
            "choose, to order for someone else."
        ),
    )
    note = TextAreaField(
        _l("Note for IT (optional)"),
        validators=[Optional(), Length(max=4000)],
        description=_l("Anything the people who approve or deliver it should know."),
    )


class CartForm(FlaskForm):
    """Add an item to the request being prepared, or remove one (CSRF only)."""


class ReplyForm(OneSubmission, FlaskForm):
    item = SelectField(_l("About"), choices=[], default="", validate_choice=False)
    body = TextAreaField(
        _l("Message"), validators=[DataRequired(_l("Write something first.")), Length(max=20_000)]
    )
    attachment = FileField(_l("Attach a file (optional)"))


class CancelForm(FlaskForm):
    reason = StringField(
        _l("Why do you cancel it? (optional)"), validators=[Optional(), Length(max=2000)]
    )


class DecisionForm(FlaskForm):
    """Approve or reject: the page's two buttons post ``decision``."""

    decision = StringField(
        validators=[InputRequired(), AnyOf(["approve", "reject"], _l("Approve or reject."))]
    )
    comment = TextAreaField(
        _l("Comment"),
        validators=[Optional(), Length(max=4000)],
        description=_l("Required when you reject: the requester sees it."),
    )


class LinkDecisionForm(OneSubmission, FlaskForm):
    """Confirm the decision a mail link offers (the decision is in the signed link)."""

    comment = TextAreaField(
        _l("Comment (optional)"),
        validators=[Optional(), Length(max=4000)],
        description=_l("The requester sees it."),
    )


class DelegationForm(FlaskForm):
    delegate = picker_field(
        _l("Delegate"), _l("They decide your approvals during the period, on your behalf.")
    )
    starts_at = DateTimeLocalField(
        _l("From"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(_l("Give the start."))]
    )
    ends_at = DateTimeLocalField(
        _l("Until"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(_l("Give the end."))]
    )


class EndDelegationForm(FlaskForm):
    """End a delegation now (CSRF only)."""

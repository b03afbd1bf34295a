"""Form controls written fast: the HTML of WTForms' standard widgets, without their work.

Every form page renders its fields through the ``field`` macro of ``_macros/forms.html``, and
WTForms' widgets write each attribute and each ``<option>`` with ``Markup.format`` (through
``html_params``), which was a quarter of the incident page's time. :func:`control` writes the
same tag for the widgets the desk uses (text, password, hidden, checkbox and file inputs,
textareas, selects) with plain string joins, and leaves any other widget to WTForms;
:func:`option_tag` is the one way to write a select's option, which the incident forms' selects
(``QuickSelect``) and the assignee list that htmx swaps in use too. :func:`form_field` is the
``field`` macro itself (label, control, help and errors), which ``_macros/forms.html`` exports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape
from wtforms import Field, SelectField
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.meta import DefaultMeta
from wtforms.widgets import (
    CheckboxInput,
    EmailInput,
    FileInput,
    HiddenInput,
    Input,
    PasswordInput,
    SearchInput,
    Select,
    TelInput,
    TextArea,
    TextInput,
    URLInput,
)


def attribute_name(key: str) -> str:
    """A keyword as an attribute name, as WTForms spells it: ``class_`` is ``class``,
    ``data_x_y`` and ``aria_x`` take hyphens."""
    key = key.rstrip("_")
    if key.startswith(("data_", "aria_")):
        key = key.replace("_", "-")
    return key


class _Names(dict[str, str]):
    """:func:`attribute_name`'s answers, each worked out at its first ``_NAMES[key]``: a
    subscript, not a call (a form page writes a few hundred attributes)."""

    def __missing__(self, key: str) -> str:
        self[key] = name = attribute_name(key)
        return name


_NAMES = _Names()

# What ``escape`` replaces: a plain string without any is written as it is, one search instead
# of escape's four calls (a form page writes a few hundred attribute values and options).
_SPECIAL = re.compile("[&<>'\"]")


def _escaped(value: Any, quoted: bool = False) -> str:
    """``escape(value)``, a plain string without anything to escape as it is; ``quoted``, as
    an attribute's value: markup's own double quotes written ``&quot;`` (as ``html_params``
    writes them; ``escape`` writes a string's as ``&#34;``)."""
    if type(value) is str and not _SPECIAL.search(value):
        return value
    return str(escape(value)).replace('"', "&quot;") if quoted else escape(value)


def attributes(attrs: Mapping[str, Any]) -> str:
    """``attrs`` as HTML attributes, as WTForms' ``html_params`` writes them: sorted by
    keyword, ``True`` as a bare name, ``False`` left out, every other value escaped."""
    return " ".join(
        [
            _NAMES[key] if value is True else f'{_NAMES[key]}="{_escaped(value, True)}"'
            for key, value in sorted(attrs.items())
            if value is not False
        ]
    )


def option_tag(choice: Choice | SelectChoice) -> str:
    """One ``<option>`` as WTForms' ``Select`` writes it (``selected`` before ``value``); an
    option with attributes of its own is written by WTForms."""
    selected = getattr(choice, "selected", False)
    if choice.render_kw:
        shown = Choice(choice.value, choice.label, selected, choice.render_kw)
        return str(Select.render_option(shown))
    return _option(choice.value, choice.label, " selected" if selected else "")


def _option(value: Any, label: Any, selected: str) -> str:
    """An option without attributes of its own, its value and its label (the value when it
    has none) escaped: what :func:`option_tag` and :func:`_plain_options` write."""
    if type(label) is not str:
        label = _translated(label)
    return f'<option{selected} value="{_escaped(value)}">{_escaped(label or value)}</option>'


def _translated(text: Any) -> Any:
    """``text``, a lazy translation (``lazy_gettext``) read once, as the markup ``escape``
    makes of it: testing one for emptiness and then writing it would translate it twice."""
    return Markup(text.__html__()) if isinstance(text, LazyString) else text


class QuickSelect(Select):
    """WTForms' ``Select``, each option written by :func:`option_tag`: the same HTML without
    the per-option ``html_params`` and ``Markup.format`` work."""

    @classmethod
    def render_option(cls, choice: Choice, **kwargs: object) -> Markup:
        if kwargs:
            return super().render_option(choice, **kwargs)
        return Markup(option_tag(choice))


class QuickSelectField(SelectField):
    """A ``SelectField`` rendered by :class:`QuickSelect`."""

    widget = QuickSelect()


def option_tags(choices: Iterable[Choice | SelectChoice]) -> Markup:
    """A select's ``<option>`` tags (the assignee list htmx swaps into the form)."""
    return Markup("".join(option_tag(choice) for choice in choices))


def _input(field: Field, kw: dict[str, Any], widget: Input) -> str:
    kw.setdefault("id", field.id)
    kw.setdefault("type", widget.input_type)
    if type(widget) is CheckboxInput and getattr(field, "checked", field.data):
        kw.setdefault("checked", True)
    if type(widget) is PasswordInput and widget.hide_value:
        kw["value"] = ""
    if type(widget) is FileInput:
        kw["value"] = False
        if widget.multiple:
            kw["multiple"] = True
    if "value" not in kw:
        kw["value"] = field._value()
    _validation_flags(field, kw, widget.validation_attrs, call=True)
    if getattr(field, "_datalist", None) is not None:
        raise _Unhandled
    kw["name"] = field.name
    return f"<input {attributes(kw)}>"


def _textarea(field: Field, kw: dict[str, Any], widget: TextArea) -> str:
    kw.setdefault("id", field.id)
    _validation_flags(field, kw, widget.validation_attrs)
    kw["name"] = field.name
    return f"<textarea {attributes(kw)}>\r\n{_escaped(field._value())}</textarea>"


def _select(field: Field, kw: dict[str, Any], widget: Select) -> str:
    kw.setdefault("id", field.id)
    if widget.multiple:
        kw["multiple"] = True
    _validation_flags(field, kw, widget.validation_attrs)
    kw["name"] = field.name
    tags = _plain_options(field)
    if tags is not None:
        return f"<select {attributes(kw)}>{tags}</select>"
    if not field.has_groups():
        tags = "".join(option_tag(choice) for choice in field._iter_choices_normalized())
        return f"<select {attributes(kw)}>{tags}</select>"
    html = [f"<select {attributes(kw)}>"]
    for group, choices in field._iter_groups_normalized():
        html.append("" if group is None else f"<optgroup {attributes({'label': group})}>")
        html.extend(option_tag(choice) for choice in choices)
        html.append("" if group is None else "</optgroup>")
    html.append("</select>")
    return "".join(html)


def _plain_options(field: Field) -> str | None:
    """The ``<option>`` tags of a ``SelectField`` whose choices are a list of plain
    ``SelectChoice`` (no optgroup, no attributes of their own), as :func:`option_tag` writes
    them, read from the choices directly: WTForms reads them twice (``has_groups``, then
    ``iter_choices``), checking each and making a ``Choice`` of each. None for any other
    field or choice, which WTForms' iteration writes."""
    kind = type(field)
    if (kind.iter_choices, kind.has_groups) != (SelectField.iter_choices, SelectField.has_groups):
        return None
    choices = field.choices
    if type(choices) is not list:
        return None
    for choice in choices:
        if type(choice) is not SelectChoice or choice.render_kw or choice.optgroup is not None:
            return None
    coerce, data = field.coerce, field.data
    return "".join(
        [
            _option(choice.value, choice.label, " selected" if coerce(choice.value) == data else "")
            for choice in choices
        ]
    )


def _validation_flags(
    field: Field, kw: dict[str, Any], names: list[str], call: bool = False
) -> None:
    """The field's flags that are HTML attributes (``required``, ``maxlength``...)."""
    for name, value in vars(field.flags).items():
        if name in names and name not in kw:
            kw[name] = value() if call and callable(value) else value


class _Unhandled(Exception):
    """A widget used in a way :func:`control` does not write (WTForms writes it)."""


_WRITERS: dict[type, Callable[[Field, dict[str, Any], Any], str]] = {
    **dict.fromkeys(
        (
            TextInput,
            PasswordInput,
            HiddenInput,
            CheckboxInput,
            FileInput,
            EmailInput,
            SearchInput,
            TelInput,
            URLInput,
        ),
        _input,
    ),
    TextArea: _textarea,
    Select: _select,
    QuickSelect: _select,
}


def control(field: Field, attrs: Mapping[str, Any] | None = None, widget: Any = None) -> Markup:
    """``field``'s control with ``attrs``: what ``field(**attrs)`` renders, written directly
    for the standard widgets, by WTForms for the rest (and for a form whose meta renders
    its fields its own way). With ``widget``, what ``widget(field, **attrs)`` renders: a
    widget that wraps another writes the one it wraps through this."""
    wrapped = widget is not None
    widget = widget if wrapped else field.widget
    writer = _WRITERS.get(type(widget))
    if writer is None or (
        not wrapped and type(field.meta).render_field is not DefaultMeta.render_field
    ):
        return _by_wtforms(field, attrs, widget if wrapped else None)
    kw: dict[str, Any] = {}
    for given in (field.render_kw, attrs):
        for key, value in (given or {}).items():
            kw[_NAMES[key]] = value
    try:
        return Markup(writer(field, kw, widget))
    except _Unhandled:
        return _by_wtforms(field, attrs, widget if wrapped else None)


def _by_wtforms(field: Field, attrs: Mapping[str, Any] | None, widget: Any) -> Markup:
    if widget is not None:
        return Markup(widget(field, **(attrs or {})))
    return Markup(field(**(attrs or {})))


def field_control(field: Field, extra: Mapping[str, Any] | None = None) -> Markup:
    """The control of the ``field`` macro (``_macros/forms.html``): Bootstrap's class for its
    kind (``is-invalid`` with errors), ``aria-invalid``, ``aria-describedby`` naming its help
    and error texts, ``required`` when a validator requires it, then ``extra``."""
    invalid = " is-invalid" if field.errors else ""
    attrs: dict[str, Any] = {
        "class": "form-control" + invalid,
        "aria-invalid": "true" if invalid else "false",
    }
    described = " ".join(
        name
        for name, shown in ((f"{field.id}-help", field.description), (f"{field.id}-error", invalid))
        if shown
    )
    if described:
        attrs["aria-describedby"] = described
    if field.flags.required:
        attrs["required"] = True
    attrs.update(extra or {})
    if field.type == "BooleanField":
        attrs["class"] = "form-check-input" + invalid
    elif isinstance(field.widget, Select):
        attrs["class"] = attrs["class"].replace("form-control", "form-select")
    return control(field, attrs)


def form_field(field: Field, class_: str = "", extra: Mapping[str, Any] | None = None) -> Markup:
    """The ``field`` macro of ``_macros/forms.html``: ``field`` with its label, help and errors
    in a ``<div class="mb-3 {class_}">``, the same text to the character as the Jinja macro
    it replaces wrote (its line breaks and indentation too), in one Python call instead of a
    macro call and its template calls (a fifth of a form page's rendering)."""
    ident = _escaped(field.id)
    text = _escaped(field.label.text)
    description = _translated(field.description)
    help_ = (
        f'<div id="{ident}-help" class="form-text">{escape(description)}</div>'
        if description
        else ""
    )
    html = [f'<div class="mb-3 {_escaped(class_)}">\n  ']
    if field.type == "BooleanField":
        html.append(
            f'\n  <div class="form-check">\n    {field_control(field, extra)}'
            f'\n    <label class="form-check-label" for="{ident}">{text}</label>'
            f"\n    {help_}\n  </div>\n  "
        )
    elif field.type == "MultiCheckboxField":
        described = [f"{ident}-help"] * bool(description) + [f"{ident}-error"] * bool(field.errors)
        named = f' aria-describedby="{" ".join(described)}"' if described else ""
        html.append(
            f'\n  \n  <fieldset{named}>\n    <legend class="form-label fs-6">{text}</legend>\n    '
        )
        html.extend(
            f'\n    <div class="form-check form-check-inline">\n      '
            f"{escape(option(**{'class': 'form-check-input'}))} "
            f"{escape(option.label(**{'class': 'form-check-label'}))}\n    </div>\n    "
            for option in field
        )
        html.append("\n  </fieldset>\n  ")
    else:
        html.append(
            f'\n  <label class="form-label" for="{ident}">{text}</label>'
            f"\n  {field_control(field, extra)}\n  {help_}\n  "
        )
    html.append("\n  ")
    if field.errors:
        errors = " ".join(str(escape(error)) for error in field.errors)
        html.append(f'\n  <div id="{ident}-error" class="invalid-feedback d-block">{errors}')
        html.append("</div>\n  ")
    html.append("\n</div>")
    return Markup("".join(html))

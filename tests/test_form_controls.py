"""Form controls written by ``app.form_controls``: the same HTML WTForms' widgets write, for
every kind of field and attribute the desk's forms use, and selects styled as selects."""

from __future__ import annotations

import re

import pytest
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from markupsafe import Markup
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Length, Optional

from app import form_controls
from app.form_controls import QuickSelectField, control, option_tags
from app.forms import MultiCheckboxField
from app.incidents.forms import CommentForm, IncidentForm

CHOICES = [
    SelectChoice("", "—"),
    SelectChoice("7", 'Network & "Wi-Fi" <team>'),
    SelectChoice("8", _l("Printers")),
    SelectChoice("9", ""),  # no label: the value is shown
    SelectChoice("x", "Marked", render_kw={"data_hint": "yes", "disabled": True}),
]
# Options without attributes of their own, read from the choices without WTForms' iteration.
PLAIN = CHOICES[:-1]
COUNTED = [SelectChoice(1, "One"), SelectChoice(2, ""), SelectChoice(True, _l("Printers"))]


class Every(FlaskForm):
    class Meta:
        csrf = False

    text = StringField("Text", validators=[DataRequired(), Length(min=2, max=20)])
    optional = StringField("Optional", validators=[Optional(), Length(max=5)])
    secret = PasswordField("Secret", render_kw={"autocomplete": "new-password"})
    hidden = HiddenField()
    flag = BooleanField("Flag")
    upload = FileField("File")
    email = EmailField("Mail")
    search = SearchField("Search")
    phone = TelField("Phone")
    link = URLField("Link")
    body = TextAreaField("Body", validators=[Length(max=9)], render_kw={"rows": 3})
    kind = SelectField("Kind", choices=CHOICES)
    kinds = SelectMultipleField("Kinds", choices=CHOICES)
    quick = QuickSelectField("Quick", choices=CHOICES)
    plain = QuickSelectField("Plain", choices=PLAIN)
    counted = SelectField("Counted", coerce=int, choices=COUNTED)
    grouped = SelectField(
        "Grouped", choices=[SelectChoice("a", "A", optgroup="One"), SelectChoice("b", "B")]
    )
    number = IntegerField("Number")  # a widget left to WTForms


DATA = {
    "text": 'say "hi" & <go>',
    "optional": None,
    "secret": "hunter2",
    "hidden": "42",
    "flag": True,
    "email": "a@example.org",
    "body": "line <one>\nline & two",
    "kind": "7",
    "kinds": ["8", "9"],
    "quick": "x",
    "plain": "8",
    "counted": 2,
    "grouped": "b",
    "number": 7,
}
ATTRIBUTES = [
    {},
    {"class": "form-control is-invalid", "aria-invalid": "true", "required": True},
    {"class_": "x", "data_show_when": "state:on_hold", "aria_describedby": "help"},
    {"hx-get": "/incidents/assignees", "hx-trigger": "change", "readonly": True, "disabled": False},
    {"placeholder": Markup('say "what"'), "value": "given", "id": "other", "maxlength": 3},
]


@pytest.mark.parametrize("attrs", ATTRIBUTES)
@pytest.mark.parametrize("filled", [False, True])
def test_a_control_is_what_its_widget_writes(app, attrs, filled):
    with app.test_request_context():
        form = Every(data=DATA if filled else None)
        for field in form:
            assert str(control(field, attrs)) == str(field(**attrs)), field.name
            # Written here, not by WTForms' fallback (which would compare WTForms with itself).
            assert (type(field.widget) in form_controls._WRITERS) == (field.name != "number")
        form.flag.data = False
        assert str(control(form.flag, attrs)) == str(form.flag(**attrs))
        for plain in (form.plain, form.counted):
            assert form_controls._plain_options(plain) is not None


def test_options_are_what_a_select_writes(app):
    with app.test_request_context():
        form = Every(data={"kind": None})
        written = re.findall(r"<option.*?</option>", str(form.kind()))
        assert str(option_tags(CHOICES)) == "".join(written)


def field_html(app, field, **extra) -> str:
    template = app.jinja_env.from_string(
        '{% from "_macros/forms.html" import field %}{{ field(f, extra=extra) }}'
    )
    return template.render(f=field, extra=extra)


def test_every_select_of_the_field_macro_is_styled_as_a_select(app):
    """Bootstrap's ``form-select`` (the arrow that says "pick one") on every select the
    macro shows, the incident form's quick selects included; inputs stay ``form-control``."""
    with app.test_request_context():
        form = IncidentForm(formdata=None)
        form.group.choices = [SelectChoice("", "—")]
        form.group.errors = ["Pick one."]
        html = field_html(app, form.group, **{"hx-get": "/incidents/assignees"})
        assert re.search(r'<select [^>]*class="form-select is-invalid"', html)
        assert 'aria-describedby="group-error"' in html
        assert 'hx-get="/incidents/assignees"' in html
        sample = Every(formdata=None)
        for name in ("kind", "kinds", "quick"):
            assert 'class="form-select"' in field_html(app, sample[name]), name
        text = field_html(app, sample.text)
        assert re.search(r'<input [^>]*class="form-control"[^>]*maxlength="20"[^>]*required', text)
        assert '<label class="form-label" for="text">Text</label>' in text
        flag = field_html(app, sample.flag)
        assert 'class="form-check-input"' in flag
        assert '<label class="form-check-label" for="flag">Flag</label>' in flag


def test_the_people_picker_requires_only_a_required_field(app):
    """An optional picker (a CI's owner) had ``required="None"``, which a browser reads as
    required; a required one (the caller of a logged call) keeps ``required``."""
    template = app.jinja_env.from_string(
        '{% from "_macros/people.html" import people_picker %}{{ people_picker(f) }}'
    )

    class Pickers(FlaskForm):
        class Meta:
            csrf = False

        owner = StringField("Owner", validators=[Optional()])
        caller = StringField("Caller", validators=[DataRequired()])

    with app.test_request_context():
        form = Pickers(formdata=None)
        optional, required = template.render(f=form.owner), template.render(f=form.caller)
    assert "required" not in optional
    assert '="None"' not in optional
    assert re.search(r"<input [^>]*required[ >]", required)
    assert "hx-get=" in required


# The ``field`` macro as _macros/forms.html wrote it in Jinja before ``form_field`` took its
# place: the reference ``form_field`` must match to the character.
JINJA_FIELD = """{% macro field(f, class_='', extra={}) -%}
<div class="mb-3 {{ class_ }}">
  {% if f.type == 'BooleanField' %}
  <div class="form-check">
    {{ field_control(f, extra) }}
    <label class="form-check-label" for="{{ f.id }}">{{ f.label.text }}</label>
    {% if f.description %}<div id="{{ f.id }}-help" class="form-text">{{ f.description }}</div>{% endif %}
  </div>
  {% elif f.type == 'MultiCheckboxField' %}
  {% set described = ([f.id ~ '-help'] if f.description else []) + ([f.id ~ '-error'] if f.errors else []) %}
  <fieldset{% if described %} aria-describedby="{{ described|join(' ') }}"{% endif %}>
    <legend class="form-label fs-6">{{ f.label.text }}</legend>
    {% for option in f %}
    <div class="form-check form-check-inline">
      {{ option(class='form-check-input') }} {{ option.label(class='form-check-label') }}
    </div>
    {% endfor %}
  </fieldset>
  {% else %}
  <label class="form-label" for="{{ f.id }}">{{ f.label.text }}</label>
  {{ field_control(f, extra) }}
  {% if f.description %}<div id="{{ f.id }}-help" class="form-text">{{ f.description }}</div>{% endif %}
  {% endif %}
  {% if f.errors %}
  <div id="{{ f.id }}-error" class="invalid-feedback d-block">{% for e in f.errors %}{{ e }}{% if not loop.last %} {% endif %}{% endfor %}</div>
  {% endif %}
</div>
{%- endmacro %}"""  # noqa: E501


class Described(FlaskForm):
    class Meta:
        csrf = False

    flag = BooleanField("Notify <me>", description='The caller sees "it" & more.')
    roles = MultiCheckboxField(
        "Roles", choices=[SelectChoice("a", "A & B"), SelectChoice("b", "<B>")]
    )
    helped = MultiCheckboxField("Helped", choices=[SelectChoice("c", "C")], description="Pick any.")
    name = StringField(_l("Name"), description=_l("Printers"))


@pytest.mark.parametrize("with_errors", [False, True])
@pytest.mark.parametrize(
    ("class_", "extra"), [("", {}), ("col-6 <x>", {}), ("", {"hx-get": "/a?b=1&c=2", "rows": 3})]
)
def test_the_field_macro_writes_what_the_jinja_macro_wrote(app, with_errors, class_, extra):
    """``field`` (``form_field``) against the Jinja macro it replaced, for every kind of
    field the desk shows: the same characters, escaping, whitespace and attributes."""
    new = app.jinja_env.from_string(
        '{% from "_macros/forms.html" import field %}{{ field(f, class_, extra=extra) }}'
    )
    old = app.jinja_env.from_string(JINJA_FIELD + "{{ field(f, class_, extra=extra) }}")
    with app.test_request_context():
        forms = [Every(data=DATA), Every(formdata=None), Described(formdata=None)]
        forms.append(IncidentForm(formdata=None))
        forms[-1].group.choices = [SelectChoice("", "—"), SelectChoice("1", "Desk & co")]
        for form in forms:
            for field in form:
                if with_errors:
                    field.errors = ["Wrong <here>.", Markup("<b>Twice</b>")]
                shown = {"f": field, "class_": class_, "extra": extra}
                assert new.render(shown) == old.render(shown), field.name


@pytest.mark.parametrize("attrs", [{}, {"data_x": 'a "b"'}])
def test_the_csrf_token_and_its_submission_token_are_what_wtforms_writes(app, attrs):
    """A form that creates something writes its one-time token after its CSRF token; both are
    written here, as WTForms' hidden input writes them."""
    with app.test_request_context():
        form = CommentForm(formdata=None)
        hidden = form.csrf_token.widget.widget  # the CSRF token's own, which the mixin wraps
        token = form.submission_token
        expected = hidden(form.csrf_token, **attrs) + token.widget(token)
        assert str(form.csrf_token(**attrs)) == str(expected)
        assert 'name="submission_token"' in str(form.csrf_token)

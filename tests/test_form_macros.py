"""The form field macro: labels, help and errors linked by aria-describedby, and no attribute
ever rendered as the text "None"."""

from __future__ import annotations

import re

import pytest
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField


class Sample(FlaskForm):
    class Meta:
        csrf = False

    flag = BooleanField("Notify me")
    helped = BooleanField("Public", description="The caller sees it.")
    name = StringField("Name")
    kind = SelectField("Kind", choices=[SelectChoice("a", "A")])


def render(app, form: FlaskForm) -> str:
    template = app.jinja_env.from_string(
        '{% from "_macros/forms.html" import field %}{% for f in form %}{{ field(f) }}{% endfor %}'
    )
    return template.render(form=form)


@pytest.mark.parametrize("with_errors", [False, True])
def test_no_attribute_renders_as_none(app, with_errors):
    with app.test_request_context():
        form = Sample(formdata=None)
        if with_errors:
            for f in form:
                f.errors = ["Wrong."]
        html = render(app, form)
    assert '="None"' not in html
    described = dict(re.findall(r'id="(\w+)"[^>]*aria-describedby="([^"]+)"', html))
    described |= {i: d for d, i in re.findall(r'aria-describedby="([^"]+)"[^>]*id="(\w+)"', html)}
    if with_errors:
        assert described["flag"] == "flag-error"
        assert described["helped"] == "helped-help helped-error"
    else:
        assert described == {"helped": "helped-help"}

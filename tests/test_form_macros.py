"""The form field macro: labels, help and errors linked by aria-describedby, and no attribute
ever rendered as the text "None"; the answers views give a saved or a refused post."""

from __future__ import annotations

import re

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField

from app.errors import Conflict, Invalid
from app.forms import refused, row_id, saved


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


@pytest.mark.parametrize(
    ("error", "status", "flashed", "field_errors"),
    [
        (Invalid({"name": "Too long."}), 422, "Too long.", ["Too long."]),
        (Conflict("Changed meanwhile."), 409, "Changed meanwhile. Ada renamed it.", []),
    ],
)
def test_a_refused_post_rolls_back_and_answers_with_the_page(
    app, db, error, status, flashed, field_errors
):
    """``app.forms.refused``, the answer every domain's views give a refused post."""
    with app.test_request_context(method="POST"):
        form = Sample(formdata=None)
        pages = []
        response = refused(
            error,
            lambda: "the record",
            lambda record, status: pages.append((record, status)) or ("page", status),
            form,
            conflict_note=lambda record: "Ada renamed it.",
        )
        assert response == ("page", status)
        assert pages == [("the record", status)]
        assert get_flashed_messages(with_categories=True) == [("danger", flashed)]
        assert list(form.name.errors) == field_errors


def test_a_saved_post_commits_says_so_and_redirects(app, db, make_user):
    with app.test_request_context(method="POST"):
        user = make_user("kept")
        response = saved("Kept.", "/admin/users")
        db.session.rollback()  # nothing left to undo: it was committed
        assert db.session.get(type(user), user.id) is not None
        assert (response.status_code, response.location) == (302, "/admin/users")
        assert get_flashed_messages(with_categories=True) == [("success", "Kept.")]


@pytest.mark.parametrize(
    ("text", "ident"),
    [("42", 42), ("", None), (None, None), ("999999999", 999999999), ("1000000000", None)]
    + [("-1", None), ("4 2", None), ("²", None), ("4²", None)],
)
def test_a_row_id_is_a_short_run_of_digits(text, ident):
    assert row_id(text) == ident

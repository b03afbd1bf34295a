"""Form helpers shared by every domain's views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets

from app.errors import Invalid
from app.extensions import db


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice rendered as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def apply_errors(form: FlaskForm, error: Invalid) -> None:
    """Put a service's field errors back on the form; unknown fields become form errors."""
    for field, messages in error.field_errors.items():
        target = getattr(form, field, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + messages
        else:
            form.form_errors.extend(messages)


def commit_or_errors(form: FlaskForm, action: Callable[[], Any]) -> bool:
    """Run one service call for a submitted form and commit; if the service refuses the input
    (``Invalid``), roll back and put its field errors on the form. Returns whether it saved."""
    try:
        action()
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        return False
    db.session.commit()
    return True

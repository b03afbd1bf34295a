"""Form helpers shared by every domain's views, and the cleaning of submitted text."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Request, flash, redirect
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from wtforms import Field, HiddenField, SelectMultipleField, widgets

from app.errors import Conflict, Invalid, field_error
from app.extensions import db
from app.form_controls import control
from app.submissions import consume_submission

T = TypeVar("T")

#: C0 control characters except tab, newline and carriage return. NUL cannot be stored in
#: PostgreSQL text at all, and none of them is anything a person meant to type.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean_text(value: str) -> str:
    """``value`` without C0 control characters (tab, newline and CR are kept)."""
    return CONTROL_CHARACTERS.sub("", value)


def row_id(text: str | None) -> int | None:
    """A row id as a form or a query string sends it: digits only, fewer than ten of them (a
    longer number is no id here, and PostgreSQL would refuse it); None otherwise.

    ``isdecimal``, not ``isdigit``: "²" is a digit that ``int`` cannot read."""
    text = text or ""
    return int(text) if text.isdecimal() and len(text) < 10 else None


class CleanParameters(ImmutableMultiDict):
    """Submitted form fields and query parameters, with control characters removed from
    every text value (uploaded files are left alone).

    Werkzeug builds ``request.form`` and ``request.args`` with the request's
    ``parameter_storage_class``, so every form (WTForms or read by hand, like the catalog's
    item forms and the CMDB's attributes) sees cleaned text and keeps the rest of it, instead
    of PostgreSQL refusing the whole request over one NUL byte.
    """

    def __init__(self, mapping: Any = None) -> None:
        if mapping is None:
            super().__init__()
            return
        items = MultiDict(mapping).items(multi=True)
        super().__init__([(_clean(key), _clean(value)) for key, value in items])


def _clean(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


class DeskRequest(Request):
    """The application's request class: form and query values arrive cleaned."""

    parameter_storage_class = CleanParameters


class OneSubmission:
    """Mixin for forms that create something (an incident, a request, a reply): a hidden
    one-time ``submission_token``, which the view passes to
    :func:`app.submissions.consume_submission` (or :meth:`consume`) before creating.

    The token is rendered with the form's CSRF token, so a template that renders
    ``{{ form.csrf_token }}`` needs no change. Put the mixin before ``FlaskForm``.
    """

    submission_token = HiddenField(default=lambda: secrets.token_hex(16))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        csrf = getattr(self, "csrf_token", None)
        if csrf is not None:
            csrf.widget = _AlsoRendering(csrf.widget, self.submission_token)

    def consume(self, done: str | None = None) -> None:
        """Use this submission's token once (see :func:`app.submissions.consume_submission`);
        a replay is sent to ``done``, a page that shows what the submission created.

        :raise app.submissions.AlreadySubmitted: the form was already sent.
        """
        consume_submission(self.submission_token.data, done)


class _AlsoRendering:
    """A widget that renders its field, then another field (the submission token)."""

    def __init__(self, widget: Any, extra: Field) -> None:
        self.widget, self.extra = widget, extra

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        # Both hidden inputs written by form_controls: WTForms' html_params and
        # Markup.format made some 400 function calls of each.
        return control(field, kwargs, self.widget) + control(self.extra)


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
    (``Invalid``, or a named constraint the database enforces, see :func:`app.db.unique`),
    roll back and put its field errors on the form. Returns whether it saved."""
    try:
        action()
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        return False
    except IntegrityError as error:
        db.session.rollback()  # first: naming the field's error reads the reader's language
        invalid = field_error(error)
        if invalid is None:
            raise
        apply_errors(form, invalid)
        return False
    db.session.commit()
    return True


def saved(message: str, location: str) -> ResponseReturnValue:
    """The answer to a post the services accepted: commit, say what was done, and redirect
    to ``location`` (post/redirect/get)."""
    db.session.commit()
    flash(message, "success")
    return redirect(location)


def refused(
    error: Invalid | Conflict,
    reload: Callable[[], T],
    render: Callable[[T, int], ResponseReturnValue],
    *forms: FlaskForm,
    conflict_note: Callable[[T], str] | None = None,
) -> ResponseReturnValue:
    """The answer to a post a service refused; nothing of it is saved. Roll back, ``reload``
    the record, and ``render`` its page with the error's status: 422 with an ``Invalid``'s
    field errors on ``forms``, or 409 for a stale edit, the message followed by
    ``conflict_note`` (who changed what meanwhile)."""
    db.session.rollback()
    record = reload()
    message = error.message
    if isinstance(error, Invalid):
        for form in forms:
            apply_errors(form, error)
    elif conflict_note is not None:
        message = f"{message} {conflict_note(record)}"
    flash(message, "danger")
    return render(record, error.status)

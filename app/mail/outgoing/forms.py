"""Mail out's forms: the outbox filter and the retry button (input shape only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from app.filtering import FilterForm
from app.forms import OneSubmission
from app.mail.outgoing.models import STATE_LABELS, MailState


class OutboxFilterForm(FilterForm):
    """The outbox list's filter."""

    state = SelectField(
        _l("State"),
        choices=[
            SelectChoice("", _l("Any state")),
            *(SelectChoice(s.value, STATE_LABELS[s.value]) for s in MailState),
        ],
        default="",
    )


class RetryForm(OneSubmission, FlaskForm):
    """ "Retry now" on a failed or dead mail: one submission, so a double click sends once."""


class ClearBounceForm(FlaskForm):
    """ "Clear the bounce" of a mail's address (CSRF only: doing it twice changes nothing)."""

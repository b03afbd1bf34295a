"""Forms of the catalog task page (agents): input shape only; the fulfilment services check
the rules (allowed moves, hold reasons, close codes and notes)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.requests.states import TASK_CLOSE_CODES, TaskState
from app.tickets.holds import HoldReason


class TaskAssignForm(FlaskForm):
    version = HiddenField()
    group = SelectField(_l("Assignment group"), validate_choice=False, default="")
    assignee = SelectField(_l("Assigned to"), validate_choice=False, default="")


class TaskStateForm(FlaskForm):
    version = HiddenField()
    state = SelectField(
        _l("New state"),
        choices=[SelectChoice(s.value, _l(s.label)) for s in TaskState if s != TaskState.CANCELED],
        default=TaskState.IN_PROGRESS.value,
    )
    hold_reason = SelectField(
        _l("Waiting for (on hold)"),
        choices=[SelectChoice("", "—")] + [SelectChoice(r.value, _l(r.label)) for r in HoldReason],
        default="",
    )
    close_code = SelectField(
        _l("How it ended (closing)"),
        choices=[SelectChoice("", "—")]
        + [SelectChoice(c.value, _l(c.label)) for c in TASK_CLOSE_CODES],
        default="",
    )
    close_notes = TextAreaField(
        _l("Close notes"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("Required unless the task is complete."),
    )


class TaskCommentForm(FlaskForm):
    body = TextAreaField(
        _l("Message"), validators=[DataRequired(_l("Write something first.")), Length(max=20_000)]
    )
    public = BooleanField(
        _l("Public reply to the requester (shown on their request)"), default=False
    )

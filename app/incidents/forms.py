"""Incident forms: input shape only; the rules live in the services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from app.form_controls import QuickSelectField
from app.forms import OneSubmission
from app.i18n.words import lazy_gettext as _l
from app.incidents.workflow import RESOLUTION_CODES, State
from app.tickets.holds import HoldReason

IMPACT_CHOICES = [
    SelectChoice("1", _l("1 - High")),
    SelectChoice("2", _l("2 - Medium")),
    SelectChoice("3", _l("3 - Low")),
]
RESOLUTION_CHOICES = [SelectChoice("", "—")] + [
    SelectChoice(k, _l(v)) for k, v in RESOLUTION_CODES.items() if k != "resolved_by_parent"
]


class ReportForm(OneSubmission, FlaskForm):
    """The employee's short "report a problem" form."""

    short_description = StringField(
        _l("What is wrong?"),
        validators=[DataRequired(_l("Tell us in a few words what is wrong.")), Length(max=200)],
        description=_l("For example: “Outlook keeps asking for my password”."),
    )
    description = TextAreaField(
        _l("Details"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("What were you doing, what did you expect, any error message."),
    )
    service = QuickSelectField(
        _l("Which service is affected?"),
        description=_l("Pick the service that does not work for you, or “I don't know”."),
        default="",
    )
    urgency = QuickSelectField(
        _l("How much does it stop your work?"),
        choices=[
            SelectChoice("1", _l("I cannot work at all")),
            SelectChoice("2", _l("I can work, but slowly or partly")),
            SelectChoice("3", _l("It is an annoyance")),
        ],
        default="3",
    )
    attachment = FileField(_l("Screenshot or file (optional)"))


class AgentOpenForm(OneSubmission, FlaskForm):
    """An agent opens an incident for a caller (a phone call, a mail, a visit at the desk):
    optionally given to a group and a person, and resolved at once when it was solved on the
    call. The page fills the group and assignee choices."""

    caller = StringField(
        _l("Caller (username)"), validators=[DataRequired(_l("Who is calling?")), Length(max=150)]
    )
    channel = QuickSelectField(
        _l("Channel"),
        choices=[
            SelectChoice("phone", _l("Phone")),
            SelectChoice("email", _l("Email")),
            SelectChoice("agent", _l("Walk-up / agent")),
        ],
        default="phone",
    )
    short_description = StringField(
        _l("Short description"),
        validators=[DataRequired(_l("Describe it briefly.")), Length(max=200)],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])
    category = QuickSelectField(_l("Category"), validate_choice=False)
    subcategory = StringField(_l("Subcategory"), validators=[Optional(), Length(max=80)])
    affected_service = StringField(_l("Affected service"), validators=[Optional(), Length(max=200)])
    cis = StringField(
        _l("Configuration items"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Names separated by commas."),
    )
    impact = QuickSelectField(_l("Impact"), choices=IMPACT_CHOICES, default="3")
    urgency = QuickSelectField(_l("Urgency"), choices=IMPACT_CHOICES, default="3")
    group = QuickSelectField(
        _l("Assignment group"),
        validate_choice=False,
        default="",
        description=_l("Leave unassigned to let the routing rules choose."),
    )
    assignee = QuickSelectField(_l("Assigned to"), validate_choice=False, default="")
    resolved_on_call = BooleanField(_l("Resolved on the call"), default=False)
    resolution_code = QuickSelectField(
        _l("Resolution code"), choices=RESOLUTION_CHOICES, default=""
    )
    resolution_notes = TextAreaField(
        _l("Resolution notes"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("The caller reads them."),
    )


class IncidentForm(FlaskForm):
    """The agent's one form for an incident's fields; the page fills the choices that depend
    on the data (category, matrix scales and levels, reachable states, groups, members)."""

    version = HiddenField()
    state = QuickSelectField(
        _l("State"), choices=[SelectChoice(s.value, _l(s.label)) for s in State]
    )
    hold_reason = QuickSelectField(
        _l("Waiting for"),
        choices=[SelectChoice("", "—")] + [SelectChoice(r.value, _l(r.label)) for r in HoldReason],
        default="",
        description=_l("When on hold."),
    )
    resolution_code = QuickSelectField(
        _l("Resolution code"),
        choices=RESOLUTION_CHOICES,
        default="",
        description=_l("When resolving."),
    )
    resolution_notes = TextAreaField(
        _l("Resolution notes"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("When resolving: the caller reads them."),
    )
    group = QuickSelectField(_l("Assignment group"), validate_choice=False)
    assignee = QuickSelectField(_l("Assigned to"), validate_choice=False)
    impact = QuickSelectField(_l("Impact"))
    urgency = QuickSelectField(_l("Urgency"))
    priority = QuickSelectField(_l("Priority"))
    priority_reason = StringField(_l("Why this priority"), validators=[Optional(), Length(max=500)])
    category = QuickSelectField(_l("Category"), validators=[Length(max=80)], validate_choice=False)
    subcategory = StringField(_l("Subcategory"), validators=[Optional(), Length(max=80)])
    affected_service = StringField(_l("Affected service"), validators=[Optional(), Length(max=200)])
    short_description = StringField(
        _l("Short description"),
        validators=[DataRequired(_l("Describe it briefly.")), Length(max=200)],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])


class VersionForm(FlaskForm):
    """A one-button action on the incident: only the CSRF token and the version it was on."""

    version = HiddenField()


class CommentForm(OneSubmission, FlaskForm):
    body = TextAreaField(
        _l("Message"), validators=[DataRequired(_l("Write something first.")), Length(max=20_000)]
    )
    public = BooleanField(_l("Public reply (the caller sees it)"), default=False)
    attachment = FileField(_l("Attach a file"))


class ParentForm(FlaskForm):
    parent = StringField(
        _l("Parent incident number"),
        validators=[Optional(), Length(max=20)],
        description=_l("Leave empty to detach."),
    )


class MajorForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is this a major incident?"),
        validators=[DataRequired(_l("Give a reason.")), Length(max=2000)],
    )


class MajorDecisionForm(FlaskForm):
    decision = HiddenField(validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("What is still wrong?"),
        validators=[DataRequired(_l("Tell us what is still wrong.")), Length(max=20_000)],
    )


class ConfirmForm(FlaskForm):
    """The caller confirms the resolution."""


class BulkForm(FlaskForm):
    action = QuickSelectField(
        _l("Action"),
        choices=[SelectChoice("assign", _l("Assign")), SelectChoice("state", _l("Change state"))],
    )
    group = QuickSelectField(_l("Group"), validate_choice=False, default="")
    state = QuickSelectField(
        _l("State"),
        choices=[SelectChoice(s.value, _l(s.label)) for s in State],
        default=State.IN_PROGRESS.value,
    )
    hold_reason = QuickSelectField(
        _l("Waiting for"),
        choices=[SelectChoice("", "—")] + [SelectChoice(r.value, _l(r.label)) for r in HoldReason],
        default="",
    )


class WatchForm(FlaskForm):
    """Start or stop watching an incident."""


class WatcherForm(FlaskForm):
    username = StringField(
        _l("Add a watcher (username)"),
        validators=[DataRequired(_l("Enter a username.")), Length(max=150)],
        description=_l("Watchers follow the incident and see its public replies."),
    )
    remove = HiddenField()

"""Incident forms: input shape only; the rules live in the services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from app.forms import OneSubmission
from app.incidents.workflow import RESOLUTION_CODES, State
from app.tickets.holds import HoldReason

IMPACT_CHOICES = [
    SelectChoice("1", "1 - High"),
    SelectChoice("2", "2 - Medium"),
    SelectChoice("3", "3 - Low"),
]
RESOLUTION_CHOICES = [SelectChoice("", "—")] + [
    SelectChoice(k, v) for k, v in RESOLUTION_CODES.items() if k != "resolved_by_parent"
]


class ReportForm(OneSubmission, FlaskForm):
    """The employee's short "report a problem" form."""

    short_description = StringField(
        "What is wrong?",
        validators=[DataRequired("Tell us in a few words what is wrong."), Length(max=200)],
        description="For example: “Outlook keeps asking for my password”.",
    )
    description = TextAreaField(
        "Details",
        validators=[Optional(), Length(max=20_000)],
        description="What were you doing, what did you expect, any error message.",
    )
    service = SelectField(
        "Which service is affected?",
        description="Pick the service that does not work for you, or “I don't know”.",
        default="",
    )
    urgency = SelectField(
        "How much does it stop your work?",
        choices=[
            SelectChoice("1", "I cannot work at all"),
            SelectChoice("2", "I can work, but slowly or partly"),
            SelectChoice("3", "It is an annoyance"),
        ],
        default="3",
    )
    attachment = FileField("Screenshot or file (optional)")


class AgentOpenForm(OneSubmission, FlaskForm):
    """An agent opens an incident for a caller (a phone call, a mail, a visit at the desk):
    optionally given to a group and a person, and resolved at once when it was solved on the
    call. The page fills the group and assignee choices."""

    caller = StringField(
        "Caller (username)", validators=[DataRequired("Who is calling?"), Length(max=150)]
    )
    channel = SelectField(
        "Channel",
        choices=[
            SelectChoice("phone", "Phone"),
            SelectChoice("email", "Email"),
            SelectChoice("agent", "Walk-up / agent"),
        ],
        default="phone",
    )
    short_description = StringField(
        "Short description", validators=[DataRequired("Describe it briefly."), Length(max=200)]
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=20_000)])
    category = SelectField("Category", validate_choice=False)
    subcategory = StringField("Subcategory", validators=[Optional(), Length(max=80)])
    affected_service = StringField("Affected service", validators=[Optional(), Length(max=200)])
    cis = StringField(
        "Configuration items",
        validators=[Optional(), Length(max=2000)],
        description="Names separated by commas.",
    )
    impact = SelectField("Impact", choices=IMPACT_CHOICES, default="3")
    urgency = SelectField("Urgency", choices=IMPACT_CHOICES, default="3")
    group = SelectField(
        "Assignment group",
        validate_choice=False,
        default="",
        description="Leave unassigned to let the routing rules choose.",
    )
    assignee = SelectField("Assigned to", validate_choice=False, default="")
    resolved_on_call = BooleanField("Resolved on the call", default=False)
    resolution_code = SelectField("Resolution code", choices=RESOLUTION_CHOICES, default="")
    resolution_notes = TextAreaField(
        "Resolution notes",
        validators=[Optional(), Length(max=20_000)],
        description="The caller reads them.",
    )


class IncidentForm(FlaskForm):
    """The agent's one form for an incident's fields; the page fills the choices that depend
    on the data (category, matrix scales and levels, reachable states, groups, members)."""

    version = HiddenField()
    state = SelectField("State", choices=[SelectChoice(s.value, s.label) for s in State])
    hold_reason = SelectField(
        "Waiting for",
        choices=[SelectChoice("", "—")] + [SelectChoice(r.value, r.label) for r in HoldReason],
        default="",
        description="When on hold.",
    )
    resolution_code = SelectField(
        "Resolution code", choices=RESOLUTION_CHOICES, default="", description="When resolving."
    )
    resolution_notes = TextAreaField(
        "Resolution notes",
        validators=[Optional(), Length(max=20_000)],
        description="When resolving: the caller reads them.",
    )
    group = SelectField("Assignment group", validate_choice=False)
    assignee = SelectField("Assigned to", validate_choice=False)
    impact = SelectField("Impact")
    urgency = SelectField("Urgency")
    priority = SelectField("Priority")
    priority_reason = StringField("Why this priority", validators=[Optional(), Length(max=500)])
    category = SelectField("Category", validators=[Length(max=80)], validate_choice=False)
    subcategory = StringField("Subcategory", validators=[Optional(), Length(max=80)])
    affected_service = StringField("Affected service", validators=[Optional(), Length(max=200)])
    short_description = StringField(
        "Short description", validators=[DataRequired("Describe it briefly."), Length(max=200)]
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=20_000)])


class VersionForm(FlaskForm):
    """A one-button action on the incident: only the CSRF token and the version it was on."""

    version = HiddenField()


class CommentForm(OneSubmission, FlaskForm):
    body = TextAreaField(
        "Message", validators=[DataRequired("Write something first."), Length(max=20_000)]
    )
    public = BooleanField("Public reply (the caller sees it)", default=False)
    attachment = FileField("Attach a file")


class ParentForm(FlaskForm):
    parent = StringField(
        "Parent incident number",
        validators=[Optional(), Length(max=20)],
        description="Leave empty to detach.",
    )


class MajorForm(FlaskForm):
    reason = TextAreaField(
        "Why is this a major incident?",
        validators=[DataRequired("Give a reason."), Length(max=2000)],
    )


class MajorDecisionForm(FlaskForm):
    decision = HiddenField(validators=[DataRequired()])
    note = StringField("Note", validators=[Optional(), Length(max=500)])


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        "What is still wrong?",
        validators=[DataRequired("Tell us what is still wrong."), Length(max=20_000)],
    )


class ConfirmForm(FlaskForm):
    """The caller confirms the resolution."""


class BulkForm(FlaskForm):
    action = SelectField(
        "Action", choices=[SelectChoice("assign", "Assign"), SelectChoice("state", "Change state")]
    )
    group = SelectField("Group", validate_choice=False, default="")
    state = SelectField(
        "State",
        choices=[SelectChoice(s.value, s.label) for s in State],
        default=State.IN_PROGRESS.value,
    )
    hold_reason = SelectField(
        "Waiting for",
        choices=[SelectChoice("", "—")] + [SelectChoice(r.value, r.label) for r in HoldReason],
        default="",
    )


class WatchForm(FlaskForm):
    """Start or stop watching an incident."""


class WatcherForm(FlaskForm):
    username = StringField(
        "Add a watcher (username)",
        validators=[DataRequired("Enter a username."), Length(max=150)],
        description="Watchers follow the incident and see its public replies.",
    )
    remove = HiddenField()

"""Forms of the mailbox and quarantine pages: input shape only (rules live in
:mod:`app.mail.incoming.mailboxes`)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.forms import OneSubmission
from app.mail.incoming.models import Security, UnknownSenders

LEVELS = [SelectChoice(str(n), str(n)) for n in (1, 2, 3)]


class MailboxForm(FlaskForm):
    version = HiddenField()
    name = StringField("Name", validators=[DataRequired("Name the mailbox."), Length(max=100)])
    address = StringField(
        "Address",
        validators=[DataRequired("Give the mailbox's address."), Length(max=320)],
        description="Mail from this address is never taken as a new ticket (no loops).",
    )
    active = BooleanField("Active", default=True)
    assignment_group_id = SelectField("Assignment group of new incidents", coerce=str)
    category = StringField("Category of new incidents", validators=[Optional(), Length(max=100)])
    impact = SelectField("Impact", choices=LEVELS, default="3")
    urgency = SelectField("Urgency", choices=LEVELS, default="3")
    unknown_senders = SelectField(
        "Mail from unknown senders",
        choices=[SelectChoice(u.value, u.label) for u in UnknownSenders],
        default=UnknownSenders.CREATE.value,
    )
    imap_host = StringField(
        "IMAP server",
        validators=[Optional(), Length(max=255)],
        description="Leave empty when an MTA pipes this mailbox's mail to flask mail receive.",
    )
    imap_port = IntegerField(
        "Port", validators=[Optional(), NumberRange(1, 65535)], description="Empty: the default."
    )
    imap_security = SelectField(
        "Security",
        choices=[SelectChoice(s.value, s.value.upper()) for s in Security],
        default=Security.SSL.value,
    )
    imap_username = StringField("User name", validators=[Optional(), Length(max=255)])
    imap_password = PasswordField(
        "Password",
        validators=[Optional(), Length(max=255)],
        description="Empty: keep the stored password.",
    )
    imap_folder = StringField(
        "Folder", default="INBOX", validators=[DataRequired(), Length(max=255)]
    )
    processed_folder = StringField(
        "Processed folder",
        default="Deskgraph/Processed",
        validators=[DataRequired(), Length(max=255)],
        description="Processed mail is moved here, never deleted.",
    )
    poll_seconds = IntegerField(
        "Poll every (seconds)", default=60, validators=[DataRequired(), NumberRange(10, 86400)]
    )


class MessageActionForm(OneSubmission, FlaskForm):
    """Process again, or dismiss, one message (CSRF and one submission only)."""

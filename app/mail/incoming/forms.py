"""Forms of the mailbox and quarantine pages: input shape only (rules live in
:mod:`app.mail.incoming.mailboxes`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
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
from app.mail.incoming.models import UNKNOWN_SENDER_LABELS, Security, UnknownSenders

LEVELS = [SelectChoice(str(n), str(n)) for n in (1, 2, 3)]


class MailboxForm(FlaskForm):
    version = HiddenField()
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Name the mailbox.")), Length(max=100)]
    )
    address = StringField(
        _l("Address"),
        validators=[DataRequired(_l("Give the mailbox's address.")), Length(max=320)],
        description=_l("Mail from this address is never taken as a new ticket (no loops)."),
    )
    active = BooleanField(_l("Active"), default=True)
    assignment_group_id = SelectField(_l("Assignment group of new incidents"), coerce=str)
    category = StringField(
        _l("Category of new incidents"), validators=[Optional(), Length(max=100)]
    )
    impact = SelectField(_l("Impact"), choices=LEVELS, default="3")
    urgency = SelectField(_l("Urgency"), choices=LEVELS, default="3")
    unknown_senders = SelectField(
        _l("Mail from unknown senders"),
        choices=[SelectChoice(u.value, UNKNOWN_SENDER_LABELS[u.value]) for u in UnknownSenders],
        default=UnknownSenders.CREATE.value,
    )
    imap_host = StringField(
        _l("IMAP server"),
        validators=[Optional(), Length(max=255)],
        description=_l("Leave empty when an MTA pipes this mailbox's mail to flask mail receive."),
    )
    imap_port = IntegerField(
        _l("Port"),
        validators=[Optional(), NumberRange(1, 65535)],
        description=_l("Empty: the default."),
    )
    imap_security = SelectField(
        _l("Security"),
        choices=[SelectChoice(s.value, s.value.upper()) for s in Security],
        default=Security.SSL.value,
    )
    imap_username = StringField(_l("User name"), validators=[Optional(), Length(max=255)])
    imap_password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(max=255)],
        description=_l("Empty: keep the stored password."),
    )
    imap_folder = StringField(
        _l("Folder"), default="INBOX", validators=[DataRequired(), Length(max=255)]
    )
    processed_folder = StringField(
        _l("Processed folder"),
        default="Deskgraph/Processed",
        validators=[DataRequired(), Length(max=255)],
        description=_l("Processed mail is moved here, never deleted."),
    )
    poll_seconds = IntegerField(
        _l("Poll every (seconds)"), default=60, validators=[DataRequired(), NumberRange(10, 86400)]
    )


class MessageActionForm(OneSubmission, FlaskForm):
    """Process again, or dismiss, one message (CSRF and one submission only)."""

"""The webhook pages' forms (input shape only; the services check the rules)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from app.forms import MultiCheckboxField, OneSubmission
from app.webhooks.vocabulary import EVENT_TYPES, TICKET_KINDS


class SubscriptionForm(FlaskForm):
    """A subscription's name, URL and filters (the group and service choices are filled by
    the view). Choices are checked by the service, so a hand-made post gets its message."""

    name = StringField(
        "Name", validators=[DataRequired("Give the subscription a name."), Length(max=120)]
    )
    url = StringField(
        "Payload URL",
        validators=[DataRequired("Enter the URL to send events to."), Length(max=2000)],
        description="An http:// or https:// address that accepts a JSON POST.",
    )
    event_types = MultiCheckboxField(
        "Events (none checked: every event)",
        choices=[SelectChoice(k, label) for k, label in EVENT_TYPES.items()],
        validate_choice=False,
    )
    ticket_kinds = MultiCheckboxField(
        "Ticket kinds (none checked: every kind)",
        choices=[SelectChoice(k, label) for k, label in TICKET_KINDS.items()],
        validate_choice=False,
    )
    group_ids = SelectMultipleField(
        "Assignment groups", coerce=int, validate_choice=False, description="None: any group."
    )
    service_ids = SelectMultipleField(
        "Business services",
        coerce=int,
        validate_choice=False,
        description="None: any ticket. Chosen: only incidents of one of them.",
    )
    work_notes = BooleanField(
        "Send work notes",
        description="Internal comments (IT staff only) are sent too; replies always are.",
    )
    version = HiddenField()


class NewSubscriptionForm(OneSubmission, SubscriptionForm):
    """Creating one: a double click creates one subscription."""


class ButtonForm(FlaskForm):
    """A button that changes a subscription (CSRF only)."""


class TestForm(OneSubmission, FlaskForm):
    """ "Send a test delivery": one submission, so a double click sends once."""

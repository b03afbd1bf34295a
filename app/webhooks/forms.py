"""The webhook pages' forms (input shape only; the services check the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from app.forms import MultiCheckboxField, OneSubmission
from app.webhooks.vocabulary import EVENT_TYPES, TICKET_KINDS


class SubscriptionForm(FlaskForm):
    """A subscription's name, URL and filters (the group and service choices are filled by
    the view). Choices are checked by the service, so a hand-made post gets its message."""

    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Give the subscription a name.")), Length(max=120)]
    )
    url = StringField(
        _l("Payload URL"),
        validators=[DataRequired(_l("Enter the URL to send events to.")), Length(max=2000)],
        description=_l("An http:// or https:// address that accepts a JSON POST."),
    )
    event_types = MultiCheckboxField(
        _l("Events (none checked: every event)"),
        choices=[SelectChoice(k, label) for k, label in EVENT_TYPES.items()],
        validate_choice=False,
    )
    ticket_kinds = MultiCheckboxField(
        _l("Ticket kinds (none checked: every kind)"),
        choices=[SelectChoice(k, label) for k, label in TICKET_KINDS.items()],
        validate_choice=False,
    )
    group_ids = SelectMultipleField(
        _l("Assignment groups"),
        coerce=int,
        validate_choice=False,
        description=_l("None: any group."),
    )
    service_ids = SelectMultipleField(
        _l("Business services"),
        coerce=int,
        validate_choice=False,
        description=_l("None: any ticket. Chosen: only incidents of one of them."),
    )
    work_notes = BooleanField(
        _l("Send work notes"),
        description=_l("Internal comments (IT staff only) are sent too; replies always are."),
    )
    version = HiddenField()


class NewSubscriptionForm(OneSubmission, SubscriptionForm):
    """Creating one: a double click creates one subscription."""


class ButtonForm(FlaskForm):
    """A button that changes a subscription (CSRF only)."""


class TestForm(OneSubmission, FlaskForm):
    """ "Send a test delivery": one submission, so a double click sends once."""

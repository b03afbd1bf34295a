"""The survey's forms: the answer (portal and mail link) and the administrators' settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import Optional


class AnswerForm(FlaskForm):
    """One question; the service checks the values (a clear message for each)."""

    # Rendered as five faces (radio buttons) by the template.
    score = StringField(_l("How satisfied are you with how this was handled?"))
    comment = TextAreaField(_l("Anything to add? (optional)"))
    version = HiddenField()


class SettingsForm(FlaskForm):
    percentage = IntegerField(
        _l("Share of resolved tickets asked (%)"), validators=[Optional()], default=100
    )
    once_per_days = IntegerField(
        _l("At most one survey per person every … days (0: no limit)"),
        validators=[Optional()],
        default=0,
    )
    delay_hours = IntegerField(_l("Ask … hours after the resolution"), validators=[Optional()])
    low_score = IntegerField(_l("A score of … or less tells the group's manager"), default=2)
    edit_days = IntegerField(_l("Answers may be changed for … days"), default=3)
    version = HiddenField()

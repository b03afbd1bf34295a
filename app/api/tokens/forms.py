"""The settings page's forms: make a token, revoke one."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.api.tokens.services import MAX_DAYS
from app.forms import MultiCheckboxField, OneSubmission


class TokenForm(OneSubmission, FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])
    scopes = MultiCheckboxField("Scopes", validate_choice=True)
    expires_days = IntegerField(
        "Expires after (days)", validators=[Optional(), NumberRange(min=1, max=MAX_DAYS)]
    )


class RevokeForm(FlaskForm):
    pass

"""The settings page's forms: make a token, revoke one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.api.tokens.services import MAX_DAYS
from app.forms import MultiCheckboxField, OneSubmission


class TokenForm(OneSubmission, FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])
    scopes = MultiCheckboxField(_l("Scopes"), validate_choice=True)
    expires_days = IntegerField(
        _l("Expires after (days)"), validators=[Optional(), NumberRange(min=1, max=MAX_DAYS)]
    )


class RevokeForm(FlaskForm):
    pass

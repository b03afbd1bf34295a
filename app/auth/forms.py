"""Sign-in and account forms: input shape only; rules live in the services."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from app.i18n import locale


def timezone_choices(default_label: str) -> list[SelectChoice]:
    zones = sorted(available_timezones())
    return [SelectChoice("", default_label)] + [SelectChoice(z, z.replace("_", " ")) for z in zones]


def language_choices() -> list[SelectChoice]:
    """The languages the desk speaks, each in its own name, after "as my directory or browser
    says" (no choice of one's own)."""
    return [SelectChoice("", _l("As my directory or browser says"))] + [
        SelectChoice(code, locale.language_name(code)) for code in locale.available()
    ]


class SignInForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(_l("Enter your username.")), Length(max=150)],
        render_kw={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class SignOutForm(FlaskForm):
    """Sign-out is a POST with a CSRF token, so another site cannot sign anyone out."""


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Choose a new password.")), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("new_password", _l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class PreferencesForm(FlaskForm):
    language = SelectField(_l("Language"), validate_choice=True)
    timezone = SelectField(_l("Time zone"), validate_choice=True)

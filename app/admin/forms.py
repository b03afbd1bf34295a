"""Administration forms: input shape only; rules live in the auth services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from app.auth.models import ROLE_LABELS, Role
from app.filtering import FilterForm
from app.forms import MultiCheckboxField

ROLE_CHOICES = [SelectChoice(r.value, ROLE_LABELS[r.value]) for r in Role]


class UserFilterForm(FilterForm):
    """The people list's filters."""

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice("", _l("Any role")), *ROLE_CHOICES],
        default="",
        validate_choice=True,
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("active", _l("Active")),
            SelectChoice("inactive", _l("Deactivated")),
            SelectChoice("unverified", _l("Unverified (from mail)")),
            SelectChoice("all", _l("All")),
        ],
        default="active",
    )
    department = StringField(_l("Department"), validators=[Optional(), Length(max=200)])


class _PersonFields(FlaskForm):
    display_name = StringField(
        _l("Full name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=200)]
    )
    email = StringField(
        _l("Email"),
        validators=[Optional(), Email(_l("Enter a valid email address.")), Length(max=320)],
    )
    department = StringField(_l("Department"), validators=[Optional(), Length(max=200)])
    title = StringField(_l("Job title"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=50)])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    manager = StringField(
        _l("Manager (username)"),
        validators=[Optional(), Length(max=150)],
        description=_l("Approvals go to this person."),
    )


class UserCreateForm(_PersonFields):
    username = StringField(
        _l("Username"), validators=[DataRequired(_l("Choose a username.")), Length(max=150)]
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(_l("Set an initial password.")), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    roles = MultiCheckboxField(_l("Roles"), choices=ROLE_CHOICES, default=[Role.EMPLOYEE.value])


class UserEditForm(_PersonFields):
    version = HiddenField()


class UserRolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles set here"), choices=ROLE_CHOICES)


class UserActiveForm(FlaskForm):
    active = HiddenField(validators=[DataRequired()])


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter the new password.")), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )


class GroupForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("A group needs a name.")), Length(max=150)]
    )
    email = StringField(
        _l("Email"),
        validators=[Optional(), Email(_l("Enter a valid email address.")), Length(max=320)],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    manager = StringField(_l("Manager (username)"), validators=[Optional(), Length(max=150)])
    is_assignment_group = BooleanField(
        _l("Assignment group"), description=_l("Tickets can be assigned to this group (a queue).")
    )


class MembersAddForm(FlaskForm):
    usernames = StringField(
        _l("Add people"),
        validators=[DataRequired(_l("Enter one or more usernames.")), Length(max=4000)],
        description=_l("Usernames separated by commas or spaces."),
    )


class MemberRemoveForm(FlaskForm):
    user_id = HiddenField(validators=[DataRequired()])

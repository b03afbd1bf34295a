"""Administration forms: input shape only; rules live in the auth services."""

from __future__ import annotations

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

    q = StringField("Search", validators=[Optional(), Length(max=200)])
    role = SelectField(
        "Role",
        choices=[SelectChoice("", "Any role"), *ROLE_CHOICES],
        default="",
        validate_choice=True,
    )
    status = SelectField(
        "Status",
        choices=[
            SelectChoice("active", "Active"),
            SelectChoice("inactive", "Deactivated"),
            SelectChoice("unverified", "Unverified (from mail)"),
            SelectChoice("all", "All"),
        ],
        default="active",
    )
    department = StringField("Department", validators=[Optional(), Length(max=200)])


class _PersonFields(FlaskForm):
    display_name = StringField(
        "Full name", validators=[DataRequired("Enter the person's name."), Length(max=200)]
    )
    email = StringField(
        "Email", validators=[Optional(), Email("Enter a valid email address."), Length(max=320)]
    )
    department = StringField("Department", validators=[Optional(), Length(max=200)])
    title = StringField("Job title", validators=[Optional(), Length(max=200)])
    phone = StringField("Phone", validators=[Optional(), Length(max=50)])
    location = StringField("Location", validators=[Optional(), Length(max=200)])
    manager = StringField(
        "Manager (username)",
        validators=[Optional(), Length(max=150)],
        description="Approvals go to this person.",
    )


class UserCreateForm(_PersonFields):
    username = StringField(
        "Username", validators=[DataRequired("Choose a username."), Length(max=150)]
    )
    password = PasswordField(
        "Initial password",
        validators=[DataRequired("Set an initial password."), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES, default=[Role.EMPLOYEE.value])


class UserEditForm(_PersonFields):
    version = HiddenField()


class UserRolesForm(FlaskForm):
    roles = MultiCheckboxField("Roles set here", choices=ROLE_CHOICES)


class UserActiveForm(FlaskForm):
    active = HiddenField(validators=[DataRequired()])


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired("Enter the new password."), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )


class GroupForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("A group needs a name."), Length(max=150)])
    email = StringField(
        "Email", validators=[Optional(), Email("Enter a valid email address."), Length(max=320)]
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=4000)])
    manager = StringField("Manager (username)", validators=[Optional(), Length(max=150)])
    is_assignment_group = BooleanField(
        "Assignment group", description="Tickets can be assigned to this group (a queue)."
    )


class MembersAddForm(FlaskForm):
    usernames = StringField(
        "Add people",
        validators=[DataRequired("Enter one or more usernames."), Length(max=4000)],
        description="Usernames separated by commas or spaces.",
    )


class MemberRemoveForm(FlaskForm):
    user_id = HiddenField(validators=[DataRequired()])

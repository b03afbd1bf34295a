"""CMDB forms: input shape only; the rules (uniqueness, hardware fields, typed attributes,
relations) live in the services. Attribute inputs are named ``attr_<name>`` and read from the
request by the views, because each class has its own."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.cmdb.graph.vocabulary import Lifecycle, Treatment
from app.cmdb.models import CRITICALITY, ENVIRONMENTS, LIFECYCLE_LABELS, AttributeType
from app.cmdb.settings import TREATMENT_LABELS

STATUS_CHOICES = [SelectChoice(s.value, LIFECYCLE_LABELS[s]) for s in Lifecycle]
ENVIRONMENT_CHOICES = [SelectChoice("", "—")] + [
    SelectChoice(e, e.capitalize()) for e in ENVIRONMENTS
]
CRITICALITY_CHOICES = [SelectChoice("", "—")] + [
    SelectChoice(str(k), v) for k, v in CRITICALITY.items()
]


class CIForm(FlaskForm):
    """Create or edit a CI (``ci_class`` is only used on creation)."""

    version = HiddenField()
    ci_class = SelectField("Class", validate_choice=False)
    name = StringField("Name", validators=[DataRequired("A CI needs a name."), Length(max=200)])
    status = SelectField("Lifecycle status", choices=STATUS_CHOICES, default="in_service")
    environment = SelectField("Environment", choices=ENVIRONMENT_CHOICES, default="")
    criticality = SelectField("Criticality", choices=CRITICALITY_CHOICES, default="")
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    owner = StringField("Owner (username)", validators=[Optional(), Length(max=150)])
    support_group = SelectField("Support group", validate_choice=False, default="")
    location = StringField("Location", validators=[Optional(), Length(max=200)])
    users_count = IntegerField(
        "Users",
        validators=[Optional(), NumberRange(min=0, max=10_000_000)],
        description="How many people use this business service (when no users group is set).",
    )
    users_group = SelectField(
        "Users (group)",
        validate_choice=False,
        default="",
        description="When set, its active members are the users, and people who use several "
        "affected services are counted once.",
    )
    min_up = IntegerField(
        "Redundancy: at least N members up",
        validators=[Optional(), NumberRange(min=1, max=100_000)],
    )
    min_up_percent = IntegerField(
        "Redundancy: at least N % of members up", validators=[Optional(), NumberRange(1, 100)]
    )
    asset_tag = StringField("Asset tag", validators=[Optional(), Length(max=80)])
    serial_number = StringField("Serial number", validators=[Optional(), Length(max=120)])
    model = StringField("Model", validators=[Optional(), Length(max=120)])
    warranty_end = DateField("Warranty end", validators=[Optional()])
    assigned_user = StringField("Assigned to (username)", validators=[Optional(), Length(max=150)])


class RelateForm(FlaskForm):
    """``this CI <type> other`` (direction ``forward``) or ``other <type> this CI``."""

    type = SelectField("Relation", validate_choice=False)
    direction = SelectField(
        "Direction",
        choices=[
            SelectChoice("forward", "this CI → other"),
            SelectChoice("reverse", "other → this CI"),
        ],
        default="forward",
    )
    other = StringField(
        "Other CI (name)", validators=[DataRequired("Name the other CI."), Length(max=200)]
    )


class RemoveRelationForm(FlaskForm):
    relation = HiddenField(validators=[DataRequired()])


class RetireForm(FlaskForm):
    version = HiddenField()


class DeleteForm(FlaskForm):
    """Confirm deleting a CI without relations."""


class ClassForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired(), Length(max=60)], description="e.g. firewall"
    )
    label = StringField("Label", validators=[DataRequired(), Length(max=100)])
    parent = SelectField("Parent class", validate_choice=False, default="")
    is_hardware = BooleanField("Hardware (asset tag, serial, warranty, assignee)")
    description = TextAreaField(
        "Description", validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )


class ClassEditForm(ClassForm):
    version = HiddenField()


class AttributeForm(FlaskForm):
    ci_class = SelectField("Class", validate_choice=False, default="")
    name = StringField("Name", validators=[DataRequired(), Length(max=60)])
    label = StringField("Label", validators=[Optional(), Length(max=100)])
    help = StringField(
        "Help text",
        validators=[Optional(), Length(max=300)],
        description="Shown under the input on CI forms.",
    )
    type = SelectField(
        "Type",
        choices=[SelectChoice(t.value, t.value.capitalize()) for t in AttributeType],
        default=AttributeType.STRING.value,
    )
    required = BooleanField("Required")
    choices = StringField(
        "Choices", validators=[Optional(), Length(max=5000)], description="Comma-separated."
    )


class AttributeEditForm(AttributeForm):
    """Edit a definition: its class is fixed (``ci_class`` is not read)."""

    version = HiddenField()


class DeleteClassForm(FlaskForm):
    """Deleting always names the version the page showed (a stale page gets a 409)."""

    version = HiddenField(validators=[DataRequired("Reload the page and try again.")])


class DeleteAttributeForm(FlaskForm):
    version = HiddenField(validators=[DataRequired("Reload the page and try again.")])
    confirm = StringField(
        "To delete it with its values, type the attribute's name",
        validators=[Optional(), Length(max=60)],
    )


def _treatment_field(status: Lifecycle, default: Treatment) -> SelectField:
    return SelectField(
        f"{LIFECYCLE_LABELS[status]} CIs",
        choices=[SelectChoice(t.value, TREATMENT_LABELS[t]) for t in Treatment],
        default=default.value,
    )


class ImpactSettingsForm(FlaskForm):
    """How impact analysis treats CIs of each lifecycle status (see ``app.cmdb.settings``)."""

    version = HiddenField()
    planned = _treatment_field(Lifecycle.PLANNED, Treatment.IGNORED)
    in_maintenance = _treatment_field(Lifecycle.IN_MAINTENANCE, Treatment.ALREADY_DOWN)
    retired = _treatment_field(Lifecycle.RETIRED, Treatment.IGNORED)

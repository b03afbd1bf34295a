"""CMDB forms: input shape only; the rules (uniqueness, hardware fields, typed attributes,
relations) live in the services. Attribute inputs are named ``attr_<name>`` and read from the
request by the views, because each class has its own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
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
from app.cmdb.models import (
    ATTRIBUTE_TYPE_LABELS,
    CRITICALITY,
    ENVIRONMENT_LABELS,
    LIFECYCLE_LABELS,
    AttributeType,
)
from app.cmdb.settings import TREATMENT_LABELS

STATUS_CHOICES = [SelectChoice(s.value, LIFECYCLE_LABELS[s]) for s in Lifecycle]
ENVIRONMENT_CHOICES = [SelectChoice("", "—")] + [
    SelectChoice(e, label) for e, label in ENVIRONMENT_LABELS.items()
]
CRITICALITY_CHOICES = [SelectChoice("", "—")] + [
    SelectChoice(str(k), v) for k, v in CRITICALITY.items()
]


class CIForm(FlaskForm):
    """Create or edit a CI (``ci_class`` is only used on creation)."""

    version = HiddenField()
    ci_class = SelectField(_l("Class"), validate_choice=False)
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("A CI needs a name.")), Length(max=200)]
    )
    status = SelectField(_l("Lifecycle status"), choices=STATUS_CHOICES, default="in_service")
    environment = SelectField(_l("Environment"), choices=ENVIRONMENT_CHOICES, default="")
    criticality = SelectField(_l("Criticality"), choices=CRITICALITY_CHOICES, default="")
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    owner = StringField(_l("Owner (username)"), validators=[Optional(), Length(max=150)])
    support_group = SelectField(_l("Support group"), validate_choice=False, default="")
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    users_count = IntegerField(
        _l("Users"),
        validators=[Optional(), NumberRange(min=0, max=10_000_000)],
        description=_l("How many people use this business service (when no users group is set)."),
    )
    users_group = SelectField(
        _l("Users (group)"),
        validate_choice=False,
        default="",
        description=_l(
            "When set, its active members are the users, and people who use several "
            "affected services are counted once."
        ),
    )
    min_up = IntegerField(
        _l("Redundancy: at least N members up"),
        validators=[Optional(), NumberRange(min=1, max=100_000)],
    )
    min_up_percent = IntegerField(
        _l("Redundancy: at least this percentage of members up"),
        validators=[Optional(), NumberRange(1, 100)],
    )
    asset_tag = StringField(_l("Asset tag"), validators=[Optional(), Length(max=80)])
    serial_number = StringField(_l("Serial number"), validators=[Optional(), Length(max=120)])
    model = StringField(_l("Model"), validators=[Optional(), Length(max=120)])
    warranty_end = DateField(_l("Warranty end"), validators=[Optional()])
    assigned_user = StringField(
        _l("Assigned to (username)"), validators=[Optional(), Length(max=150)]
    )


class RelateForm(FlaskForm):
    """``this CI <type> other`` (direction ``forward``) or ``other <type> this CI``."""

    type = SelectField(_l("Relation"), validate_choice=False)
    direction = SelectField(
        _l("Direction"),
        choices=[
            SelectChoice("forward", _l("this CI → other")),
            SelectChoice("reverse", _l("other → this CI")),
        ],
        default="forward",
    )
    other = StringField(
        _l("Other CI (name)"), validators=[DataRequired(_l("Name the other CI.")), Length(max=200)]
    )


class RemoveRelationForm(FlaskForm):
    relation = HiddenField(validators=[DataRequired()])


class RetireForm(FlaskForm):
    version = HiddenField()


class DeleteForm(FlaskForm):
    """Confirm deleting a CI without relations."""


class ClassForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=60)], description=_l("e.g. firewall")
    )
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=100)])
    parent = SelectField(_l("Parent class"), validate_choice=False, default="")
    is_hardware = BooleanField(_l("Hardware (asset tag, serial, warranty, assignee)"))
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )


class ClassEditForm(ClassForm):
    version = HiddenField()


class AttributeForm(FlaskForm):
    ci_class = SelectField(_l("Class"), validate_choice=False, default="")
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    label = StringField(_l("Label"), validators=[Optional(), Length(max=100)])
    help = StringField(
        _l("Help text"),
        validators=[Optional(), Length(max=300)],
        description=_l("Shown under the input on CI forms."),
    )
    type = SelectField(
        _l("Type"),
        choices=[SelectChoice(t.value, ATTRIBUTE_TYPE_LABELS[t]) for t in AttributeType],
        default=AttributeType.STRING.value,
    )
    required = BooleanField(_l("Required"))
    choices = StringField(
        _l("Choices"), validators=[Optional(), Length(max=5000)], description="Comma-separated."
    )


class AttributeEditForm(AttributeForm):
    """Edit a definition: its class is fixed (``ci_class`` is not read)."""

    version = HiddenField()


class DeleteClassForm(FlaskForm):
    """Deleting always names the version the page showed (a stale page gets a 409)."""

    version = HiddenField(validators=[DataRequired(_l("Reload the page and try again."))])


class DeleteAttributeForm(FlaskForm):
    version = HiddenField(validators=[DataRequired(_l("Reload the page and try again."))])
    confirm = StringField(
        _l("To delete it with its values, type the attribute's name"),
        validators=[Optional(), Length(max=60)],
    )


def _treatment_field(status: Lifecycle, default: Treatment) -> SelectField:
    return SelectField(
        _l("%(status)s CIs", status=LIFECYCLE_LABELS[status]),
        choices=[SelectChoice(t.value, TREATMENT_LABELS[t]) for t in Treatment],
        default=default.value,
    )


class ImpactSettingsForm(FlaskForm):
    """How impact analysis treats CIs of each lifecycle status (see ``app.cmdb.settings``)."""

    version = HiddenField()
    planned = _treatment_field(Lifecycle.PLANNED, Treatment.IGNORED)
    in_maintenance = _treatment_field(Lifecycle.IN_MAINTENANCE, Treatment.ALREADY_DOWN)
    retired = _treatment_field(Lifecycle.RETIRED, Treatment.IGNORED)

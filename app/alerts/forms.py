"""The alert source form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class SourceForm(FlaskForm):
    version = HiddenField()
    ci_label = StringField(
        _l("CI label"),
        validators=[Optional(), Length(max=100)],
        description=_l("A label whose value names the CI (tried before host names and IPs)."),
    )
    auto_resolve = BooleanField(
        _l("Resolve the incident when every alert is resolved"),
        description=_l("Off: a person resolves it; cleared alerts only add a work note."),
    )
    damping_seconds = IntegerField(
        _l("Damping window (seconds)"),
        validators=[InputRequired(), NumberRange(min=0, max=86_400)],
        description=_l("A change of state this soon after the previous one is a flap: no note."),
    )
    group_window_seconds = IntegerField(
        _l("Grouping window (seconds)"),
        validators=[InputRequired(), NumberRange(min=0, max=86_400)],
        description=_l("Alerts firing this close together are grouped by the CMDB."),
    )
    group_wait_seconds = IntegerField(
        _l("Group wait (seconds)"),
        validators=[InputRequired(), NumberRange(min=0, max=86_400)],
        description=_l(
            "When a root CI starts alerting, incidents on CIs that depend on it opened "
            "this long before become its children."
        ),
    )

"""``POST /api/v1/alerts``: monitoring alerts in (Alertmanager's webhook or the generic JSON of
docs/alerts.md), turned into incidents grouped by the CMDB by :mod:`app.alerts.services`.

The body is read by :func:`app.alerts.parsing.parse_payload` (the one reader of both formats),
so this module only checks the token, hands the body over and commits once: one transaction
per request, whatever the number of alerts in it.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from app.alerts import (
    permissions,  # noqa: F401  (registers alerts.intake)
    services,
)
from app.alerts.parsing import MAX_ALERTS, PayloadError, parse_payload
from app.api import scopes
from app.api.auth import operation
from app.api.spec import Blueprint
from app.errors import Invalid
from app.extensions import db

AREA = scopes.add_area("alerts", "Monitoring alerts: post alerts that become incidents")
WRITE = f"{AREA}:write"

blp = Blueprint(
    "alerts_api",
    __name__,
    description="Monitoring alerts: Prometheus Alertmanager's webhook or the generic JSON.",
)


class AlertIn(ma.Schema):
    """One alert of either format (Alertmanager's fields, or the generic ones)."""

    class Meta:
        unknown = ma.INCLUDE

    status = ma.fields.String(required=True, validate=ma.validate.OneOf(["firing", "resolved"]))
    fingerprint = ma.fields.String(validate=ma.validate.Length(min=1, max=128))
    severity = ma.fields.String(metadata={"description": "Generic: critical, major, warning…"})
    summary = ma.fields.String(metadata={"description": "Generic: what is wrong (required)"})
    ci = ma.fields.String(metadata={"description": "Generic: a CI name, host name or IP"})
    labels = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw())
    annotations = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    starts_at = ma.fields.String(metadata={"description": "Generic: ISO 8601 with offset"})
    ends_at = ma.fields.String(metadata={"description": "Generic: ISO 8601 with offset"})
    startsAt = ma.fields.String(metadata={"description": "Alertmanager"})  # noqa: N815
    endsAt = ma.fields.String(metadata={"description": "Alertmanager"})  # noqa: N815


class AlertsIn(ma.Schema):
    """Alertmanager (version 4: ``receiver`` names the source) or generic (``source``)."""

    class Meta:
        unknown = ma.INCLUDE

    source = ma.fields.String(metadata={"description": "Generic: the sender's name"})
    receiver = ma.fields.String(metadata={"description": "Alertmanager: names the source"})
    version = ma.fields.String(metadata={"description": 'Alertmanager: "4"'})
    alerts = ma.fields.List(
        ma.fields.Nested(AlertIn),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_ALERTS),
    )


class IntakeOut(ma.Schema):
    source = ma.fields.String(required=True)
    received = ma.fields.Integer(required=True)
    created = ma.fields.Integer(required=True, metadata={"description": "New alerts"})
    changed = ma.fields.Integer(required=True, metadata={"description": "Changed state"})
    unchanged = ma.fields.Integer(required=True, metadata={"description": "Sent again"})
    damped = ma.fields.Integer(required=True, metadata={"description": "Flaps"})
    unmatched = ma.fields.Integer(required=True, metadata={"description": "Naming no CI"})
    incidents_opened = ma.fields.List(ma.fields.String(), required=True)
    incidents_updated = ma.fields.List(ma.fields.String(), required=True)
    incidents_resolved = ma.fields.List(ma.fields.String(), required=True)


@blp.route("/alerts", methods=["POST"])
@operation("alerts.intake", WRITE)
@blp.arguments(AlertsIn)
@blp.response(200, IntakeOut)
def post_alerts(_checked: dict[str, Any]) -> Any:
    """Post alerts: deduplicated by fingerprint, matched to CIs, grouped by the CMDB into one
    incident per most-upstream alerting CI (docs/alerts.md). The same payload twice adds
    nothing. Every faulty alert is named in the 422's field errors; nothing is saved then."""
    try:
        payload = parse_payload(request.get_json())
    except PayloadError as error:
        raise Invalid(error.errors, _("Some alerts cannot be read.")) from None
    report = services.intake(payload, actor=current_user)
    db.session.commit()
    return report.as_dict()

"""The alerts of an incident on its page, for IT staff: a template global the alerts package
registers (``alert_panel(incident)``), so the incident pages show it without importing
``alerts`` (which imports ``incidents``)."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user
from markupsafe import Markup

from app.alerts import sources
from app.policy import can
from app.tickets.models import Channel

SHOWN = 50
"""Alerts listed on an incident's page (firing first, then the latest); the rest are counted
and the recent alerts page lists them all."""


def alert_panel(incident: Any) -> Markup:
    """The incident's alerts (nothing for people who are not IT staff, or without alerts)."""
    if not current_user.is_authenticated or not can(current_user, "alerts.view"):
        return Markup("")
    if incident.channel != Channel.API:
        return Markup("")  # alerts only join the incidents their intake opened, through the API
    listed = sources.incident_alerts(incident.id, SHOWN)
    if not listed.alerts:
        return Markup("")
    return Markup(render_template("alerts/_incident_alerts.html", incident=incident, listed=listed))


def globals_() -> dict[str, Any]:
    return {"alert_panel": alert_panel}

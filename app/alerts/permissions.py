"""Authorization rules for alerts (see ``app.policy``)."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.policy import rule


@rule("alerts.admin")
def may_configure_alert_sources(user: Any, obj: Any) -> bool:
    """Alert sources: the CI label, automatic resolution, the damping and grouping windows."""
    return user.has_role(Role.ADMIN)


@rule("alerts.view")
def may_view_alerts(user: Any, obj: Any) -> bool:
    """The recent alerts and the incidents they went to: IT staff."""
    return user.has_role(Role.AGENT, Role.ADMIN)


@rule("alerts.intake")
def may_send_alerts(user: Any, obj: Any) -> bool:
    """Post alerts (the monitoring's service account, or an agent's token): IT staff only; the
    API adds the token's ``alerts:write`` scope."""
    return user.has_role(Role.AGENT, Role.ADMIN)

"""Authorization rules for SLA policies and reports (see ``app.policy``)."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.policy import rule


@rule("sla.reports")
def may_read_sla_reports(user: Any, obj: Any) -> bool:
    return user.has_role(Role.SERVICE_OWNER, Role.ADMIN)

"""Authorization rules of the role homes (see ``app.policy``)."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.policy import rule


@rule("portal.service_health")
def may_follow_service_health(user: Any, obj: Any) -> bool:
    """Service owners follow the health of the business services they own (which services
    those are, the CMDB says: a service someone else owns is "not found")."""
    return user.has_role(Role.SERVICE_OWNER)

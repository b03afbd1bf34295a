"""Authorization rules for incidents (see ``app.policy``)."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.policy import rule


@rule("incidents.console")
def may_use_agent_console(user: Any, obj: Any) -> bool:
    return user.has_role(Role.AGENT)

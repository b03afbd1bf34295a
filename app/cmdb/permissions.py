"""Authorization rules for the configuration database (see ``app.policy``)."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.policy import rule


@rule("cmdb.browse")
def may_browse_cmdb(user: Any, obj: Any) -> bool:
    """IT staff read the CMDB: agents, service owners and administrators."""
    return user.has_role(Role.AGENT, Role.SERVICE_OWNER, Role.ADMIN)


@rule("cmdb.manage")
def may_manage_cmdb(user: Any, obj: Any) -> bool:
    """Create, edit, relate, retire and delete CIs; add classes and attributes: administrators."""
    return user.has_role(Role.ADMIN)

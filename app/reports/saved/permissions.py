"""Who may keep saved views of the report pages (see ``app.policy``): the IT staff who read
reports. Each view is personal: services load it by owner, so nobody reaches another's."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.policy import rule

REPORT_READERS = (Role.AGENT, Role.SERVICE_OWNER, Role.ADMIN)


@rule("reports.saved_views")
def may_keep_saved_views(user: Any, obj: Any) -> bool:
    return bool(user.has_role(*REPORT_READERS))

"""Authorization rules for webhooks (see ``app.policy``): only administrators subscribe
URLs, see the secrets and read the delivery log."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.policy import rule


@rule("webhooks.admin")
def may_manage_webhooks(user: Any, obj: Any) -> bool:
    return bool(user.has_role(Role.ADMIN))

"""Authorization rules for notifications (see ``app.policy``): reading one's own needs only a
sign-in (``@signed_in``); the desk-wide settings are the administrators'."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.policy import rule


@rule("notifications.admin")
def may_configure_notifications(user: Any, obj: Any) -> bool:
    """Which kinds exist, which are mandatory, their default channels."""
    return user.has_role(Role.ADMIN)

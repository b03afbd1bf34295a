"""Authorization rules for the mail channel (see ``app.policy``)."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.policy import rule


@rule("mail.admin")
def may_administer_mail(user: Any, obj: Any) -> bool:
    """The mail pages (the outbox, bounces) show mail to anyone: administrators only."""
    return user.has_role(Role.ADMIN)

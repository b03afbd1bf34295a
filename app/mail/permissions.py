"""Authorization rules of the mail channel (see ``app.policy``)."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.policy import rule


@rule("mail.admin")
def may_administer_mail(user: Any, obj: Any) -> bool:
    """Mailboxes, the quarantine and the mail outbox: administrators."""
    return user.has_role(Role.ADMIN)

"""Who may import: administrators (an import writes people, groups, tickets and CIs)."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.policy import rule


@rule("imports.admin")
def may_import(user: Any, obj: Any) -> bool:
    return bool(user.has_role(Role.ADMIN))

"""Authorization rules for surveys (see ``app.policy``): answering is the caller's (checked by
the services), the scores are IT staff's, the settings the administrators'."""

from __future__ import annotations

from typing import Any

from app.auth.models import Role
from app.policy import rule


@rule("surveys.configure")
def may_configure_surveys(user: Any, obj: Any) -> bool:
    """Sampling, delay, the low score and the edit window."""
    return user.has_role(Role.ADMIN)


@rule("surveys.read_scores")
def may_read_scores(user: Any, obj: Any) -> bool:
    """Scores and comments, on a ticket and in the report: IT staff (and those who run it)."""
    return user.has_role(Role.AGENT, Role.SERVICE_OWNER, Role.ADMIN)

"""The end of a deflection attempt when its report is sent: a receiver of
``incidents.signals.reported`` (connected by the factory), since incidents import nothing from
the knowledge base."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, session

from app.kb import services

ATTEMPT = "kb_attempt"  # the session key of the person's open deflection attempt


def report_sent(_incident: Any, *, user: Any) -> None:
    """A report was sent (``incidents.signals.reported``, in the transaction that opens the
    incident): the person's open attempt ends with a ticket, it was not deflected."""
    if not has_request_context() or ATTEMPT not in session:
        return
    attempt = services.open_attempt(session.pop(ATTEMPT), user)
    if attempt is not None:
        services.end_attempt(attempt, services.AttemptOutcome.TICKET)

"""Keep task SLA records current without the ticket services knowing about SLAs.

A session hook of the shared shape (:func:`app.tickets.event_hooks.on_ticket_events`): each
flush notes the tickets it wrote ``TicketEvent`` rows for, and before the commit
:func:`app.sla.services.refresh_ticket_slas` recomputes those tickets' records in the same
transaction, so a ticket change and its SLA records are committed together or not at all.

A bulk load of history calls :func:`settle_on_commit` so that its tickets' past warnings and
breaches are recorded as notified when it commits. A rollback forgets the noted ids (and the
mark). Installed once per process by :func:`install`, which the application factory calls when
it connects the domains' receivers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.extensions import db
from app.settings_cache import token_at_hand
from app.tickets.event_hooks import keep_for_hooks, on_ticket_events

SETTLE = "sla_settle_at"
ACTIVE_POLICIES = "sla_active_policies"  # offered to the hooks after this one (the reports')


def settle_on_commit(now: datetime) -> None:
    """Mark the current transaction as a bulk load of history (the demo, an import): the
    records of every ticket it touched are computed as of ``now`` and their past warnings and
    breaches recorded as already notified (see ``refresh_ticket_slas(settle=True)``), so the
    next tick does not announce them all at once. Order-independent: tickets added after
    the call, in the same transaction, are settled too."""
    db.session.info[SETTLE] = now


def _refresh(session: Session, ticket_ids: set[Any]) -> None:
    from app.sla.services import active_policies, any_active_policy, refresh_ticket_slas

    settle_at = session.info.pop(SETTLE, None)  # a mark for this transaction only
    # With no active policy nothing is measured (records of inactive ones are left as they
    # were), so knowing that saves reading the tickets, their events and their records. In a
    # request the settings cache knows it without a statement; elsewhere checking the cache
    # would cost a statement, as the policies' own read does (and which then serves too).
    # The policies read serve the batch's queues and the report hook's queue calendars (no
    # policy: none, offered as such).
    # (The cache answers as of the request's start: a policy switched on by another node while
    # this request ran gives this commit's tickets no record until their next event.)
    if token_at_hand() and not any_active_policy():
        keep_for_hooks(session, ACTIVE_POLICIES, [])
        return
    active = active_policies()
    keep_for_hooks(session, ACTIVE_POLICIES, active)
    if not active:
        return
    refresh_ticket_slas(
        ticket_ids,
        now=settle_at,
        settle=settle_at is not None,
        share_events=True,
        policies=active,
    )


HOOK = on_ticket_events("sla", _refresh, also_forget=(SETTLE,))


def install() -> None:
    """Attach the hook to ``db.session`` (idempotent: apps built again share it)."""
    HOOK.install()

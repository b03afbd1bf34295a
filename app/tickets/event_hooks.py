"""Act before a commit on the ticket events its transaction wrote: the one shape of the session
hooks of notifications, webhooks, the SLA records and the report rollups.

:func:`on_ticket_events` builds the three listeners of that shape once per process:

* ``after_flush`` notes what ``collect(session)`` picks from the flush (by default the ids of
  the tickets whose ``TicketEvent`` rows it inserted) in ``session.info``, so each session
  keeps its own set;
* ``before_commit`` of the whole transaction (a SAVEPOINT released inside it waits for the real
  commit) flushes what is pending, then calls ``act(session, items)`` **once** with everything
  noted, when anything was, in the same transaction: the action commits with the change or not
  at all. While ``act`` runs, a commit inside it does not call it again;
* ``after_soft_rollback`` of the whole transaction forgets the noted items.

``also_forget`` names other ``session.info`` keys that live for one transaction (the SLA's
bulk-load mark): they are dropped after ``act`` (or when nothing was noted) and on rollback.
Hooks run in the order they are installed (the application factory's ``_connect_signals``).

A hook may offer what it read to the hooks after it in the same commit (:func:`keep_for_hooks`,
:func:`kept_for_hooks`; the tickets' events: :func:`keep_event_rows`, :func:`kept_event_rows`):
the SLA hook's reads of the events and of the active policies serve the report hook, a
statement less each at every write.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db import listen_once, unlisten
from app.extensions import db
from app.tickets.models import TicketEvent

Collect = Callable[[Session], Iterable[Hashable]]
Act = Callable[[Session, set[Any]], None]


EventRow = tuple[str, datetime, dict[str, Any]]  # (type, created_at, data), oldest first
EVENT_ROWS = "ticket_event_rows"


def keep_for_hooks(session: Session, key: str, value: Any) -> None:
    """Offer ``value`` under ``key`` to the hooks that act after this one in the same
    transaction (the last of them forgets ``key``: its ``also_forget``)."""
    session.info[key] = (session.get_transaction(), value)


def kept_for_hooks(session: Session, key: str) -> Any:
    """What a hook before this one offered under ``key`` in this transaction, else None."""
    kept = session.info.get(key)
    if kept is None or kept[0] is not session.get_transaction():
        return None
    return kept[1]


def keep_event_rows(session: Session, rows: Mapping[int, list[EventRow]]) -> None:
    """Offer every event of these tickets (``{ticket id: rows}``, a ticket without events
    included, empty) to the hooks that act after this one in the same transaction."""
    found: dict[int, list[EventRow]] | None = kept_for_hooks(session, EVENT_ROWS)
    if found is None:
        found = {}
        keep_for_hooks(session, EVENT_ROWS, found)
    found.update(rows)


def kept_event_rows(session: Session) -> dict[int, list[EventRow]]:
    """The events a hook before this one read in this transaction, by ticket (those of other
    tickets must be read)."""
    return dict(kept_for_hooks(session, EVENT_ROWS) or {})


def event_tickets(session: Session) -> set[int]:
    """The ids of the tickets whose events the flush inserted (the default ``collect``)."""
    return {obj.ticket_id for obj in session.new if isinstance(obj, TicketEvent)}


def event_ids(types: Collection[str]) -> Collect:
    """A ``collect`` that notes the ids of the inserted events of these types."""

    def collect(session: Session) -> list[int]:
        return [obj.id for obj in session.new if isinstance(obj, TicketEvent) and obj.type in types]

    return collect


@dataclass(frozen=True)
class TicketEventHook:
    """The listeners of one hook; ``pending`` is its ``session.info`` key."""

    name: str
    pending: str
    listeners: tuple[tuple[str, Callable[..., Any]], ...]

    def install(self) -> None:
        """Attach the listeners to ``db.session`` (idempotent: apps built again share them)."""
        listen_once(db.session, self.listeners)

    def uninstall(self) -> None:
        """Detach them (benchmarks measure a change with and without the hook)."""
        unlisten(db.session, self.listeners)


def on_ticket_events(
    name: str,
    act: Act,
    *,
    collect: Collect = event_tickets,
    also_forget: tuple[str, ...] = (),
) -> TicketEventHook:
    """The hook ``name`` that calls ``act`` once before each commit of noted events (see the
    module docstring); call its ``install()`` to attach it."""
    pending, busy = f"{name}_pending", f"{name}_busy"

    def forget(session: Session) -> None:
        session.info.pop(pending, None)
        for key in also_forget:
            session.info.pop(key, None)

    def after_flush(session: Session, _context: Any) -> None:
        items = set(collect(session))
        if items:
            session.info.setdefault(pending, set()).update(items)

    def before_commit(session: Session) -> None:
        if session.info.get(busy) or session.in_nested_transaction():
            return  # our own action's commit, or a SAVEPOINT: wait for the real commit
        session.flush()
        items = session.info.pop(pending, None)
        if not items:
            forget(session)
            return
        session.info[busy] = True
        try:
            act(session, items)
        finally:
            session.info.pop(busy, None)
            forget(session)  # what the action's own flushes noted is its own doing

    def after_soft_rollback(session: Session, previous_transaction: Any) -> None:
        if previous_transaction.parent is None:  # the whole transaction, not a savepoint
            forget(session)

    return TicketEventHook(
        name,
        pending,
        (
            ("after_flush", after_flush),
            ("before_commit", before_commit),
            ("after_soft_rollback", after_soft_rollback),
        ),
    )

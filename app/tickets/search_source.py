"""Tickets in the search index: number and title, description and public replies for whoever
may see the ticket (``visibility.visible_tickets``), work notes for agents only."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask import url_for
from sqlalchemy import ColumnElement, Select, inspect, select

from app.auth.models import Role
from app.extensions import db
from app.i18n import N_
from app.search.models import SearchDocument
from app.search.sources import Document, Source
from app.tickets.models import EntryKind, JournalEntry, Ticket, TicketKind
from app.tickets.visibility import visible_tickets

MAX_TEXT = 20_000  # characters of replies (and of notes) indexed per ticket


# What a ticket's document is made of, in the order _documents reads and unpacks them; a
# ticket inserted in this transaction gives them from the instance (_new_document).
FRESH_COLUMNS = (
    "id",
    "kind",
    "number",
    "short_description",
    "description",
    "external_system",
    "external_number",
)


def _documents(ids: Sequence[int]) -> Iterator[Document]:
    columns = [Ticket.__table__.c[name] for name in FRESH_COLUMNS]
    tickets = db.session.execute(select(*columns).where(Ticket.id.in_(ids))).all()
    replies: dict[int, list[str]] = {}
    notes: dict[int, list[str]] = {}
    entries = db.session.execute(
        select(JournalEntry.ticket_id, JournalEntry.kind, JournalEntry.body)
        .where(
            JournalEntry.ticket_id.in_(ids),
            JournalEntry.kind != EntryKind.CHANGE,
            JournalEntry.body != "",
        )
        .order_by(JournalEntry.created_at, JournalEntry.id)
    )
    for ticket_id, entry_kind, body in entries:
        into = notes if entry_kind == EntryKind.WORK_NOTE else replies
        into.setdefault(ticket_id, []).append(body)
    for ticket_id, kind, number, title, description, system, external in tickets:
        yield _document(
            ticket_id,
            kind,
            number,
            title,
            description,
            system,
            external,
            replies.get(ticket_id, []),
            notes.get(ticket_id, []),
        )


def _document(
    ticket_id: int,
    kind: Any,
    number: str,
    title: str,
    description: str,
    system: str | None,
    external: str | None,
    replies: list[str],
    notes: list[str],
) -> Document:
    known_as = f" ({system} {external})" if external else ""  # the number another tool gave it
    return Document(
        source_id=ticket_id,
        kind=TicketKind(kind).value,
        ref=number,
        title=f"{number}{known_as} {title}",
        body="\n".join([description, *replies])[:MAX_TEXT],
        notes="\n".join(notes)[:MAX_TEXT],
    )


def _new_document(ticket: Ticket) -> Document | None:
    """A ticket inserted in this transaction, without journal entries: its document from the
    instance (None when a column it needs was expired, as a server default is after the
    insert; one its insert left unset holds NULL)."""
    state = inspect(ticket)
    if state.expired_attributes.intersection(FRESH_COLUMNS):
        return None
    loaded = state.dict
    return _document(
        ticket.id,
        ticket.kind,
        ticket.number,
        ticket.short_description,
        ticket.description,
        loaded.get("external_system"),
        loaded.get("external_number"),
        [],
        [],
    )


def _visible(user: Any) -> ColumnElement[bool] | None:
    everything = select(Ticket.id)
    restricted: Select[Any] = visible_tickets(user, everything)
    return None if restricted is everything else SearchDocument.source_id.in_(restricted)


def _url(document: Any, _user: Any) -> str | None:
    if document.kind == TicketKind.INCIDENT.value:
        return url_for("incidents.detail", number=document.ref)
    if document.kind == TicketKind.CATALOG_TASK.value:
        return url_for("requests.task", number=document.ref)
    return url_for("requests.detail", number=document.ref)


SOURCE = Source(
    name="ticket",
    label=N_("Tickets"),
    watch={Ticket: lambda t: t.id, JournalEntry: lambda e: e.ticket_id},
    documents=_documents,
    all_ids=lambda: select(Ticket.id).order_by(Ticket.id),
    visible=_visible,
    sees_notes=lambda user: user.has_role(Role.AGENT),
    url=_url,
    fields={
        Ticket: frozenset(("number", "short_description", "description", "external_number")),
        JournalEntry: frozenset(("kind", "body")),
    },
    row=Ticket,
    document_of=_new_document,
)

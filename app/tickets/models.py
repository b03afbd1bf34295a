"""Tables shared by every kind of ticket.

``Ticket`` is the base of a joined-table hierarchy: ``tickets`` holds what every ticket has
(number, people, assignment, priority, milestones, version) and each kind adds its own table
(``incidents``, ``service_requests``, ``request_items``, ``catalog_tasks``). The journal,
watchers, attachments and domain events hang off ``tickets.id``, so one timeline serves every
kind.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit import JSONType
from app.db import TimestampMixin, str_enum
from app.extensions import Model, db
from app.files import models as _files  # noqa: F401  (the stored_files table of storage_key)
from app.i18n import N_
from app.timeutils import utc_now


class TicketKind(enum.StrEnum):
    INCIDENT = "incident"
    REQUEST = "request"  # REQ: what an employee ordered together (a cart)
    REQUEST_ITEM = "request_item"  # RITM: one catalog item of a request, with its approvals
    CATALOG_TASK = "catalog_task"  # SCTASK: fulfilment work on a request item for one group

    @property
    def prefix(self) -> str:
        """The number prefix of this kind's tickets."""
        return TICKET_PREFIXES[self]


TICKET_PREFIXES = {
    TicketKind.INCIDENT: "INC",
    TicketKind.REQUEST: "REQ",
    TicketKind.REQUEST_ITEM: "RITM",
    TicketKind.CATALOG_TASK: "SCTASK",
}


class Channel(enum.StrEnum):
    PORTAL = "portal"
    AGENT = "agent"
    EMAIL = "email"
    PHONE = "phone"
    API = "api"


# What people read of each channel (marked for the catalogs; shown through gettext).
CHANNEL_LABELS = {
    Channel.PORTAL: N_("Portal"),
    Channel.AGENT: N_("Agent"),
    Channel.EMAIL: N_("Email"),
    Channel.PHONE: N_("Phone"),
    Channel.API: N_("API"),
}


class EntryKind(enum.StrEnum):
    REPLY = "reply"  # public: the caller and watchers see it
    WORK_NOTE = "work_note"  # internal: IT staff only, never shown to employees
    CHANGE = "change"  # field changes: {field: [old, new]}


class NumberCounter(Model):
    """The next number per ticket prefix (INC, REQ, RITM, SCTASK)."""

    __tablename__ = "number_counters"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=1000)


ticket_watchers = Table(
    "ticket_watchers",
    db.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_ticket_watchers_user_id", "user_id"),
)


# The predicate of the open tickets' partial index: the states of incidents.workflow.OPEN_STATES
# (tests/incidents/test_queue_paging.py checks they agree).
OPEN_TICKETS = "state IN ('new', 'in_progress', 'on_hold')"


class Ticket(TimestampMixin, Model):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_queue", "assignment_group_id", "state", "priority"),
        Index("ix_tickets_assignee_state", "assignee_id", "state"),
        Index("ix_tickets_caller_opened", "caller_id", "opened_at"),
        Index("ix_tickets_state_opened", "state", "opened_at"),
        # The queue's sort orders, so a page (even a deep one) is read from an index.
        Index("ix_tickets_kind_opened", "kind", "opened_at", "id"),
        # The console lists several kinds together (incidents and catalog tasks) by opened.
        Index("ix_tickets_opened_id_kind", "opened_at", "id", "kind"),
        Index("ix_tickets_priority_opened", "priority", "opened_at", "id"),
        Index("ix_tickets_opened_by_id", "opened_by_id"),
        Index("ix_tickets_external_number", "external_number"),
        # "Unassigned in my groups": a group's unassigned tickets by opened, read from this
        # small index alone (it carries the kind and state the queue filters on) instead of
        # combining two indexes and reading the rows (issue 20).
        Index(
            "ix_tickets_unassigned_group_opened",
            "assignment_group_id",
            "opened_at",
            "id",
            "kind",
            "state",
            postgresql_where=text("assignee_id IS NULL"),
            sqlite_where=text("assignee_id IS NULL"),
        ),
        # "All open" by priority (the console's default view): the open tickets alone, so
        # page 1 and its count (up to 10,000) read this index only, not the rows of every
        # ticket of a priority (issue 20). The states are incidents.workflow.OPEN_STATES.
        Index(
            "ix_tickets_open_priority_opened",
            "priority",
            "opened_at",
            "id",
            "kind",
            "state",
            postgresql_where=text(OPEN_TICKETS),
            sqlite_where=text(OPEN_TICKETS),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TicketKind] = mapped_column(str_enum(TicketKind, "ticket_kind"))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    short_description: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(32))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    caller_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assignment_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL")
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    impact: Mapped[int] = mapped_column(Integer)
    urgency: Mapped[int] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer)
    priority_override_reason: Mapped[str | None] = mapped_column(String(500))
    opened_at: Mapped[datetime] = mapped_column(default=utc_now)
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reassignment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set when the caller writes and cleared when IT staff answer or act: the console flags it.
    caller_replied_at: Mapped[datetime | None]
    # The tool and number of a ticket imported from elsewhere ("ServiceNow", "INC0000045"):
    # shown on its page and searchable.
    external_system: Mapped[str | None] = mapped_column(String(40))
    external_number: Mapped[str | None] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"polymorphic_on": kind, "version_id_col": version}

    caller = relationship("User", foreign_keys=[caller_id], lazy="joined")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    assignment_group = relationship("Group", lazy="joined")
    assignee = relationship("User", foreign_keys=[assignee_id], lazy="joined")
    watchers = relationship("User", secondary=ticket_watchers, order_by="User.display_name")
    journal: Mapped[list[JournalEntry]] = relationship(
        back_populates="ticket", order_by="JournalEntry.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.number}>"


class JournalEntry(Model):
    """One line of a ticket's timeline: a public reply, a work note, or field changes."""

    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_entries_ticket_created", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, "entry_kind"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # A line the desk wrote: its message and parameters (app.i18n.stored), read in the
    # reader's language; ``body`` keeps the English (search, API, exports). None: people's
    # words, or a line written before.
    message: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    ticket: Mapped[Ticket] = relationship(back_populates="journal")
    author = relationship("User", lazy="joined")

    @property
    def is_public(self) -> bool:
        return self.kind == EntryKind.REPLY


class TicketEvent(Model):
    """A domain event (created, assigned, state_changed, priority_changed, commented),
    recorded once, in the same transaction as the change, for SLA clocks, notifications and
    reports to read."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        Index("ix_ticket_events_ticket", "ticket_id", "id"),
        Index("ix_ticket_events_type_at", "type", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class Attachment(Model):
    """A file attached to a ticket; the bytes live in the attachment store, not in the row."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    journal_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="SET NULL")
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # The blob in the file store; attachments of the same content share one.
    storage_key: Mapped[str] = mapped_column(
        ForeignKey("stored_files.key", ondelete="RESTRICT"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    internal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    uploaded_by = relationship("User")


class PriorityScale(Model):
    """The labels of the impact and urgency values (scale = 'impact' or 'urgency')."""

    __tablename__ = "priority_scales"

    scale: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(50))


class PriorityLevel(Model):
    __tablename__ = "priority_levels"

    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(50))


class PriorityCell(Model):
    __tablename__ = "priority_cells"

    impact: Mapped[int] = mapped_column(Integer, primary_key=True)
    urgency: Mapped[int] = mapped_column(Integer, primary_key=True)
    priority: Mapped[int] = mapped_column(Integer)

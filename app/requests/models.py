"""Service request tables: the catalog (categories, items, immutable form versions), the three
ticket kinds (``REQ`` request, ``RITM`` request item, ``SCTASK`` catalog task), approvals and
approval delegations.

A request item keeps what it was ordered with: the form version and its typed answers, and
snapshots of the item's approval policy and task template (``approval_plan``, ``task_plan``),
so editing the catalog never changes or breaks a request already made.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit import JSONType
from app.db import TimestampMixin, str_enum, unique
from app.extensions import Model, db
from app.i18n import N_
from app.requests.approvals.rules import GroupRule
from app.requests.states import ApprovalState, CloseCode, ItemState, TaskState
from app.tickets.holds import HoldReason
from app.tickets.models import Ticket, TicketKind
from app.timeutils import utc_now


class Audience(enum.StrEnum):
    EVERYONE = "everyone"
    GROUPS = "groups"  # members of the item's listed groups


class Automation(enum.StrEnum):
    DIRECTORY_GROUP = "directory_group"  # add the person to a directory group once approved

    @property
    def label(self) -> str:
        return {"directory_group": "Add the person to a directory group"}[self.value]


class CatalogCategory(Model):
    __tablename__ = "catalog_categories"
    __table_args__ = (
        unique("name", field="name", message=N_("A category with this name already exists.")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Other languages' name and description: {"sv": {"name": "…"}} (app.i18n.content).
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSONType)


catalog_item_groups = Table(
    "catalog_item_groups",
    db.metadata,
    Column("item_id", ForeignKey("catalog_items.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_catalog_item_groups_group_id", "group_id"),
)


class CatalogItem(TimestampMixin, Model):
    """Something employees can order. ``approval_policy`` is a list of levels (see
    ``approvals.rules``) and ``task_template`` a list of tasks (see ``fulfilment.stages``),
    both checked by the pure modules before they are saved. The form is the item's latest form
    version."""

    __tablename__ = "catalog_items"
    __table_args__ = (
        CheckConstraint("delivery_days >= 0 AND delivery_days <= 365", name="delivery_days_range"),
        Index("ix_catalog_items_category_active", "category_id", "is_active"),
        unique("name", field="name", message=N_("An item with this name already exists.")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    short_description: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_categories.id", ondelete="SET NULL")
    )
    audience: Mapped[Audience] = mapped_column(
        str_enum(Audience, "catalog_audience"), default=Audience.EVERYONE
    )
    delivery_days: Mapped[int] = mapped_column(Integer, default=5)
    fulfilment_group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="RESTRICT"), index=True
    )
    service_owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    approval_policy: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    task_template: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    automation: Mapped[Automation | None] = mapped_column(
        str_enum(Automation, "catalog_automation")
    )
    # The directory group of a "directory_group" item; None: the form's "directory_group"
    # choice names it.
    automation_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL")
    )
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Other languages' name, short description and description: {"sv": {"name": "…"}}
    # (read through app.i18n.content.translated, which falls back to the English columns).
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    category: Mapped[CatalogCategory | None] = relationship(lazy="joined")
    fulfilment_group = relationship("Group", foreign_keys=[fulfilment_group_id], lazy="joined")
    service_owner = relationship("User", foreign_keys=[service_owner_id])
    automation_group = relationship("Group", foreign_keys=[automation_group_id])
    groups = relationship("Group", secondary=catalog_item_groups, order_by="Group.name")
    forms: Mapped[list[FormVersion]] = relationship(
        back_populates="item", order_by="FormVersion.number.desc()"
    )

    @property
    def form(self) -> FormVersion | None:
        """The current form (the latest version); None before one is saved."""
        return self.forms[0] if self.forms else None

    def __repr__(self) -> str:
        return f"<CatalogItem {self.name}>"


class FormVersion(Model):
    """One immutable version of an item's form: a JSON list of variable definitions (see
    ``variables``). Editing a form adds a version; rows are never updated."""

    __tablename__ = "catalog_form_versions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id", ondelete="RESTRICT"))
    number: Mapped[int] = mapped_column(Integer)
    variables: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    item: Mapped[CatalogItem] = relationship(back_populates="forms")


class ServiceRequest(Ticket):
    """``REQ``: what one person ordered together, for themselves or someone else (the
    ticket's caller is the person it is for; ``opened_by`` the person who ordered)."""

    __tablename__ = "service_requests"

    id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    close_code: Mapped[CloseCode | None] = mapped_column(str_enum(CloseCode, "close_code"))

    __mapper_args__ = {"polymorphic_identity": TicketKind.REQUEST}

    items: Mapped[list[RequestItem]] = relationship(
        back_populates="request",
        foreign_keys="RequestItem.request_id",
        order_by="RequestItem.id",
    )

    @property
    def requested_for(self) -> Any:
        return self.caller


class RequestItem(Ticket):
    """``RITM``: one ordered catalog item, with its own approvals, tasks and state."""

    __tablename__ = "request_items"

    id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="RESTRICT"), index=True
    )
    catalog_item_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_items.id", ondelete="RESTRICT"), index=True
    )
    form_version_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_form_versions.id", ondelete="RESTRICT")
    )
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    approval_plan: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    task_plan: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    approval_state: Mapped[ApprovalState] = mapped_column(
        str_enum(ApprovalState, "approval_state"), default=ApprovalState.NOT_REQUIRED
    )
    approval_level: Mapped[int | None] = mapped_column(Integer)  # the level waited on (0-based)
    fulfilment_stage: Mapped[int | None] = mapped_column(Integer)  # highest stage started
    close_code: Mapped[CloseCode | None] = mapped_column(str_enum(CloseCode, "close_code"))
    close_notes: Mapped[str | None] = mapped_column(Text)  # e.g. the rejection's reason

    __mapper_args__ = {"polymorphic_identity": TicketKind.REQUEST_ITEM}

    request: Mapped[ServiceRequest] = relationship(
        back_populates="items", foreign_keys=[request_id]
    )
    catalog_item: Mapped[CatalogItem] = relationship(lazy="joined")
    form_version: Mapped[FormVersion] = relationship()
    tasks: Mapped[list[CatalogTask]] = relationship(
        back_populates="item", foreign_keys="CatalogTask.item_id", order_by="CatalogTask.id"
    )
    approvals: Mapped[list[Approval]] = relationship(
        back_populates="item", order_by="(Approval.level, Approval.id)"
    )

    @property
    def state_enum(self) -> ItemState:
        return ItemState(self.state)

    @property
    def is_open(self) -> bool:
        return ItemState(self.state).is_open

    @property
    def waiting_approvals(self) -> list[Approval]:
        """The approvals of the level the item waits on that nobody has decided yet."""
        return [
            a
            for a in self.approvals
            if a.level == self.approval_level and a.state == ApprovalState.REQUESTED
        ]


class CatalogTask(Ticket):
    """``SCTASK``: fulfilment work on a request item for one group, in a stage of its plan."""

    __tablename__ = "catalog_tasks"

    id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("request_items.id", ondelete="RESTRICT"), index=True
    )
    stage: Mapped[int] = mapped_column(Integer, default=1)
    hold_reason: Mapped[HoldReason | None] = mapped_column(str_enum(HoldReason, "hold_reason"))
    close_code: Mapped[CloseCode | None] = mapped_column(str_enum(CloseCode, "close_code"))
    close_notes: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"polymorphic_identity": TicketKind.CATALOG_TASK}

    item: Mapped[RequestItem] = relationship(back_populates="tasks", foreign_keys=[item_id])

    @property
    def state_enum(self) -> TaskState:
        return TaskState(self.state)

    @property
    def is_open(self) -> bool:
        return TaskState(self.state).is_open


class Approval(Model):
    """One approver's part in one level of an item's approval. ``decided_by`` differs from
    ``approver`` when a delegate decided on the approver's behalf; ``note`` says why the
    approval went to this person when the level named someone else (missing manager…), in
    English; ``note_message`` keeps it as a stored message (:mod:`app.i18n.stored`) that pages
    word in their reader's language (rows written before have none and show ``note``)."""

    __tablename__ = "approvals"
    __table_args__ = (
        UniqueConstraint("item_id", "level", "approver_id"),
        Index("ix_approvals_approver_state", "approver_id", "state"),
        Index("ix_approvals_state_requested", "state", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("request_items.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(Integer)
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    rule: Mapped[GroupRule] = mapped_column(
        str_enum(GroupRule, "approval_rule"), default=GroupRule.ANYONE
    )
    state: Mapped[ApprovalState] = mapped_column(
        str_enum(ApprovalState, "approval_state"), default=ApprovalState.REQUESTED
    )
    note: Mapped[str | None] = mapped_column(String(500))
    note_message: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    comment: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=utc_now)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_reminded_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    item: Mapped[RequestItem] = relationship(back_populates="approvals")
    approver = relationship("User", foreign_keys=[approver_id], lazy="joined")
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def on_behalf(self) -> bool:
        return self.decided_by_id is not None and self.decided_by_id != self.approver_id


class ApprovalDelegation(Model):
    """``delegator`` lets ``delegate`` decide their approvals from ``starts_at`` to
    ``ends_at`` (an absence)."""

    __tablename__ = "approval_delegations"
    __table_args__ = (
        CheckConstraint("delegator_id <> delegate_id", name="not_self"),
        CheckConstraint("ends_at > starts_at", name="period_order"),
        Index("ix_approval_delegations_delegate_ends", "delegate_id", "ends_at"),
        Index("ix_approval_delegations_delegator_ends", "delegator_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    delegator = relationship("User", foreign_keys=[delegator_id], lazy="joined")
    delegate = relationship("User", foreign_keys=[delegate_id], lazy="joined")

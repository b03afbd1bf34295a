"""Incidents and their reference data: priority matrix, categories, routing rules."""

from __future__ import annotations

import enum

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit import JSONType
from app.db import str_enum
from app.extensions import Model, db
from app.incidents.workflow import State
from app.tickets.holds import HoldReason
from app.tickets.models import Ticket, TicketKind


class MajorState(enum.StrEnum):
    NONE = "none"
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


incident_cis = Table(
    "incident_cis",
    db.metadata,
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    # The CI itself, so a rename follows; deleting a CI (rare: CIs are retired) unlinks it.
    Column(
        "ci_id",
        ForeignKey("configuration_items.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Incident(Ticket):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str | None] = mapped_column(String(80), index=True)
    subcategory: Mapped[str | None] = mapped_column(String(80))
    affected_service: Mapped[str | None] = mapped_column(String(200), index=True)
    hold_reason: Mapped[HoldReason | None] = mapped_column(str_enum(HoldReason, "hold_reason"))
    resolution_code: Mapped[str | None] = mapped_column(String(40))
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    major_state: Mapped[MajorState] = mapped_column(
        str_enum(MajorState, "major_state"), default=MajorState.NONE, server_default="none"
    )
    # Names the incident held when CIs were linked by name, for which the CMDB had no CI (kept
    # by the migration that linked incidents to CI rows; one per line, read-only).
    unlinked_ci_names: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"polymorphic_identity": TicketKind.INCIDENT}

    parent: Mapped[Incident | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], back_populates="children"
    )
    children: Mapped[list[Incident]] = relationship(
        foreign_keys=[parent_id], back_populates="parent", order_by="Incident.id"
    )
    # Read-only: app.incidents.cis changes the links (with the version check and the journal).
    cis = relationship(
        "ConfigurationItem",
        secondary=incident_cis,
        order_by="ConfigurationItem.name",
        viewonly=True,
    )

    @property
    def state_enum(self) -> State:
        return State(self.state)

    @property
    def is_open(self) -> bool:
        return State(self.state).is_open

    @property
    def is_major(self) -> bool:
        return self.major_state == MajorState.ACCEPTED


class Category(Model):
    """An incident category; a category with a parent is a subcategory. ``name`` is English and
    is what incidents and routing rules store; ``translations`` holds its name in other
    languages, ``{"sv": {"name": "Nätverk"}}`` (read with ``app.i18n.content.translated``)."""

    __tablename__ = "incident_categories"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSONType)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident_categories.id", ondelete="CASCADE"), index=True
    )

    children: Mapped[list[Category]] = relationship(order_by="Category.name")


class RoutingRule(Model):
    """Picks the assignment group of a new incident: the first rule (by position) whose every
    set condition matches wins; a rule with no condition is the default."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    category: Mapped[str | None] = mapped_column(String(80))
    subcategory: Mapped[str | None] = mapped_column(String(80))
    affected_service: Mapped[str | None] = mapped_column(String(200))
    # The CI itself (a rename follows); deleting the CI deletes the rule, which then could never
    # match again.
    ci_id: Mapped[int | None] = mapped_column(
        ForeignKey("configuration_items.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))

    group = relationship("Group", lazy="joined")
    ci = relationship("ConfigurationItem", lazy="joined")


class IncidentSettings(Model):
    """One row (id 1, seeded by the migration): workflow choices administrators make on the
    incident settings page. ``version`` guards edits."""

    __tablename__ = "incident_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Assigning a new incident to a person moves it to In progress (the work has started).
    assignment_starts_work: Mapped[bool] = mapped_column(default=True, server_default=true())
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

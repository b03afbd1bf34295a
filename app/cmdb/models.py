"""CMDB tables: CI classes and their typed attributes, configuration items, typed relations,
and the revision counter that tells every process when its in-memory graph is stale.

Attribute values
----------------
Values live in ``ci_attribute_values``, one row per (CI, attribute definition), with one typed
column per attribute type (``value_text`` for strings and choices, ``value_int``,
``value_decimal``, ``value_bool``, ``value_date``). Filtering is then plain SQL that both SQLite
and PostgreSQL run the same way (``value_int = 16``, ``value_date < '2027-01-01'``), compares
numbers as numbers and dates as dates, and can use the ``(definition_id, value_*)`` indexes. A
JSON column would need ``json_extract`` on SQLite and ``->>`` plus casts on PostgreSQL, compare
numbers as text unless cast, and index nothing portable.

Relations
---------
``ci_relations`` stores ``source <type.forward> target`` exactly as :mod:`app.cmdb.graph.vocabulary`
reads it; ``(source_id, target_id, type)`` is unique and a CI cannot relate to itself (both
named constraints, so a race that slips past the service's checks still fails cleanly). Both
ends are ``RESTRICT``: a CI with relations cannot be deleted (services answer 409 listing them).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit import JSONType
from app.cmdb.graph.vocabulary import Lifecycle, Propagation, Treatment
from app.db import TimestampMixin, str_enum, unique
from app.extensions import Model
from app.i18n import N_
from app.timeutils import utc_now


class AttributeType(enum.StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    CHOICE = "choice"


VALUE_COLUMN = {
    AttributeType.STRING: "value_text",
    AttributeType.CHOICE: "value_text",
    AttributeType.INTEGER: "value_int",
    AttributeType.DECIMAL: "value_decimal",
    AttributeType.BOOLEAN: "value_bool",
    AttributeType.DATE: "value_date",
}

LIFECYCLE_LABELS = {
    Lifecycle.PLANNED: _l("Planned"),
    Lifecycle.IN_SERVICE: _l("In service"),
    Lifecycle.IN_MAINTENANCE: _l("In maintenance"),
    Lifecycle.RETIRED: _l("Retired"),
}
ENVIRONMENTS = ("production", "staging", "test", "development")
ENVIRONMENT_LABELS = {
    "production": _l("Production"),
    "staging": _l("Staging"),
    "test": _l("Test"),
    "development": _l("Development"),
}
ATTRIBUTE_TYPE_LABELS = {
    AttributeType.STRING: _l("Text"),
    AttributeType.INTEGER: _l("Whole number"),
    AttributeType.DECIMAL: _l("Decimal number"),
    AttributeType.BOOLEAN: _l("Yes or no"),
    AttributeType.DATE: _l("Date"),
    AttributeType.CHOICE: _l("Choice from a list"),
}
CRITICALITY = {
    1: _l("1 - Critical"),
    2: _l("2 - High"),
    3: _l("3 - Medium"),
    4: _l("4 - Low"),
}


class CIClass(Model):
    """A kind of CI; classes form a tree and a class inherits its ancestors' attributes.

    ``name`` is the slug the impact engine sees (``business_service``, ``server``);
    ``is_hardware`` classes show the asset fields (tag, serial, model, warranty, assignee).
    ``builtin`` classes keep their name and place in the tree. ``version`` guards edits.
    """

    __tablename__ = "ci_classes"
    __table_args__ = (
        unique("name", field="name", message=N_("A class with this name already exists.")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("ci_classes.id", ondelete="RESTRICT"), index=True
    )
    is_hardware: Mapped[bool] = mapped_column(default=False, server_default=false())
    builtin: Mapped[bool] = mapped_column(default=False, server_default=false())
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    parent: Mapped[CIClass | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<CIClass {self.name}>"


class AttributeDefinition(Model):
    """A typed attribute of a class (and of its descendants); ``choices`` for choice types,
    ``help`` shown under the input. ``version`` guards edits."""

    __tablename__ = "ci_attribute_definitions"
    __table_args__ = (UniqueConstraint("class_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("ci_classes.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(100))
    type: Mapped[AttributeType] = mapped_column(str_enum(AttributeType, "ci_attribute_type"))
    required: Mapped[bool] = mapped_column(default=False, server_default=false())
    choices: Mapped[list[str]] = mapped_column(JSONType, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    help: Mapped[str] = mapped_column(String(300), default="", server_default="")
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    ci_class: Mapped[CIClass] = relationship(lazy="joined")

    @property
    def type_label(self) -> str:
        return str(ATTRIBUTE_TYPE_LABELS[self.type])


class ConfigurationItem(TimestampMixin, Model):
    """A configuration item. ``version`` guards edits (optimistic locking).

    Its users (for a business service) are either a bare number, ``users_count``, or the
    active members of ``users_group`` when one is set: then people who use several affected
    services are counted once (:func:`app.cmdb.cache.load_graph` loads them). Deleting the
    group leaves the CI without one, back on ``users_count``.
    """

    __tablename__ = "configuration_items"
    __table_args__ = (
        unique(
            "class_id",
            "name",
            field="name",
            message="A configuration item of this class with this name already exists.",
        ),
        CheckConstraint("min_up IS NULL OR min_up >= 1", name="min_up_positive"),
        CheckConstraint(
            "min_up_percent IS NULL OR (min_up_percent > 0 AND min_up_percent <= 100)",
            name="min_up_percent_range",
        ),
        CheckConstraint("min_up IS NULL OR min_up_percent IS NULL", name="one_redundancy_rule"),
        CheckConstraint("users_count >= 0", name="users_count_positive"),
        Index("ix_configuration_items_class_status", "class_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # The name as case-insensitive lookups compare it (incidents naming CIs, the CI pickers),
    # computed by the database and indexed: no lower() over an unindexed column.
    name_key: Mapped[str] = mapped_column(
        String(200), Computed("lower(name)", persisted=True), index=True
    )
    class_id: Mapped[int] = mapped_column(ForeignKey("ci_classes.id", ondelete="RESTRICT"))
    status: Mapped[Lifecycle] = mapped_column(
        str_enum(Lifecycle, "ci_lifecycle"), default=Lifecycle.IN_SERVICE
    )
    environment: Mapped[str | None] = mapped_column(String(40))
    criticality: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    support_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL"), index=True
    )
    location: Mapped[str | None] = mapped_column(String(200))
    asset_tag: Mapped[str | None] = mapped_column(String(80))
    serial_number: Mapped[str | None] = mapped_column(String(120))
    model: Mapped[str | None] = mapped_column(String(120))
    warranty_end: Mapped[date | None] = mapped_column(Date)
    assigned_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    users_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    users_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL"), index=True
    )
    min_up: Mapped[int | None] = mapped_column(Integer)
    min_up_percent: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    ci_class: Mapped[CIClass] = relationship(lazy="joined")
    owner = relationship("User", foreign_keys=[owner_id])
    assigned_user = relationship("User", foreign_keys=[assigned_user_id])
    support_group = relationship("Group", foreign_keys=[support_group_id])
    users_group = relationship("Group", foreign_keys=[users_group_id])

    @property
    def status_label(self) -> str:
        return str(LIFECYCLE_LABELS[self.status])

    @property
    def environment_label(self) -> str:
        """The environment in the reader's language (one an import wrote: as it is)."""
        known = ENVIRONMENT_LABELS.get(self.environment or "")
        return str(known) if known else self.environment or ""

    def __repr__(self) -> str:
        return f"<CI {self.name}>"


class AttributeValue(Model):
    """The value of one attribute of one CI, in the column of its type (see module docstring)."""

    __tablename__ = "ci_attribute_values"
    __table_args__ = (
        Index("ix_ci_attribute_values_text", "definition_id", "value_text"),
        Index("ix_ci_attribute_values_int", "definition_id", "value_int"),
        Index("ix_ci_attribute_values_decimal", "definition_id", "value_decimal"),
        Index("ix_ci_attribute_values_date", "definition_id", "value_date"),
    )

    ci_id: Mapped[int] = mapped_column(
        ForeignKey("configuration_items.id", ondelete="CASCADE"), primary_key=True
    )
    definition_id: Mapped[int] = mapped_column(
        ForeignKey("ci_attribute_definitions.id", ondelete="CASCADE"), primary_key=True
    )
    value_text: Mapped[str | None] = mapped_column(String(500))
    value_int: Mapped[int | None] = mapped_column(BigInteger)
    value_decimal: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    value_bool: Mapped[bool | None]
    value_date: Mapped[date | None] = mapped_column(Date)

    definition: Mapped[AttributeDefinition] = relationship(lazy="joined")


class RelationTypeRow(Model):
    """A relation type as data (seeded from
    :data:`app.cmdb.graph.vocabulary.DEFAULT_RELATION_TYPES`)."""

    __tablename__ = "ci_relation_types"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    forward: Mapped[str] = mapped_column(String(60))
    reverse: Mapped[str] = mapped_column(String(60))
    propagation: Mapped[Propagation] = mapped_column(str_enum(Propagation, "ci_propagation"))
    membership: Mapped[bool] = mapped_column(default=False, server_default=false())


class CIRelation(Model):
    """``source <type.forward> target``."""

    __tablename__ = "ci_relations"
    __table_args__ = (
        UniqueConstraint(
            "source_id", "target_id", "type", name="uq_ci_relations_source_target_type"
        ),
        CheckConstraint("source_id <> target_id", name="not_self"),
        Index("ix_ci_relations_target", "target_id", "type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("configuration_items.id", ondelete="RESTRICT")
    )
    target_id: Mapped[int] = mapped_column(
        ForeignKey("configuration_items.id", ondelete="RESTRICT")
    )
    type: Mapped[str] = mapped_column(ForeignKey("ci_relation_types.name", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    source: Mapped[ConfigurationItem] = relationship(foreign_keys=[source_id])
    target: Mapped[ConfigurationItem] = relationship(foreign_keys=[target_id])
    relation_type: Mapped[RelationTypeRow] = relationship(lazy="joined")


class CMDBRevision(Model):
    """One row (id 1): bumped in the same transaction as every CMDB change.

    ``token`` is a random value written with each bump: a counter alone could come back to a
    number a process has already cached with other content (a rolled-back test transaction, a
    database restored from a backup), the pair cannot.
    """

    __tablename__ = "cmdb_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    token: Mapped[str] = mapped_column(String(32), default="", server_default="")


class CMDBChange(Model):
    """One CMDB revision's change, written with the bump in the same transaction, so that a
    worker holding the graph of an older revision can patch it instead of reloading it
    (:mod:`app.cmdb.cache`).

    ``ids`` lists (comma-separated) the CIs whose row or relations changed; a worker reads
    them and their relations again. ``kind`` is ``cis`` for that, or ``bulk`` for a change
    too wide to list (an import, a class moved with many CIs): workers then reload. ``token``
    is the revision's token, so a worker can tell its cached revision was committed. Only the
    last :data:`app.cmdb.cache.KEEP_CHANGES` revisions are kept.
    """

    __tablename__ = "cmdb_changes"

    revision: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    ids: Mapped[str] = mapped_column(Text, default="", server_default="")


class CMDBSettings(Model):
    """One row (id 1, seeded by the migration): how the impact engine treats CIs of each
    lifecycle status (in-service CIs are always normal). ``version`` guards edits."""

    __tablename__ = "cmdb_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    planned: Mapped[Treatment] = mapped_column(
        str_enum(Treatment, "treatment_planned"),
        default=Treatment.IGNORED,
        server_default=Treatment.IGNORED.value,
    )
    in_maintenance: Mapped[Treatment] = mapped_column(
        str_enum(Treatment, "treatment_in_maintenance"),
        default=Treatment.ALREADY_DOWN,
        server_default=Treatment.ALREADY_DOWN.value,
    )
    retired: Mapped[Treatment] = mapped_column(
        str_enum(Treatment, "treatment_retired"),
        default=Treatment.IGNORED,
        server_default=Treatment.IGNORED.value,
    )
    updated_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

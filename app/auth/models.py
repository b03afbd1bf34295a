"""Users, groups and role grants.

A group is also an assignment group (a queue) when ``is_assignment_group`` is set. Roles are
granted per source: the directory manages its grants and a sync replaces only those, while a
locally set grant stays until someone removes it. A user's roles are the union of both.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, str_enum, unique
from app.extensions import Model, db
from app.i18n import N_
from app.timeutils import utc_now


class Role(enum.StrEnum):
    EMPLOYEE = "employee"
    AGENT = "agent"
    SERVICE_OWNER = "service_owner"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self.value])


ROLE_LABELS = {
    "employee": _l("Employee"),
    "agent": _l("Agent"),
    "service_owner": _l("Service owner"),
    "admin": _l("Administrator"),
}


class AccountSource(enum.StrEnum):
    LOCAL = "local"
    LDAP = "ldap"


class GrantSource(enum.StrEnum):
    LOCAL = "local"
    DIRECTORY = "directory"


group_members = Table(
    "group_members",
    db.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_group_members_user_id", "user_id"),
)


class RoleGrant(Model):
    __tablename__ = "role_grants"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), primary_key=True)
    source: Mapped[GrantSource] = mapped_column(
        str_enum(GrantSource, "grant_source"), primary_key=True
    )
    granted_at: Mapped[datetime] = mapped_column(default=utc_now)


class User(UserMixin, TimestampMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        unique("username", field="username", message=_l("This username is already taken.")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Usernames are compared case-insensitively, so they are stored lower-case.
    username: Mapped[str] = mapped_column(String(150))
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    department: Mapped[str | None] = mapped_column(String(200), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    location: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # The language the person chose in their settings (a code such as "sv"; none: not chosen),
    # and the one the directory's preferredLanguage names (kept by the sync). See app.i18n.
    language: Mapped[str | None] = mapped_column(String(16))
    directory_language: Mapped[str | None] = mapped_column(String(16))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    source: Mapped[AccountSource] = mapped_column(
        str_enum(AccountSource, "account_source"), default=AccountSource.LOCAL
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    last_login_at: Mapped[datetime | None]
    # Directory accounts: the entry's DN in normalised form (see auth.directory.normalise_dn),
    # and whether the directory sync (not an administrator) deactivated the account, so that
    # a person who comes back to the directory is reactivated by the next sync.
    directory_dn: Mapped[str | None] = mapped_column(String(512), index=True)
    directory_deactivated: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Made for an unknown sender of a mail to the desk: a caller with no password who cannot
    # sign in, until an administrator checks who it is (see app.mail.incoming).
    unverified: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Part of the session id (see app.auth.sessions): bumping it ends every session and
    # remember-me cookie of the person. Changed only by a plain UPDATE, never an ORM edit.
    session_generation: Mapped[int] = mapped_column(default=1, server_default="1")
    # Optimistic locking: an edit based on an older version is refused, never silently merged.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    manager: Mapped[User | None] = relationship(remote_side=[id], back_populates="reports")
    reports: Mapped[list[User]] = relationship(
        back_populates="manager", order_by="User.display_name"
    )
    role_grants: Mapped[list[RoleGrant]] = relationship(cascade="all, delete-orphan")
    groups: Mapped[list[Group]] = relationship(
        secondary=group_members, back_populates="members", order_by="Group.name"
    )

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    def get_id(self) -> str:
        """Flask-Login's session id: the account and its session generation."""
        return f"{self.id}:{self.session_generation}"

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.role_grants)

    def has_role(self, *roles: Role) -> bool:
        """True when the user holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)

    def roles_from(self, source: GrantSource) -> frozenset[Role]:
        return frozenset(g.role for g in self.role_grants if g.source == source)

    @property
    def initials(self) -> str:
        parts = [p for p in self.display_name.split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or self.username[:2].upper()


class Group(TimestampMixin, Model):
    __tablename__ = "groups"
    __table_args__ = (
        unique("name", field="name", message=N_("A group with this name already exists.")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    email: Mapped[str | None] = mapped_column(String(320))
    description: Mapped[str | None] = mapped_column(Text)
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    is_assignment_group: Mapped[bool] = mapped_column(default=True, server_default=true())
    source: Mapped[AccountSource] = mapped_column(
        str_enum(AccountSource, "account_source"), default=AccountSource.LOCAL
    )
    # The directory group this group mirrors (normalised DN), when synced from the directory.
    directory_dn: Mapped[str | None] = mapped_column(String(512), index=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    manager: Mapped[User | None] = relationship()
    members: Mapped[list[User]] = relationship(
        secondary=group_members, back_populates="groups", order_by="User.display_name"
    )

    def __repr__(self) -> str:
        return f"<Group {self.name}>"


class SignInFailure(Model):
    """One refused sign-in, kept for the throttling window (per username and per address)."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)


class SignInThrottle(Model):
    """Failed sign-ins in a row of one username from one client address, and when the next
    attempt may be made (see ``app.auth.throttle``)."""

    __tablename__ = "sign_in_throttles"

    username: Mapped[str] = mapped_column(String(150), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    last_failed_at: Mapped[datetime] = mapped_column(index=True)
    next_attempt_at: Mapped[datetime]


class DirectorySyncState(Model):
    """Where the last directory sync stopped: the high-water mark of ``modifyTimestamp`` (or
    ``uSNChanged`` on Active Directory) that an incremental sync starts from."""

    __tablename__ = "directory_sync_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    high_water_mark: Mapped[str | None] = mapped_column(String(64))
    last_full_sync_at: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]

"""Groups and assignment groups (queues): create, describe, manage members.

Services check rules, change rows, write the audit trail and flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.auth.models import Group, User, group_members
from app.auth.signals import memberships_changed
from app.errors import Invalid
from app.extensions import db

GROUP_FIELDS = ("name", "email", "description", "manager_id", "is_assignment_group")


def _check_name(name: str, *, current: Group | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid({"name": _("A group needs a name.")})
    clash = db.session.scalar(select(Group).where(func.lower(Group.name) == name.lower()))
    if clash is not None and clash is not current:
        raise Invalid({"name": _("A group named “%(name)s” already exists.", name=clash.name)})
    return name


def _check_manager(manager_id: int | None) -> None:
    if manager_id is None:
        return
    manager = db.session.get(User, manager_id)
    if manager is None or not manager.is_active:
        raise Invalid({"manager_id": _("Choose an active person as the group's manager.")})


def create_group(*, actor: User, name: str, **values: object) -> Group:
    """:raise Invalid: the name is empty or taken, or the manager is not an active person."""
    name = _check_name(name)
    _check_manager(values.get("manager_id"))  # type: ignore[arg-type]
    group = Group(name=name, **values)
    db.session.add(group)
    db.session.flush()
    audit.record(actor, "group", group.id, "created", {"name": [None, name]})
    return group


def update_group(group: Group, *, actor: User, **values: object) -> dict[str, list]:
    """Change a group's details; returns the audited differences.

    :raise Invalid: the new name is empty or taken, or the manager is not an active person.
    """
    unknown = set(values) - set(GROUP_FIELDS)
    if unknown:
        raise TypeError(f"unknown group fields: {sorted(unknown)}")
    if "name" in values:
        values["name"] = _check_name(str(values["name"]), current=group)
    if "manager_id" in values:
        _check_manager(values["manager_id"])  # type: ignore[arg-type]
    for key in ("email", "description"):
        if isinstance(values.get(key), str):
            values[key] = str(values[key]).strip() or None
    changes = audit.diff({k: getattr(group, k) for k in values}, values)
    for field, (_old, new) in changes.items():
        setattr(group, field, new)
    if changes:
        audit.record(actor, "group", group.id, "updated", changes)
        db.session.flush()
    return changes


def add_members(group: Group, users: Iterable[User], *, actor: User) -> list[User]:
    """Add people to a group; returns those who were not members yet. A CI whose users are
    this group sees them at the next impact question (the CMDB revision is bumped)."""
    present = {m.id for m in group.members}
    added = [u for u in users if u.id not in present]
    if added:
        group.members.extend(added)
        audit.record(
            actor,
            "group",
            group.id,
            "members_added",
            {"members": [None, [u.username for u in added]]},
        )
        db.session.flush()
        memberships_changed.send(group_ids=[group.id])
    return added


def remove_member(group: Group, user: User, *, actor: User) -> bool:
    """Take a person out of a group; returns whether they were a member (CIs whose users
    are this group follow, as for :func:`add_members`)."""
    if user not in group.members:
        return False
    group.members.remove(user)
    audit.record(actor, "group", group.id, "member_removed", {"members": [user.username, None]})
    db.session.flush()
    memberships_changed.send(group_ids=[group.id])
    return True


def member_counts(group_ids: Iterable[int]) -> dict[int, int]:
    """How many members each group has, in one query."""
    ids = list(group_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(group_members.c.group_id, func.count())
        .where(group_members.c.group_id.in_(ids))
        .group_by(group_members.c.group_id)
    )
    return {group_id: count for group_id, count in rows}


def members_by_group(group_ids: Iterable[int]) -> dict[int, list[User]]:
    """Active members of each group, by name, in one query."""
    ids = list(group_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(group_members.c.group_id, User)
        .join(User, User.id == group_members.c.user_id)
        .where(group_members.c.group_id.in_(ids), User.is_active)
        .order_by(User.display_name)
    )
    result: dict[int, list[User]] = {}
    for group_id, user in rows:
        result.setdefault(group_id, []).append(user)
    return result

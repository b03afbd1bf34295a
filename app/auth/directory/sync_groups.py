"""What directory groups grant: roles, mirrored groups and queue memberships.

Roles from ``LDAP_GROUP_ROLES`` (plus ``LDAP_DEFAULT_ROLE`` for everyone) are granted with
``GrantSource.DIRECTORY``; locally granted roles are never touched. Directory groups are
mirrored as desk groups (``LDAP_IMPORT_GROUPS``), and ``LDAP_GROUP_QUEUES`` puts the members
of a directory group into an assignment group. Only the memberships of directory people in
those groups follow the directory; local people stay where they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import and_, delete, insert, or_, select

from app import audit
from app.auth.directory.entries import DirectoryGroup
from app.auth.directory.settings import DirectorySettings
from app.auth.directory.sync_people import DN_LENGTH
from app.auth.directory.sync_report import SyncReport
from app.auth.models import AccountSource, GrantSource, Group, Role, RoleGrant, User, group_members
from app.auth.signals import memberships_changed
from app.extensions import db


def directory_roles(settings: DirectorySettings, groups: Iterable[DirectoryGroup]) -> set[Role]:
    """The roles ``groups`` grant through ``LDAP_GROUP_ROLES``, plus the default role."""
    roles = {Role(settings.default_role)}
    for group in groups:
        role = _lookup(settings.group_roles, group)
        if role:
            roles.add(Role(role))
    return roles


def _lookup(mapping: Mapping[str, str], group: DirectoryGroup) -> str | None:
    return mapping.get(group.key) or mapping.get(group.name.lower())


def set_directory_roles(user: User, wanted: set[Role], report: SyncReport) -> None:
    """Make ``user``'s directory grants equal ``wanted``; local grants stay as they are."""
    have = user.roles_from(GrantSource.DIRECTORY)
    if have == wanted:
        return
    before = sorted(r.value for r in user.roles)
    kept = [g for g in user.role_grants if g.source != GrantSource.DIRECTORY or g.role in wanted]
    user.role_grants = kept + [
        RoleGrant(role=r, source=GrantSource.DIRECTORY) for r in sorted(wanted - have)
    ]
    after = sorted({g.role.value for g in user.role_grants})
    report.roles_changed.append(user.username)
    report.changes.append(f"~ roles of {user.username}: {before} -> {after}")
    if user.id is not None and user.id not in report.fresh and before != after:
        audit.record(None, "user", user.id, "roles_changed", {"roles": [before, after]})


class DeskGroups:
    """Mirrors directory groups and queue targets, and syncs their directory memberships."""

    def __init__(self, settings: DirectorySettings, report: SyncReport) -> None:
        self.settings = settings
        self.report = report
        existing = db.session.scalars(select(Group)).all()
        self.by_dn = {g.directory_dn: g for g in existing if g.directory_dn}
        self.by_name = {g.name.lower(): g for g in existing}

    def _unique_name(self, name: str) -> str:
        name = " ".join(name.split())[:140] or "group"
        candidate, number = name, 2
        while candidate.lower() in self.by_name:
            candidate, number = f"{name} ({number})", number + 1
        return candidate

    def _create(self, name: str, *, directory_dn: str | None, queue: bool) -> Group:
        group = Group(
            name=self._unique_name(name),
            source=AccountSource.LDAP,
            directory_dn=directory_dn,
            is_assignment_group=queue,
        )
        db.session.add(group)
        self.by_name[group.name.lower()] = group
        if directory_dn:
            self.by_dn[directory_dn] = group
        self.report.groups_created.append(group.name)
        self.report.changes.append(f"+ group {group.name}")
        return group

    def targets(self, group: DirectoryGroup, *, create: bool) -> list[Group]:
        """The desk groups whose directory-managed members are ``group``'s members."""
        found: list[Group] = []
        if len(group.key) > DN_LENGTH:
            return found
        mirror = self.by_dn.get(group.key)
        if mirror is None and create and self.settings.import_groups:
            mirror = self._create(group.name, directory_dn=group.key, queue=False)
        if mirror is not None:
            found.append(mirror)
        queue_name = _lookup(self.settings.group_queues, group)
        if queue_name:
            queue = self.by_name.get(queue_name.lower())
            if queue is None and create:
                queue = self._create(queue_name, directory_dn=None, queue=True)
            if queue is not None:
                found.append(queue)
        return found

    def managed(self) -> list[Group]:
        """Groups whose directory memberships the sync owns."""
        names = {v.lower() for v in self.settings.group_queues.values()}
        return [g for g in self.by_name.values() if g.directory_dn or g.name.lower() in names]


def apply_memberships(
    wanted: set[tuple[int, int]],
    group_ids: set[int],
    directory_user_ids: set[int],
    report: SyncReport,
) -> None:
    """Make the memberships of directory people in ``group_ids`` equal ``wanted`` (and bump the
    CMDB revision when a changed group is some CI's users group)."""
    if not group_ids:
        return
    have = {
        (g, u)
        for g, u in db.session.execute(
            select(group_members.c.group_id, group_members.c.user_id).where(
                group_members.c.group_id.in_(group_ids)
            )
        )
    }
    added = wanted - have
    removed = {(g, u) for g, u in have - wanted if u in directory_user_ids}
    if added:
        db.session.execute(
            insert(group_members), [{"group_id": g, "user_id": u} for g, u in sorted(added)]
        )
    removed_list = sorted(removed)
    for start in range(0, len(removed_list), 500):
        chunk = removed_list[start : start + 500]
        db.session.execute(
            delete(group_members).where(
                or_(
                    *(
                        and_(group_members.c.group_id == g, group_members.c.user_id == u)
                        for g, u in chunk
                    )
                )
            )
        )
    report.memberships_added += len(added)
    report.memberships_removed += len(removed)
    if added or removed:
        report.changes.append(f"~ memberships: +{len(added)} -{len(removed)}")
        memberships_changed.send(group_ids=sorted({g for g, _ in added | removed}))  # CI users

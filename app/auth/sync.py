"""Directory → desk: people, managers, groups, roles and queue membership.

``sync_directory`` is the batch job behind ``flask ldap sync``; ``sign_in_from_directory``
updates one person when they sign in. Both flush and never commit: the CLI or the view ends
the transaction. The rules:

- A directory person becomes a ``User`` with ``source=ldap``, matched by DN, then by username.
  A local account with the same username is never taken over (the conflict is reported).
- People missing from a full sync, or disabled in Active Directory (``userAccountControl``
  bit 2), are deactivated, never deleted; the sync reactivates only those it deactivated.
- Manager DNs are resolved to people; one that points at nobody is reported, not fatal, and a
  manager loop in the directory is cut at the edge that would close it (reported too).
- Roles from ``LDAP_GROUP_ROLES`` (plus ``LDAP_DEFAULT_ROLE`` for everyone) are granted with
  ``GrantSource.DIRECTORY``; locally granted roles are never touched.
- Directory groups are mirrored as groups (``LDAP_IMPORT_GROUPS``), and ``LDAP_GROUP_QUEUES``
  puts the members of a directory group into an assignment group. Only the memberships of
  directory people in those groups follow the directory; local people stay where they are.

Everything is read from the directory before the first write, so a directory that fails in
the middle of a run leaves the database untouched. The cost is linear: existing people and
groups are loaded once into dictionaries, memberships with one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select

from app import audit
from app.auth.directory import (
    Directory,
    DirectoryGroup,
    DirectoryMisconfigured,
    DirectorySettings,
    DirectoryUser,
    Progress,
    close,
    expand_groups,
    normalise_dn,
)
from app.auth.models import (
    AccountSource,
    DirectorySyncState,
    GrantSource,
    Group,
    Role,
    RoleGrant,
    User,
    group_members,
)
from app.extensions import db
from app.timeutils import utc_now

PROFILE_FIELDS = ("display_name", "email", "department", "title", "phone")
STATE_NAME = "default"
DN_LENGTH = 512  # users.directory_dn, groups.directory_dn


def directory_from_config(config: Mapping[str, Any]) -> Directory:
    """The configured directory. :raise DirectoryMisconfigured: a setting is wrong."""
    settings = DirectorySettings.from_mapping(config)
    known = {r.value for r in Role}
    for role in [settings.default_role, *settings.group_roles.values()]:
        if role not in known:
            raise DirectoryMisconfigured(
                f"Unknown role {role!r} in LDAP_GROUP_ROLES/LDAP_DEFAULT_ROLE; "
                f"use one of {', '.join(sorted(known))}"
            )
    return Directory(settings)


@dataclass
class SyncReport:
    """What a sync did (or, in a dry run, would do). ``changes`` is the readable diff."""

    mode: str = "full"
    dry_run: bool = False
    users_read: int = 0
    groups_read: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    roles_changed: list[str] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    memberships_added: int = 0
    memberships_removed: int = 0
    dangling_managers: list[tuple[str, str]] = field(default_factory=list)
    manager_loops: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    high_water_mark: str | None = None
    # People created in this run: their single "created" audit event is written at the end,
    # with their manager and roles, instead of one event per step.
    fresh: set[int] = field(default_factory=set, repr=False)

    def summary(self) -> str:
        return (
            f"{self.mode} sync{' (dry run)' if self.dry_run else ''}: "
            f"{self.users_read} people and {self.groups_read} groups read; "
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.deactivated)} deactivated, {len(self.reactivated)} reactivated, "
            f"{len(self.roles_changed)} with changed roles, {len(self.groups_created)} groups "
            f"created, {self.memberships_added} memberships added and "
            f"{self.memberships_removed} removed; {len(self.dangling_managers)} managers not "
            f"found, {len(self.skipped)} entries skipped."
        )


def _limit(column: str, value: str | None) -> str | None:
    if value is None:
        return None
    length = User.__table__.c[column].type.length
    return value[:length] if length else value


class _People:
    """Applies directory entries to users; ``by_dn``/``by_username`` index what is known."""

    def __init__(self, report: SyncReport, users: Iterable[User]) -> None:
        self.report = report
        self.by_dn: dict[str, User] = {}
        self.by_username: dict[str, User] = {}
        for user in users:
            self.by_username[user.username] = user
            if user.directory_dn:
                self.by_dn[user.directory_dn] = user

    def apply(self, entry: DirectoryUser) -> User | None:
        """Create or update the user for ``entry``; ``None`` when it must be skipped."""
        username = entry.username.strip().lower()
        if not username or len(username) > 150 or any(c.isspace() for c in username):
            self.report.skipped.append(f"{entry.dn}: unusable username {entry.username!r}")
            return None
        if len(entry.key) > DN_LENGTH:
            self.report.skipped.append(f"{entry.dn}: DN longer than {DN_LENGTH} characters")
            return None
        user = self.by_dn.get(entry.key) or self.by_username.get(username)
        if user is not None and user.source == AccountSource.LOCAL:
            self.report.skipped.append(
                f"{entry.dn}: {username!r} is a local account; it is not linked to the directory"
            )
            return None
        values = {f: _limit(f, getattr(entry, f)) for f in PROFILE_FIELDS}
        values["display_name"] = values["display_name"] or username
        if user is None:
            user = User(
                username=username,
                source=AccountSource.LDAP,
                directory_dn=entry.key,
                is_active=not entry.disabled,
                directory_deactivated=entry.disabled,
                **values,
            )
            user.role_grants = []
            db.session.add(user)
            self.report.created.append(username)
            self.report.changes.append(f"+ user {username} ({entry.dn})")
            self._index(user)
            return user
        if username != user.username:
            if username in self.by_username:
                self.report.skipped.append(f"{entry.dn}: username {username!r} is taken")
            else:
                values["username"] = username
        before = {k: getattr(user, k) for k in values}
        if user.directory_dn != entry.key:
            before["directory_dn"], values["directory_dn"] = user.directory_dn, entry.key
        changes = audit.diff(before, values)
        for name, (_old, new) in changes.items():
            setattr(user, name, new)
        if changes:
            self.report.updated.append(username)
            self.report.changes.append(f"~ user {username}: {changes}")
            if user.id is not None:
                audit.record(None, "user", user.id, "synced", changes)
            self._index(user)
        self.set_enabled(user, not entry.disabled)
        return user

    def _index(self, user: User) -> None:
        self.by_username[user.username] = user
        if user.directory_dn:
            self.by_dn[user.directory_dn] = user

    def set_enabled(self, user: User, enabled: bool) -> None:
        """Deactivate a person the directory dropped or disabled; reactivate only people the
        directory deactivated (an administrator's deactivation stands)."""
        if not enabled and user.is_active:
            user.is_active, user.directory_deactivated = False, True
            self.report.deactivated.append(user.username)
            self.report.changes.append(f"- deactivate {user.username}")
            if user.id is not None:
                audit.record(None, "user", user.id, "deactivated", {"is_active": [True, False]})
        elif enabled and not user.is_active and user.directory_deactivated:
            user.is_active, user.directory_deactivated = True, False
            self.report.reactivated.append(user.username)
            self.report.changes.append(f"+ reactivate {user.username}")
            if user.id is not None:
                audit.record(None, "user", user.id, "activated", {"is_active": [False, True]})


def _set_managers(
    people: _People, entries: Iterable[tuple[DirectoryUser, User]], report: SyncReport
) -> None:
    """Point each person at their manager; dangling DNs are reported, loops are cut."""
    for entry, user in entries:
        manager = None
        if entry.manager_dn:
            manager = people.by_dn.get(normalise_dn(entry.manager_dn))
            if manager is None:
                report.dangling_managers.append((user.username, entry.manager_dn))
            elif manager is user or _reaches(manager, user):
                report.manager_loops.append(f"{user.username} -> {manager.username}")
                manager = None
        if user.manager is not manager:
            old = user.manager.username if user.manager else None
            new = manager.username if manager else None
            user.manager = manager
            report.changes.append(f"~ manager of {user.username}: {old} -> {new}")
            if user.id is not None and user.id not in report.fresh:
                audit.record(None, "user", user.id, "synced", {"manager": [old, new]})


def _reaches(start: User, target: User) -> bool:
    """True when ``target`` is in ``start``'s management chain (so ``start`` under ``target``
    would close a loop)."""
    seen = set()
    step: User | None = start
    while step is not None and id(step) not in seen:
        if step is target:
            return True
        seen.add(id(step))
        step = step.manager
    return False


def _directory_roles(settings: DirectorySettings, groups: Iterable[DirectoryGroup]) -> set[Role]:
    roles = {Role(settings.default_role)}
    for group in groups:
        role = _lookup(settings.group_roles, group)
        if role:
            roles.add(Role(role))
    return roles


def _lookup(mapping: Mapping[str, str], group: DirectoryGroup) -> str | None:
    return mapping.get(group.key) or mapping.get(group.name.lower())


def _set_directory_roles(user: User, wanted: set[Role], report: SyncReport) -> None:
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


class _Groups:
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


def _apply_memberships(
    wanted: set[tuple[int, int]],
    group_ids: set[int],
    directory_user_ids: set[int],
    report: SyncReport,
) -> None:
    """Make the memberships of directory people in ``group_ids`` equal ``wanted``."""
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


def _mark(values: Iterable[str | None]) -> str | None:
    marks = [v for v in values if v]
    if not marks:
        return None
    if all(v.isdigit() for v in marks):
        return str(max(int(v) for v in marks))
    return max(marks)


def _state() -> DirectorySyncState:
    state = db.session.scalar(
        select(DirectorySyncState).where(DirectorySyncState.name == STATE_NAME)
    )
    if state is None:
        state = DirectorySyncState(name=STATE_NAME)
        db.session.add(state)
    return state


def sync_directory(
    directory: Directory,
    *,
    incremental: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> SyncReport:
    """Bring the directory's people and groups into the desk (see the module docstring).

    A dry run computes the same changes inside a savepoint that is rolled back.

    :raise DirectoryUnavailable: the directory failed; nothing was written.
    :raise DirectoryMisconfigured: a setting is wrong, or a full sync found nobody at all
        while directory accounts exist (a wrong search base must not deactivate everyone).
    """
    now = now or utc_now()
    report = SyncReport(mode="incremental" if incremental else "full", dry_run=dry_run)
    since = None
    if incremental:
        state = db.session.scalar(
            select(DirectorySyncState).where(DirectorySyncState.name == STATE_NAME)
        )
        since = state.high_water_mark if state else None
    connection = directory.service_connection()
    try:
        entries = list(
            directory.iter_users(changed_since=since, progress=progress, connection=connection)
        )
        groups = list(directory.iter_groups(progress=progress, connection=connection))
    finally:
        close(connection)
    report.users_read, report.groups_read = len(entries), len(groups)

    savepoint = db.session.begin_nested() if dry_run else None
    try:
        _write(directory, report, entries, groups, incremental=incremental, now=now)
    finally:
        if savepoint is not None:
            savepoint.rollback()
    return report


def _write(
    directory: Directory,
    report: SyncReport,
    entries: list[DirectoryUser],
    groups: list[DirectoryGroup],
    *,
    incremental: bool,
    now: datetime,
) -> None:
    """The database half of a sync: everything has been read from the directory already."""
    settings = directory.settings
    people = _People(report, db.session.scalars(select(User)).unique().all())
    directory_accounts = sum(
        1 for u in people.by_username.values() if u.source == AccountSource.LDAP
    )
    if not incremental and not entries and directory_accounts:
        raise DirectoryMisconfigured(
            f"The directory returned no people under {settings.user_base!r}; refusing to "
            f"deactivate {directory_accounts} directory accounts. Check LDAP_USER_BASE and "
            "LDAP_USER_FILTER."
        )
    seen: dict[str, tuple[DirectoryUser, User]] = {}
    for entry in entries:
        if entry.username.strip().lower() in seen:
            report.skipped.append(f"{entry.dn}: duplicate username {entry.username!r}")
            continue
        user = people.apply(entry)
        if user is not None:
            seen[user.username] = (entry, user)
    if not incremental:
        keys = {entry.key for entry, _ in seen.values()}
        for user in people.by_username.values():
            if user.source == AccountSource.LDAP and user.directory_dn not in keys:
                people.set_enabled(user, False)
    db.session.flush()
    report.fresh = {people.by_username[username].id for username in report.created}
    _set_managers(people, seen.values(), report)

    directory_people = [u for u in people.by_username.values() if u.source == AccountSource.LDAP]
    by_group = {g.key: g for g in groups}
    expanded = (
        expand_groups(by_group)
        if settings.nested_groups
        else {k: frozenset(normalise_dn(m) for m in g.member_dns) for k, g in by_group.items()}
    )
    groups_of: dict[int, list[DirectoryGroup]] = {}
    desk_groups = _Groups(settings, report)
    targets = {key: desk_groups.targets(g, create=True) for key, g in by_group.items()}
    db.session.flush()
    wanted: set[tuple[int, int]] = set()
    for key, members in expanded.items():
        for member in members:
            user = people.by_dn.get(member)
            if user is None or user.source != AccountSource.LDAP:
                continue
            groups_of.setdefault(user.id, []).append(by_group[key])
            wanted.update((target.id, user.id) for target in targets[key])
    for user in directory_people:
        _set_directory_roles(user, _directory_roles(settings, groups_of.get(user.id, [])), report)
    _apply_memberships(
        wanted,
        {g.id for g in desk_groups.managed()},
        {u.id for u in directory_people},
        report,
    )

    # From people only: groups are read after them and always in full, and a group's newer
    # marker would hide a person changed between the two searches.
    report.high_water_mark = _mark([e.changed for e in entries])
    state = _state()
    if not incremental:  # a full sync saw everything: its mark replaces the old one
        state.high_water_mark = report.high_water_mark
    elif report.high_water_mark:
        state.high_water_mark = _mark([state.high_water_mark, report.high_water_mark])
    state.last_sync_at = now
    if not incremental:
        state.last_full_sync_at = now
    _record_created(people, report)
    db.session.flush()


def _record_created(people: _People, report: SyncReport) -> None:
    for username in report.created:
        user = people.by_username[username]
        if user.id is None:
            continue
        audit.record(
            None,
            "user",
            user.id,
            "created",
            {
                "username": [None, username],
                "source": [None, "ldap"],
                "manager": [None, user.manager.username if user.manager else None],
                "roles": [[], sorted(r.value for r in user.roles)],
            },
        )


def _known(entry: DirectoryUser) -> _People:
    """An index of the accounts ``entry`` could be (same DN or same username)."""
    username = entry.username.strip().lower()
    candidates = db.session.scalars(
        select(User).where(or_(User.directory_dn == entry.key, User.username == username))
    )
    return _People(SyncReport(mode="sign-in"), candidates.unique().all())


def sign_in_from_directory(
    directory: Directory, entry: DirectoryUser
) -> tuple[User | None, SyncReport]:
    """Create or update the person who just signed in: attributes, manager (created from the
    directory when unknown), roles and group memberships from their groups. ``None`` when a
    local account holds the username (it is never linked silently).

    :raise DirectoryUnavailable: the directory failed while reading groups or the manager.
    """
    connection = directory.service_connection()
    try:
        groups = directory.groups_of(entry, connection=connection)
        manager_entry = None
        if entry.manager_dn:
            manager_key = normalise_dn(entry.manager_dn)
            if db.session.scalar(select(User.id).where(User.directory_dn == manager_key)) is None:
                manager_entry = directory.user_by_dn(entry.manager_dn, connection)
    finally:
        close(connection)
    people = _known(entry)
    report = people.report
    user = people.apply(entry)
    if user is None:
        return None, report
    manager_people = None
    if entry.manager_dn:
        manager = None
        if manager_entry is not None:
            manager_people = _known(manager_entry)
            manager = manager_people.apply(manager_entry)
        else:
            manager = db.session.scalar(
                select(User).where(User.directory_dn == normalise_dn(entry.manager_dn))
            )
        if manager is not None and manager.directory_dn:
            people.by_dn[manager.directory_dn] = manager
    db.session.flush()
    report.fresh = {people.by_username[u].id for u in report.created if u in people.by_username}
    _set_managers(people, [(entry, user)], report)
    _set_directory_roles(user, _directory_roles(directory.settings, groups), report)
    desk_groups = _Groups(directory.settings, report)
    wanted = {
        (target.id, user.id)
        for group in groups
        for target in desk_groups.targets(group, create=False)
    }
    _apply_memberships(wanted, {g.id for g in desk_groups.managed()}, {user.id}, report)
    _record_created(people, report)
    if manager_people is not None:
        db.session.flush()
        _record_created(manager_people, manager_people.report)
    db.session.flush()
    return user, report

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

This module reads the directory and orders the steps; the rules themselves live in
``app.auth.directory.sync_people`` (accounts, enabled state, managers) and
``app.auth.directory.sync_groups`` (roles, mirrored groups, memberships). Both entry points
return a ``app.auth.directory.sync_report.SyncReport``, which a dry run fills without keeping
any change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.auth.directory.adapter import Directory, Progress, close
from app.auth.directory.entries import DirectoryGroup, DirectoryUser, expand_groups
from app.auth.directory.settings import DirectoryMisconfigured, DirectorySettings, normalise_dn
from app.auth.directory.sync_groups import (
    DeskGroups,
    apply_memberships,
    directory_roles,
    set_directory_roles,
)
from app.auth.directory.sync_people import People, record_created, set_managers
from app.auth.directory.sync_report import SyncReport
from app.auth.models import AccountSource, DirectorySyncState, Role, User
from app.auth.signals import people_changed
from app.extensions import db
from app.timeutils import utc_now

STATE_NAME = "default"


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


def _mark(values: Iterable[str | None]) -> str | None:
    marks = [v for v in values if v]
    if not marks:
        return None
    if all(v.isdecimal() for v in marks):
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
    everyone = select(User).options(selectinload(User.role_grants))  # each one's roles are synced
    people = People(report, db.session.scalars(everyone).all())
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
    set_managers(people, seen.values(), report)

    directory_people = [u for u in people.by_username.values() if u.source == AccountSource.LDAP]
    by_group = {g.key: g for g in groups}
    expanded = (
        expand_groups(by_group)
        if settings.nested_groups
        else {k: frozenset(normalise_dn(m) for m in g.member_dns) for k, g in by_group.items()}
    )
    groups_of: dict[int, list[DirectoryGroup]] = {}
    desk_groups = DeskGroups(settings, report)
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
        set_directory_roles(user, directory_roles(settings, groups_of.get(user.id, [])), report)
    apply_memberships(
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
    record_created(people, report)
    db.session.flush()
    _note_cmdb(people)


def _note_cmdb(people: People) -> None:
    """People this run deactivated or reactivated no longer (or again) count as the users of
    CIs whose users group they are in: the CMDB revision is bumped when there are such CIs."""
    report = people.report
    changed = [*report.deactivated, *report.reactivated]
    ids = [people.by_username[u].id for u in changed if u in people.by_username]
    people_changed.send(user_ids=ids)


def _known(entry: DirectoryUser) -> People:
    """An index of the accounts ``entry`` could be (same DN or same username)."""
    username = entry.username.strip().lower()
    candidates = db.session.scalars(
        select(User).where(or_(User.directory_dn == entry.key, User.username == username))
    )
    return People(SyncReport(mode="sign-in"), candidates.unique().all())


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
    set_managers(people, [(entry, user)], report)
    set_directory_roles(user, directory_roles(directory.settings, groups), report)
    desk_groups = DeskGroups(directory.settings, report)
    wanted = {
        (target.id, user.id)
        for group in groups
        for target in desk_groups.targets(group, create=False)
    }
    apply_memberships(wanted, {g.id for g in desk_groups.managed()}, {user.id}, report)
    record_created(people, report)
    if manager_people is not None:
        db.session.flush()
        record_created(manager_people, manager_people.report)
        _note_cmdb(manager_people)
    db.session.flush()
    _note_cmdb(people)
    return user, report

"""Directory people → desk accounts: profile, enabled state, manager and the audit trail.

The rules (see ``app.auth.directory.sync`` for the whole picture): a person is matched by DN,
then by username; a local account with the same username is never taken over; people are
deactivated, never deleted, and reactivated only when the directory deactivated them; a manager
DN that points at nobody is reported, and a manager loop is cut at the edge that would close it.
Everything here flushes at most; nothing commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from app import audit
from app.auth.directory.entries import DirectoryUser
from app.auth.directory.settings import normalise_dn
from app.auth.directory.sync_report import SyncReport
from app.auth.models import AccountSource, User
from app.auth.sessions import end_sessions
from app.extensions import db
from app.i18n.languages import directory_language

PROFILE_FIELDS = ("display_name", "email", "department", "title", "phone")
DN_LENGTH = 512  # users.directory_dn, groups.directory_dn


def _limit(column: str, value: str | None) -> str | None:
    if value is None:
        return None
    length = getattr(User.__table__.c[column].type, "length", None)
    return value[:length] if length else value


class People:
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
        values["directory_language"] = directory_language(entry.language)
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
                end_sessions(user)
        elif enabled and not user.is_active and user.directory_deactivated:
            user.is_active, user.directory_deactivated = True, False
            self.report.reactivated.append(user.username)
            self.report.changes.append(f"+ reactivate {user.username}")
            if user.id is not None:
                audit.record(None, "user", user.id, "activated", {"is_active": [False, True]})


def set_managers(
    people: People, entries: Iterable[tuple[DirectoryUser, User]], report: SyncReport
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


def record_created(people: People, report: SyncReport) -> None:
    """One "created" audit event per person created in this run, with manager and roles."""
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

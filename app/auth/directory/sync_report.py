"""What a directory sync did, or in a dry run would do: counts, lists and a readable diff.

Plain data filled in by ``app.auth.directory.sync`` and its parts; ``flask ldap sync`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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

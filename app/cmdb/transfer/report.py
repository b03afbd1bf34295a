"""The report of a CMDB import: every error found (where, column, why) and what was, or
would be, written. Plain data, shown by the import page and ``flask cmdb import``."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.cmdb.transfer.format import MAX_ERRORS, RowError


@dataclass
class ImportReport:
    """What an import found and did. ``errors`` holds the first ``MAX_ERRORS``;
    ``error_count`` counts them all."""

    filename: str
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    too_large: bool = False
    ci_rows: int = 0
    relation_rows: int = 0
    cis_new: int = 0
    cis_changed: int = 0
    relations_new: int = 0
    relations_present: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    relations_added: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)

    def summary(self) -> str:
        """One sentence for people: what was (or would be) done, or why nothing was."""
        if not self.ok:
            rows = len({e.where for e in self.errors})
            return (
                f"{self.filename}: {count(self.error_count, 'error')}"
                f"{f' in {rows} rows' if rows > 1 else ''}; nothing was imported."
            )
        present = f" ({self.relations_present} already recorded)" if self.relations_present else ""
        parts = []
        if not self.written:
            if self.ci_rows:
                parts.append(
                    f"{count(self.cis_new, 'CI')} to create, {self.cis_changed} to update, "
                    f"{self.unchanged} unchanged"
                )
            if self.relation_rows:
                parts.append(f"{count(self.relations_new, 'relation')} to add{present}")
            done = "; ".join(parts) or "it is empty"
            return f"{self.filename} is valid: {done}. Nothing was written (dry run)."
        if self.ci_rows:
            parts.append(
                f"{count(self.created, 'CI')} created, {self.updated} updated, "
                f"{self.unchanged} unchanged"
            )
        if self.relation_rows:
            parts.append(f"{count(self.relations_added, 'relation')} added{present}")
        return f"Imported {self.filename}: {'; '.join(parts) or 'nothing to do'}."


def count(number: int, noun: str) -> str:
    """``"1 CI"``, ``"3 CIs"``."""
    return f"{number} {noun}{'s' * (number != 1)}"

"""CIs from a sheet, through the CMDB's own import (:mod:`app.cmdb.transfer.imports`).

The sheet's mapped columns become the CMDB CSV format's records (``name``, ``class``,
``owner``...; see :mod:`app.cmdb.transfer.format`), one per row with the row's line, so the
CMDB's checks (classes, statuses, environments, the CI services' validation, a CI twice in the
file) and its all-or-nothing writer run unchanged, and each change is in the CI's history with
the import as its reason. What a sheet adds: people named by username, email or full name (the
CMDB format takes usernames), and dates checked as dates.
"""

from __future__ import annotations

from typing import Any

from app.auth.models import User
from app.cmdb.history import import_reason
from app.cmdb.transfer.format import Record
from app.cmdb.transfer.imports import Importer
from app.cmdb.transfer.report import ImportReport
from app.errors import Conflict
from app.i18n import N_
from app.i18n.stored import stored
from app.imports.sheets.checking import Check, Directory, MappedRow, Plan, Status
from app.imports.sheets.fields import CIS, parse_date

PEOPLE = ("owner", "assigned_user")
COLUMNS = tuple(t.key for t in CIS)


class CIs:
    """Checks and writes a sheet of configuration items."""

    def __init__(self, check: Check, filename: str) -> None:
        self.check = check
        self.filename = filename
        self.directory = Directory()
        self.report = ImportReport(filename=filename, dry_run=True)
        self.importer = Importer(self.report, lambda *_: None)
        self.cmdb_plans: list[Any] = []

    def plan(self, rows: list[MappedRow]) -> list[Plan]:
        records, shown = [], {}
        for row in rows:
            values = self._values(row)
            if values is None:
                continue
            records.append(Record("cis", "csv", str(row.line), values))
            shown[row.line] = {k: v or "" for k, v in values.items()}
            for key in PEOPLE:
                if values.get(key):
                    user_id = self.directory.by_username[values[key]]
                    shown[row.line][key] = self.directory.names[user_id]
        self.importer.total = len(records)
        self.cmdb_plans = self.importer.check_cis(records)
        for error in self.report.errors:
            key = error.column if error.column in COLUMNS else ""
            self.check.error(int(error.where) if error.where.isdigit() else 0, key, error.message)
        if self.report.error_count > len(self.report.errors):
            more = self.report.error_count - len(self.report.errors)
            self.check.error(
                0, "", stored(N_("… and %(more)s more errors from the CMDB's checks."), more=more)
            )
        status: dict[int, Status] = {
            int(p.record.where): ("new" if p.new is not None else "changed")
            for p in self.cmdb_plans
        }
        return [
            Plan(int(r.where), status.get(int(r.where), "unchanged"), shown[int(r.where)])
            for r in records
            if int(r.where) not in self.check.bad_lines
        ]

    def _values(self, row: MappedRow) -> dict[str, Any] | None:
        """The row as the CMDB format's values (mapped columns only: an unmapped column leaves
        the field as it is, an empty cell clears it), or ``None`` if a cell is wrong."""
        values: dict[str, Any] = {key: row.get(key) for key in row.values}
        for key in PEOPLE:
            if values.get(key):
                user_id = self.check.parse(row, key, self.directory.person)
                values[key] = self.directory.usernames.get(user_id or 0)
        if values.get("warranty_end"):
            day = self.check.parse(row, "warranty_end", parse_date)
            values["warranty_end"] = day.isoformat() if day else None
        return None if row.line in self.check.bad_lines else values

    def apply(self, plans: list[Plan], actor: User) -> None:
        """:raise Conflict: the CMDB's writer refused (a change saved meanwhile)."""
        self.importer.apply(self.cmdb_plans, [], actor=actor, reason=import_reason(self.filename))
        if not self.report.written:
            raise Conflict("; ".join(e.message for e in self.report.errors[-1:]))

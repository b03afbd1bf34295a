"""Reading ServiceNow's incident audit export (pure: no Flask, no database).

The export has one row per update of an incident (the shape of the public "Incident management
process enriched event log"): ``?`` is empty, dates are day-first and unpadded
(``29/2/2016 01:16``), scales are labelled (``2 - Medium``). :func:`open_source` opens a CSV or
a zip holding one and checks its columns; :func:`incidents` groups the rows of each number (they
are contiguous in ServiceNow's export) and parses them into a :class:`SourceIncident`, or says
why rows are skipped; :func:`history` turns an incident's rows into its timeline steps.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import IO, Any

from app.i18n import N_
from app.i18n.stored import english, stored

COLUMNS = (
    "number", "incident_state", "active", "reassignment_count", "reopen_count",
    "sys_mod_count", "made_sla", "caller_id", "opened_by", "opened_at", "sys_created_by",
    "sys_created_at", "sys_updated_by", "sys_updated_at", "contact_type", "location",
    "category", "subcategory", "u_symptom", "cmdb_ci", "impact", "urgency", "priority",
    "assignment_group", "assigned_to", "knowledge", "u_priority_confirmation", "notify",
    "problem_id", "rfc", "vendor", "caused_by", "closed_code", "resolved_by", "resolved_at",
    "closed_at",
)  # fmt: skip
# Kept in the incident's description: the log records them, Deskgraph has no field for them.
DESCRIBED = (
    "u_symptom", "location", "knowledge", "u_priority_confirmation", "notify", "problem_id",
    "rfc", "vendor", "caused_by", "closed_code",
)  # fmt: skip
EMPTY = "?"
ROW_KEY = itemgetter(*COLUMNS)  # a row's values in a fixed order (duplicates, fingerprints)
WIDTH = "\0width"  # set on a row whose number of values differs from the header's

# ServiceNow's incident states → Deskgraph's state and hold reason.
STATES: dict[str, tuple[str, str | None]] = {
    "New": ("new", None),
    "Active": ("in_progress", None),
    "Awaiting User Info": ("on_hold", "awaiting_caller"),
    "Awaiting Evidence": ("on_hold", "awaiting_caller"),
    "Awaiting Vendor": ("on_hold", "awaiting_vendor"),
    "Awaiting Problem": ("on_hold", "awaiting_problem"),
    "Awaiting Change": ("on_hold", "awaiting_change"),
    "Resolved": ("resolved", None),
    "Closed": ("closed", None),
    "Canceled": ("canceled", None),
}
CHANNELS = {
    "Phone": "phone",
    "IVR": "phone",
    "Email": "email",
    "Self service": "portal",
    "Direct opening": "agent",
}


Text = str | dict[str, Any]  # English, or a message id and its parameters (app.i18n.stored)


class SourceError(Exception):
    """The file as a whole cannot be read (not a CSV, a truncated zip, missing columns).
    ``text``: why, as a stored message worded in each reader's language; ``str()``: in
    English."""

    def __init__(self, text: dict[str, Any]) -> None:
        super().__init__(english(text))
        self.text = text


class BadValue(ValueError):
    """A value that cannot be read (a date, a level): ``text`` as for :class:`SourceError`."""

    def __init__(self, text: dict[str, Any]) -> None:
        super().__init__(english(text))
        self.text = text


@dataclass(frozen=True)
class Problem:
    """Why a source row is skipped (or a part of it not carried): a line of the report."""

    line: int
    number: str
    column: str
    message: Text
    kind: str = "skipped"


@dataclass(frozen=True)
class Update:
    """One parsed row: the incident as it stood after one update."""

    line: int
    at: datetime
    by: str | None
    state: str
    hold_reason: str | None
    raw_state: str
    group: str | None
    assignee: str | None
    impact: int
    urgency: int
    priority: int
    category: str | None
    subcategory: str | None


@dataclass
class SourceIncident:
    """An incident read from the log: its fixed facts, its updates in order, its last row."""

    number: str
    lines: list[int]
    updates: list[Update]
    last: dict[str, str]
    opened_at: datetime
    opened_by: str | None
    caller: str | None
    resolved_at: datetime | None
    closed_at: datetime | None
    fingerprint_rows: list[tuple[str, ...]] = field(repr=False)
    duplicates: int = 0  # rows identical to an earlier row of the same incident

    @property
    def final(self) -> Update:
        return self.updates[-1]

    @property
    def resolved_until(self) -> datetime | None:
        """When it was resolved: ``resolved_at``, or ``closed_at`` for an incident closed
        without a resolution time (as the reports count a ticket closed unresolved)."""
        if self.resolved_at is not None:
            return self.resolved_at
        return self.closed_at if self.final.state == "closed" else None

    def value(self, column: str) -> str | None:
        return blank(self.last.get(column, ""))


def blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return None if value in ("", EMPTY) else value


def parse_date(value: str) -> datetime | None:
    """A day-first log date as UTC (``None`` for ``?``). :raise ValueError: another format."""
    text = blank(value)
    if text is None:
        return None
    return _date(text)


@lru_cache(maxsize=65_536)
def _date(text: str) -> datetime:
    # Each row repeats its incident's dates: parse each text once, by hand (strptime is slow).
    try:
        day, clock = text.split(" ")
        d, m, y = day.split("/")
        hh, mm = clock.split(":")
        if len(y) != 4 or not (1 <= len(d) <= 2 and 1 <= len(m) <= 2 and len(hh) <= 2):
            raise ValueError
        return datetime(int(y), int(m), int(d), int(hh), int(mm), tzinfo=UTC)
    except ValueError:
        raise BadValue(
            stored(N_("%(value)r is not a date like 29/2/2016 01:16 (day/month/year)"), value=text)
        ) from None


def parse_level(value: str) -> int:
    """``2 - Medium`` → 2. :raise ValueError: no leading number."""
    head = (value or "").split("-", 1)[0].strip()
    if not head.isdigit():
        raise BadValue(stored(N_("%(value)r is not a level like '2 - Medium'"), value=value))
    return int(head)


def level_label(value: str) -> str:
    """``3 - Moderate`` → ``Moderate``."""
    parts = (value or "").split("-", 1)
    return parts[1].strip() if len(parts) == 2 else value


def open_source(stream: IO[bytes], name: str) -> tuple[IO[str], list[str], list[str]]:
    """The CSV text of ``stream`` (a CSV, or a zip holding exactly one), positioned after its
    header, the header, and the columns it has besides :data:`COLUMNS` (not carried).

    :raise SourceError: a damaged zip, no or several CSVs in it, a missing header or columns.
    """
    start = stream.read(4)
    stream.seek(0)
    binary: IO[bytes] = stream
    if start.startswith(b"PK"):
        try:
            archive = zipfile.ZipFile(stream)
            members = [
                m for m in archive.namelist()
                if m.lower().endswith(".csv") and not m.startswith("__MACOSX/")
            ]  # fmt: skip
            if len(members) != 1:
                raise SourceError(
                    stored(
                        N_("%(name)s must hold exactly one CSV file; it holds %(count)s."),
                        name=name,
                        count=len(members),
                    )
                )
            binary = archive.open(members[0])
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise SourceError(
                stored(
                    N_("%(name)s is not a readable zip file (%(error)s)."),
                    name=name,
                    error=str(error),
                )
            ) from None
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    try:
        header = [h.strip() for h in next(csv.reader([text.readline()]), [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise SourceError(
                stored(
                    N_(
                        "%(name)s is not a ServiceNow incident export: it lacks the "
                        "column(s) %(columns)s."
                    ),
                    name=name,
                    columns=", ".join(missing),
                )
            )
    except (UnicodeDecodeError, zipfile.BadZipFile, OSError, EOFError, csv.Error) as error:
        close(text, stream)
        raise SourceError(
            stored(
                N_("%(name)s cannot be read as a UTF-8 CSV file (%(error)s)."),
                name=name,
                error=str(error),
            )
        ) from None
    except SourceError:
        close(text, stream)
        raise
    return text, header, [h for h in header if h not in COLUMNS]


def close(text: IO[str], stream: IO[bytes]) -> None:
    """Let go of the text read from ``stream`` (closing a zip's member, not the stream: its
    owner closes it)."""
    binary = text.detach()  # type: ignore[attr-defined]
    if binary is not stream:
        binary.close()


def rows(text: IO[str], header: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` for each data row after the header (read already); blank lines
    are passed over."""
    reader = csv.reader(text)
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        row = dict(zip(header, values, strict=False))
        if len(values) != len(header):
            row = {**dict.fromkeys(header, ""), **row}
            row[WIDTH] = f"{len(values)},{len(header)}"
        yield reader.line_num + 1, row


def grouped(
    numbered: Iterable[tuple[int, dict[str, str]]],
) -> Iterator[tuple[str, list[tuple[int, dict[str, str]]]]]:
    """The rows of each incident number together, as the export writes them (a number whose
    rows are split is given once per run of rows; the caller reports the later ones)."""
    current: str | None = None
    block: list[tuple[int, dict[str, str]]] = []
    for line, row in numbered:
        number = (row.get("number") or "").strip()
        if number != current and block:
            yield current or "", block
            block = []
        current = number
        block.append((line, row))
    if block:
        yield current or "", block


def parse_incident(
    number: str, block: list[tuple[int, dict[str, str]]]
) -> tuple[SourceIncident | None, list[Problem]]:
    """An incident from its rows, and the rows skipped with the reason. ``None`` when none of
    its rows can be used, or when its rows contradict each other on what cannot change (when
    and by whom it was opened): then every row is skipped, nothing of it is saved."""
    problems: list[Problem] = []
    if not number:
        return None, _all(block, "", "number", stored(N_("The row has no incident number.")))
    if len(number) > 40:
        return None, _all(
            block, number[:40], "number", stored(N_("The number is over 40 characters."))
        )
    opened = {(row.get("opened_at", ""), row.get("opened_by", "")) for _, row in block}
    if len(opened) > 1:
        values = "; ".join(sorted(f"{at} by {by}" for at, by in opened))
        return None, _all(
            block,
            number,
            "opened_at",
            stored(
                N_(
                    "%(number)s has rows that disagree on when and by whom it was opened "
                    "(%(values)s): none of its rows were imported."
                ),
                number=number,
                values=values,
            ),
        )
    seen: dict[tuple[str, ...], int] = {}
    updates: list[Update] = []
    kept_rows: list[tuple[str, ...]] = []
    last: dict[str, str] | None = None
    duplicates = 0
    for line, row in block:
        key = ROW_KEY(row)
        if key in seen:
            duplicates += 1
            problems.append(
                Problem(
                    line,
                    number,
                    "",
                    stored(N_("Same values as line %(line)s: a duplicate row."), line=seen[key]),
                )
            )
            continue
        seen[key] = line
        update, problem = _parse_row(line, number, row)
        if problem is not None:
            problems.append(problem)
            continue
        assert update is not None
        updates.append(update)
        kept_rows.append(key)
        last = row
    if not updates or last is None:
        return None, problems
    order = sorted(range(len(updates)), key=lambda i: (updates[i].at, i))  # stable: file order
    updates = [updates[i] for i in order]
    kept_rows = [kept_rows[i] for i in order]
    try:
        opened_at = parse_date(block[0][1].get("opened_at", ""))
        resolved_at = parse_date(last.get("resolved_at", ""))
        closed_at = parse_date(last.get("closed_at", ""))
    except ValueError as error:
        reason = error.text if isinstance(error, BadValue) else str(error)
        return None, _all(
            block,
            number,
            "opened_at",
            stored(N_("%(reason)s: none of the incident's rows were imported."), reason=reason),
        )
    if opened_at is None:
        return None, _all(
            block,
            number,
            "opened_at",
            stored(N_("No opened_at: none of the incident's rows were imported.")),
        )
    incident = SourceIncident(
        number=number,
        lines=[u.line for u in updates],
        updates=updates,
        last=_last_row(block, updates[-1].line),
        opened_at=opened_at,
        opened_by=blank(block[0][1].get("opened_by")),
        caller=blank(_last_row(block, updates[-1].line).get("caller_id")),
        resolved_at=resolved_at,
        closed_at=closed_at,
        fingerprint_rows=kept_rows,
        duplicates=duplicates,
    )
    return incident, problems


def _all(
    block: list[tuple[int, dict[str, str]]], number: str, column: str, message: Text
) -> list[Problem]:
    """The same reason for every row of an incident skipped as a whole."""
    return [Problem(line, number, column, message) for line, _ in block]


def _last_row(block: list[tuple[int, dict[str, str]]], line: int) -> dict[str, str]:
    for at, row in block:
        if at == line:
            return row
    return block[-1][1]


def _parse_row(line: int, number: str, row: dict[str, str]) -> tuple[Update | None, Problem | None]:
    if WIDTH in row:
        width, columns = (int(n) for n in row[WIDTH].split(","))
        message = N_("The row has %(values)s values where the header has %(columns)s columns.")
        return None, Problem(line, number, "", stored(message, values=width, columns=columns))
    raw_state = (row.get("incident_state") or "").strip()
    if raw_state not in STATES:
        known = ", ".join(STATES)
        return None, Problem(
            line,
            number,
            "incident_state",
            stored(N_("Unknown state %(state)r (known: %(known)s)."), state=raw_state, known=known),
        )
    state, hold = STATES[raw_state]
    try:
        at = parse_date(row.get("sys_updated_at", ""))
    except ValueError as error:
        return None, Problem(line, number, "sys_updated_at", _sentence(error))
    if at is None:
        return None, Problem(
            line, number, "sys_updated_at", stored(N_("The row has no sys_updated_at."))
        )
    values: dict[str, int] = {}
    for column in ("impact", "urgency", "priority"):
        try:
            values[column] = parse_level(row.get(column, ""))
        except ValueError as error:
            return None, Problem(line, number, column, _sentence(error))
    return (
        Update(
            line=line,
            at=at,
            by=blank(row.get("sys_updated_by")),
            state=state,
            hold_reason=hold,
            raw_state=raw_state,
            group=blank(row.get("assignment_group")),
            assignee=blank(row.get("assigned_to")),
            impact=values["impact"],
            urgency=values["urgency"],
            priority=values["priority"],
            category=blank(row.get("category")),
            subcategory=blank(row.get("subcategory")),
        ),
        None,
    )


@dataclass(frozen=True)
class Step:
    """One step of an incident's timeline: a domain event with its journal changes."""

    at: datetime
    by: str | None
    event: str  # created, assigned, priority_changed, state_changed
    data: dict[str, Any]
    changes: dict[str, list[Any]]


def history(incident: SourceIncident) -> list[Step]:
    """The incident's timeline: ``created`` at ``opened_at`` (by the opener, in state new),
    then for each update what changed, in order: the assignment, the priority (with impact
    and urgency), the state (with the hold reason; leaving resolved is a reopening). Steps
    hold names (people, groups); the importer turns them into ids."""
    first = incident.updates[0]
    steps = [
        Step(
            incident.opened_at,
            incident.opened_by,
            "created",
            {"priority": first.priority, "channel": incident_channel(incident)},
            {},
        )
    ]
    state, hold, group, assignee = "new", None, None, None
    impact, urgency, priority = first.impact, first.urgency, first.priority
    for u in incident.updates:
        if (u.group, u.assignee) != (group, assignee):
            changes: dict[str, list[Any]] = {}
            if u.group != group:
                changes["assignment_group"] = [group, u.group]
            if u.assignee != assignee:
                changes["assignee"] = [assignee, u.assignee]
            steps.append(
                Step(u.at, u.by, "assigned", {"group": u.group, "assignee": u.assignee}, changes)
            )
            group, assignee = u.group, u.assignee
        if (u.impact, u.urgency, u.priority) != (impact, urgency, priority):
            changes = {}
            for name, old, new in (
                ("impact", impact, u.impact),
                ("urgency", urgency, u.urgency),
                ("priority", priority, u.priority),
            ):
                if old != new:
                    changes[name] = [old, new]
            if u.priority != priority:
                steps.append(
                    Step(
                        u.at, u.by, "priority_changed",
                        {"old": priority, "new": u.priority, "overridden": False},
                        changes,
                    )
                )  # fmt: skip
            else:
                steps.append(Step(u.at, u.by, "", {}, changes))  # journal only
            impact, urgency, priority = u.impact, u.urgency, u.priority
        if (u.state, u.hold_reason) != (state, hold):
            changes = {"state": [state, u.state]}
            if u.hold_reason != hold:
                changes["hold_reason"] = [hold, u.hold_reason]
            if u.state == state:  # one hold reason for another: Deskgraph stays on hold
                steps.append(Step(u.at, u.by, "", {}, {"hold_reason": [hold, u.hold_reason]}))
            else:
                steps.append(
                    Step(
                        u.at, u.by, "state_changed",
                        {"old": state, "new": u.state, "hold_reason": u.hold_reason},
                        changes,
                    )
                )  # fmt: skip
            state, hold = u.state, u.hold_reason
    return steps


def incident_channel(incident: SourceIncident) -> str:
    return CHANNELS.get(incident.value("contact_type") or "", "phone")


def first_response(incident: SourceIncident) -> datetime | None:
    """When work started: the first update in progress (Deskgraph's first response)."""
    return next((u.at for u in incident.updates if u.state == "in_progress"), None)


def _sentence(error: ValueError) -> Text:
    """A value's problem as a report line (a sentence)."""
    if isinstance(error, BadValue):
        return stored(N_("%(reason)s."), reason=error.text)
    return str(error) + "."

"""Import ServiceNow's incident history: a run over one export, batch by batch.

:func:`import_incidents` reads the file once (a CSV, or a zip holding it), groups its rows by
incident number and writes each batch of incidents with bulk statements: the ticket and
incident rows, their timeline (``TicketEvent`` and journal entries at their original times and
actors), their CIs and the external reference that makes a second run a sync. The people,
groups, categories and CIs the log names are matched (by external reference, then by name) or
created (people inactive, without a password). Each batch commits with the run's tallies and
its checkpoint, so the progress bar moves and a killed import, run again over the same bytes,
resumes after the last committed batch. Each batch also writes what the session hooks would
have written for tickets saved one by one: SLA records, search documents and the report facts
and rollups. A dry run does the same work in a savepoint per batch
and rolls it back.

Every row read is accounted for: ``rows_read = rows_imported + rows_unchanged +
rows_skipped``, and each skipped row has a line in the report saying why.
"""

from __future__ import annotations

import csv
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, cast

from sqlalchemy import Table, delete, insert, select, update

from app import bulk
from app.auth.models import Group, User
from app.cmdb import services as cmdb
from app.cmdb.models import CIClass, ConfigurationItem
from app.db import is_postgresql
from app.extensions import db
from app.i18n import N_
from app.i18n.stored import stored
from app.imports import refs, runs
from app.imports.models import ExternalRef, ImportRun, ProblemKind
from app.imports.servicenow import source
from app.imports.servicenow.source import Problem, SourceError, SourceIncident
from app.imports.servicenow.summary import Tally, describe
from app.incidents.models import Category, Incident, MajorState, incident_cis
from app.reports.rollups.facts import refresh_facts
from app.search import index as search_index
from app.sla.models import SlaPolicy
from app.sla.services import refresh_ticket_slas
from app.tickets.holds import HoldReason
from app.tickets.matrix import load_matrix
from app.tickets.models import (
    Channel,
    EntryKind,
    JournalEntry,
    Ticket,
    TicketEvent,
    TicketKind,
)
from app.tickets.services import reserve_numbers
from app.timeutils import utc_now

KIND = "servicenow-incidents"
SYSTEM = "servicenow"
SYSTEM_LABEL = "ServiceNow"
BATCH = 2000  # incidents per committed batch
CI_CLASS = "application"  # the class of CIs the log names that the CMDB does not have
UNKNOWN_CALLER = "Unknown caller (ServiceNow)"
STREAM_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, UnicodeDecodeError, csv.Error)

TICKETS = cast(Table, Ticket.__table__)
INCIDENTS = cast(Table, Incident.__table__)
EVENTS = cast(Table, TicketEvent.__table__)
ENTRIES = cast(Table, JournalEntry.__table__)
REFS = cast(Table, ExternalRef.__table__)

OnBatch = Callable[[ImportRun, int], None]
Block = tuple[str, list[tuple[int, dict[str, str]]]]  # an incident number and its rows


@dataclass
class Names:
    """Source names of one kind (people, groups, CIs) → ids here, looked up once per run."""

    kind: str
    ids: dict[str, int] = field(default_factory=dict)

    def missing(self, names: Iterable[str | None]) -> list[str]:
        return sorted({n for n in names if n and n not in self.ids})


@dataclass
class Directory:
    people: Names = field(default_factory=lambda: Names("person"))
    groups: Names = field(default_factory=lambda: Names("group"))
    cis: Names = field(default_factory=lambda: Names("ci"))
    categories: dict[tuple[str, str | None], int] = field(default_factory=dict)


def import_incidents(
    stream: IO[bytes],
    name: str,
    *,
    dry_run: bool = False,
    user: Any = None,
    batch_size: int = BATCH,
    on_batch: OnBatch | None = None,
    run: ImportRun | None = None,
) -> ImportRun:
    """Import (or, ``dry_run``, rehearse) one export; commits each batch and the end. Resumes
    the interrupted run over the same bytes. ``run``: a run started already (the web page
    starts it before the work goes to the background). ``on_batch(run, n)`` is called after
    each committed batch. Never raises for bad input: the run says what went wrong."""
    digest = runs.sha256_of(stream)
    total = _count_lines(stream)
    resumed = run is not None and bool(run.checkpoint)  # a retried background run
    if run is None:
        if dry_run:
            run = runs.start(KIND, name, sha256=digest, dry_run=True, user=user, total=total)
        else:
            run, resumed = runs.start_or_resume(KIND, name, sha256=digest, user=user, total=total)
    db.session.commit()
    try:
        text, header, extra = source.open_source(stream, name)
    except SourceError as error:
        runs.problem(run, ProblemKind.ERROR, error.text, where=name)
        runs.fail(run, error.text)
        db.session.commit()
        return run
    if extra and not resumed:
        runs.problem(
            run,
            ProblemKind.NOT_CARRIED,
            stored(
                N_("Columns not carried (not part of ServiceNow's incident log): %(columns)s"),
                columns=", ".join(extra),
            ),
        )
    checkpoint = dict(run.checkpoint or {}) if resumed else {}
    worker = _Importer(run, dry_run=dry_run, tally=Tally.from_state(checkpoint.get("tally")))
    skip = int(checkpoint.get("incidents", 0))
    done = int(checkpoint.get("done", 0))
    batch: list[Block] = []
    batches = 0
    read = skip
    try:
        for index, block in enumerate(source.grouped(source.rows(text, header))):
            if index < skip:
                continue
            batch.append(block)
            read = index + 1
            if len(batch) >= batch_size:
                done += sum(len(b) for _, b in batch)
                worker.write(batch, done=done, incidents=read)
                batch = []
                batches += 1
                if on_batch is not None:
                    on_batch(run, batches)
        if batch:
            done += sum(len(b) for _, b in batch)
            worker.write(batch, done=done, incidents=read)
    except STREAM_ERRORS as error:
        db.session.rollback()
        message = stored(
            N_(
                "%(name)s could not be read to the end (%(error)s); the incidents before are saved."
            ),
            name=name,
            error=str(error),
        )
        runs.problem(run, ProblemKind.ERROR, message, where=f"after {done:,} rows")
        runs.fail(run, message)
        db.session.commit()
        return run
    finally:
        source.close(text, stream)
    summary = describe(worker.tally, load_matrix().cells)
    runs.progress(run, done, total=done)
    runs.finish(run, summary)
    db.session.commit()
    return run


def _count_lines(stream: IO[bytes]) -> int | None:
    """About how many rows the source holds, for the progress bar (lines, header excluded; a
    zip's uncompressed size divided by the first rows' length)."""
    start = stream.tell()
    head = stream.read(4)
    stream.seek(start)
    if head.startswith(b"PK"):
        try:
            archive = zipfile.ZipFile(stream)
            sizes = [i.file_size for i in archive.infolist() if i.filename.endswith(".csv")]
            with archive.open(next(i for i in archive.namelist() if i.endswith(".csv"))) as f:
                sample = f.read(1 << 16)
        except (zipfile.BadZipFile, OSError, EOFError, StopIteration, zlib.error):
            stream.seek(start)
            return None
        stream.seek(start)
        lines = max(sample.count(b"\n"), 1)
        return max(round(sum(sizes) * lines / max(len(sample), 1)) - 1, 0)
    count = 0
    while chunk := stream.read(1 << 20):
        count += chunk.count(b"\n")
    stream.seek(start)
    return max(count - 1, 0)


class _Importer:
    """The writing half of a run: one batch of incident blocks at a time."""

    def __init__(self, run: ImportRun, *, dry_run: bool, tally: Tally) -> None:
        self.run = run
        self.dry_run = dry_run
        self.tally = tally
        self.directory = Directory()
        self.seen: set[str] = set()
        self.matrix = load_matrix()
        # No active SLA policy: no record to compute (the SLA code would load every event).
        self.sla_policies = bool(
            db.session.scalar(select(SlaPolicy.id).where(SlaPolicy.is_active).limit(1))
        )

    def write(self, blocks: list[Block], *, done: int, incidents: int) -> None:
        tallies: dict[str, int] = {}
        problems: list[Problem] = []
        parsed: list[SourceIncident] = []
        for number, block in blocks:
            tallies["rows_read"] = tallies.get("rows_read", 0) + len(block)
            if number and number in self.seen:
                problems.extend(
                    Problem(
                        line, number, "number",
                        stored(
                            N_(
                                "The rows of %(number)s must follow each other; this group "
                                "comes after other incidents (the first group was imported)."
                            ),
                            number=number,
                        ),
                    )
                    for line, _ in block
                )  # fmt: skip
                continue
            self.seen.add(number)
            incident, skipped = source.parse_incident(number, block)
            problems.extend(skipped)
            if incident is None:
                tallies["incidents_skipped"] = tallies.get("incidents_skipped", 0) + 1
                continue
            parsed.append(incident)
        tallies["rows_skipped"] = len(problems)
        if self.dry_run:
            savepoint = db.session.begin_nested()
            outcome = self._apply(parsed)
            savepoint.rollback()
            self.directory = Directory()  # the ids it made are gone
        else:
            outcome = self._apply(parsed)
        for key, n in outcome.items():
            tallies[key] = tallies.get(key, 0) + n
        for incident in parsed:
            self.tally.add(incident)
        runs.add_counts(self.run, tallies)
        for p in problems:
            runs.problem(self.run, p.kind, p.message, where=f"line {p.line}", column=p.column)
        runs.progress(
            self.run,
            done,
            checkpoint={"incidents": incidents, "done": done, "tally": self.tally.state()},
        )
        if self.run.total is not None and done > self.run.total:
            self.run.total = done
        db.session.commit()

    # -- one batch ---------------------------------------------------------------------------

    def _apply(self, incidents: list[SourceIncident]) -> dict[str, int]:
        tallies: dict[str, int] = {}
        if not incidents:
            return tallies
        self._resolve(incidents, tallies)
        known = refs.known(SYSTEM, "incident", [i.number for i in incidents])
        new: list[tuple[SourceIncident, str]] = []
        changed: list[tuple[SourceIncident, str, Any]] = []
        for incident in incidents:
            print_ = refs.fingerprint(incident.fingerprint_rows)
            ref = known.get(incident.number)
            rows = len(incident.updates)
            if ref is not None and ref.fingerprint == print_:
                _add(tallies, incidents_unchanged=1, rows_unchanged=rows)
            elif ref is not None:
                changed.append((incident, print_, ref))
                _add(tallies, incidents_updated=1, rows_imported=rows)
            else:
                new.append((incident, print_))
                _add(tallies, incidents_created=1, rows_imported=rows)
        touched: list[int] = []
        if new:
            touched += self._create(new)
        if changed:
            touched += self._update(changed)
        if touched:
            self._settle(touched)
        return tallies

    def _settle(self, touched: list[int]) -> None:
        """What the session hooks do for a ticket saved one by one, which bulk statements
        bypass: the SLA records (when a policy is active), the search documents (the bulk path;
        an updated incident's text too) and the report facts and daily rollups, so the
        dashboards count the batch the moment it commits."""
        db.session.flush()
        if self.sla_policies:
            refresh_ticket_slas(touched, now=utc_now(), settle=True)
        search_index.write_bulk("ticket", touched)
        refresh_facts(touched)

    def _resolve(self, incidents: list[SourceIncident], tallies: dict[str, int]) -> None:
        people: set[str | None] = set()
        groups: set[str | None] = set()
        cis: set[str | None] = set()
        categories: set[tuple[str, str | None]] = set()
        locations: dict[str, str] = {}
        for i in incidents:
            people.update((i.caller or UNKNOWN_CALLER, i.opened_by, i.value("resolved_by")))
            for u in i.updates:
                people.update((u.by, u.assignee))
                groups.add(u.group)
                if u.category:
                    categories.add((u.category, None))
                    if u.subcategory:
                        categories.add((u.category, u.subcategory))
            cis.add(i.value("cmdb_ci"))
            location = i.value("location")
            if i.caller and location:
                locations.setdefault(i.caller, location)
        self._people(self.directory.people.missing(people), locations, tallies)
        self._groups(self.directory.groups.missing(groups), tallies)
        self._categories(sorted(categories - set(self.directory.categories), key=str), tallies)
        self._cis(self.directory.cis.missing(cis), tallies)

    def _matched(self, names: Names, missing: list[str]) -> list[str]:
        """Fill ``names`` from the external references; the names still unknown."""
        for ref in refs.known(SYSTEM, names.kind, missing).values():
            names.ids[ref.external_id] = ref.object_id
        return [n for n in missing if n not in names.ids]

    def _remember(
        self,
        kind: str,
        object_type: str,
        pairs: dict[str, int],
        imported: bool,
        prints: dict[str, str] | None = None,
    ) -> None:
        """Record new external references in one statement (``refs.remember`` one by one is
        for the few that exist already)."""
        if not pairs:
            return
        now = utc_now()
        bulk.insert_rows(
            REFS,
            [
                {
                    "system": SYSTEM,
                    "kind": kind,
                    "external_id": name[:200],
                    "object_type": object_type,
                    "object_id": object_id,
                    "fingerprint": (prints or {}).get(name),
                    "imported": imported,
                    "run_id": self.run.id,
                    "created_at": now,
                    "updated_at": now,
                }
                for name, object_id in pairs.items()
            ],
        )

    def _people(
        self, missing: list[str], locations: dict[str, str], tallies: dict[str, int]
    ) -> None:
        names = self.directory.people
        missing = self._matched(names, missing)
        if not missing:
            return
        found: dict[str, int] = {}
        for chunk in _chunks(missing):
            for user_id, display in db.session.execute(
                select(User.id, User.display_name)
                .where(User.display_name.in_(chunk))
                .order_by(User.id)
            ):
                found.setdefault(display, user_id)
        self._remember("person", "user", found, imported=False)
        names.ids.update(found)
        create = [n for n in missing if n not in found]
        if create:
            taken: set[str] = set()
            for chunk in _chunks([_username(n) for n in create]):
                taken.update(
                    db.session.scalars(select(User.username).where(User.username.in_(chunk)))
                )
            rows = []
            for n in create:
                username = _username(n)
                if username in taken:
                    username = f"{username[:140]}-{len(taken)}"
                taken.add(username)
                rows.append(
                    {
                        "username": username,
                        "display_name": n[:200],
                        "is_active": False,
                        "password_hash": None,
                        "location": locations.get(n),
                    }
                )
            made = self._insert_named(User, rows, "display_name")
            self._remember("person", "user", made, imported=True)
            names.ids.update(made)
        _add(tallies, people_matched=len(found), people_created=len(create))

    def _groups(self, missing: list[str], tallies: dict[str, int]) -> None:
        names = self.directory.groups
        missing = self._matched(names, missing)
        if not missing:
            return
        found = {
            name: group_id
            for chunk in _chunks(missing)
            for group_id, name in db.session.execute(
                select(Group.id, Group.name).where(Group.name.in_(chunk))
            )
        }
        self._remember("group", "group", found, imported=False)
        names.ids.update(found)
        create = [n for n in missing if n not in found]
        if create:
            made = self._insert_named(
                Group,
                [{"name": n[:150], "description": "Imported from ServiceNow."} for n in create],
                "name",
            )
            self._remember("group", "group", made, imported=True)
            names.ids.update(made)
        _add(tallies, groups_matched=len(found), groups_created=len(create))

    def _insert_named(self, model: Any, rows: list[dict[str, Any]], key: str) -> dict[str, int]:
        """Insert ``rows`` in one statement; their ids by the value of ``key``."""
        if not rows:
            return {}
        column = getattr(model, key)
        result = db.session.execute(
            insert(model).returning(model.id, column, sort_by_parameter_order=True), rows
        )
        return {name: row_id for row_id, name in result}

    def _categories(self, wanted: list[tuple[str, str | None]], tallies: dict[str, int]) -> None:
        ids = self.directory.categories
        created = 0
        for parent_name, child in sorted(wanted, key=lambda c: (c[0], c[1] or "")):
            if (parent_name, child) in ids:
                continue
            parent_id = None if child is None else ids[(parent_name, None)]
            name = (child or parent_name)[:80]
            parent = (
                Category.parent_id.is_(None)
                if parent_id is None
                else Category.parent_id == parent_id
            )
            found = db.session.scalar(select(Category.id).where(Category.name == name, parent))
            if found is None:
                category = Category(name=name, parent_id=parent_id)
                db.session.add(category)
                db.session.flush()
                found = category.id
                created += 1
                label = parent_name if child is None else f"{parent_name} › {child}"
                refs.remember(
                    SYSTEM, "category", label, object_type="incident_category",
                    object_id=found, run=self.run,
                )  # fmt: skip
            ids[(parent_name, child)] = found
        _add(tallies, categories_created=created)

    def _cis(self, missing: list[str], tallies: dict[str, int]) -> None:
        names = self.directory.cis
        missing = self._matched(names, missing)
        if not missing:
            return
        found: dict[str, int] = {}
        for chunk in _chunks(missing):
            keys = {n.lower(): n for n in chunk}
            for ci_id, key in db.session.execute(
                select(ConfigurationItem.id, ConfigurationItem.name_key)
                .where(ConfigurationItem.name_key.in_(list(keys)))
                .order_by(ConfigurationItem.id)
            ):
                found.setdefault(keys[key], ci_id)
        self._remember("ci", "ci", found, imported=False)
        names.ids.update(found)
        create = [n for n in missing if n not in found]
        if create:
            ci_class = db.session.scalar(select(CIClass).where(CIClass.name == CI_CLASS))
            if ci_class is None:
                raise RuntimeError(f"the CMDB has no {CI_CLASS!r} class")
            made = {}
            reason = stored(N_("Imported from ServiceNow (import run %(run)s)."), run=self.run.id)
            for n in create:
                ci = cmdb.create_ci(
                    actor=None, ci_class=ci_class, name=n[:200], reason=reason
                )  # fmt: skip
                made[n] = ci.id
            self._remember("ci", "ci", made, imported=True)
            names.ids.update(made)
        _add(tallies, cis_matched=len(found), cis_created=len(create))

    # -- tickets -----------------------------------------------------------------------------

    def _ticket_values(self, incident: SourceIncident) -> dict[str, Any]:
        people = self.directory.people.ids
        final = incident.final
        matrix_priority = self.matrix.cells.get((final.impact, final.urgency))
        done = final.state in ("resolved", "closed")
        override = None
        if matrix_priority != final.priority:
            override = (
                f"As recorded in ServiceNow (the matrix in force gives "
                f"{matrix_priority if matrix_priority is not None else 'no priority'})."
            )
        return {
            "state": final.state,
            "channel": Channel(source.incident_channel(incident)),
            "caller_id": people[incident.caller or UNKNOWN_CALLER],
            "opened_by_id": people.get(incident.opened_by or ""),
            "assignment_group_id": self.directory.groups.ids.get(final.group or ""),
            "assignee_id": people.get(final.assignee or ""),
            "impact": final.impact,
            "urgency": final.urgency,
            "priority": final.priority,
            "priority_override_reason": override,
            "opened_at": incident.opened_at,
            "first_response_at": source.first_response(incident),
            "resolved_at": incident.resolved_until if done else None,
            "closed_at": incident.closed_at if final.state == "closed" else None,
            "reassignment_count": _int(incident.value("reassignment_count")),
            "reopen_count": _int(incident.value("reopen_count")),
            "short_description": _title(incident),
            "description": _description(incident),
            "external_system": SYSTEM_LABEL,
            "external_number": incident.number,
            "updated_at": utc_now(),
        }

    def _incident_values(self, incident: SourceIncident) -> dict[str, Any]:
        final = incident.final
        code = incident.value("closed_code")
        return {
            "category": (final.category or "")[:80] or None,
            "subcategory": (final.subcategory or "")[:80] or None,
            "hold_reason": HoldReason(final.hold_reason) if final.hold_reason else None,
            "resolution_code": None,
            "resolution_notes": f"ServiceNow close code: {code}." if code else None,
        }

    def _create(self, new: list[tuple[SourceIncident, str]]) -> list[int]:
        numbers = reserve_numbers("INC", len(new))
        rows = []
        for (incident, _), number in zip(new, numbers, strict=True):
            rows.append(
                {"kind": TicketKind.INCIDENT, "number": number, **self._ticket_values(incident)}
            )
        if is_postgresql(db.session):  # ids first, then every table in one COPY each
            ids = bulk.next_ids(TICKETS, len(rows))
            bulk.insert_rows(TICKETS, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
        else:
            result = db.session.execute(
                insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), rows
            )
            ids = [row_id for (row_id,) in result]
        bulk.insert_rows(
            INCIDENTS,
            [
                {"id": ticket_id, "major_state": MajorState.NONE, **self._incident_values(incident)}
                for ticket_id, (incident, _) in zip(ids, new, strict=True)
            ],
        )
        self._timelines(list(zip(ids, (i for i, _ in new), strict=True)))
        self._remember(
            "incident",
            "ticket",
            {incident.number: ticket_id for ticket_id, (incident, _) in zip(ids, new, strict=True)},
            True,
            {incident.number: print_ for incident, print_ in new},
        )
        return ids

    def _update(self, changed: list[tuple[SourceIncident, str, Any]]) -> list[int]:
        """Update incidents in place: their fields, and their imported timeline rewritten (what
        people added here after the last import, dated after it, is kept)."""
        ids: list[int] = []
        rewritten: list[tuple[int, SourceIncident]] = []
        for incident, print_, ref in changed:
            ticket_id = ref.object_id
            exists = db.session.scalar(select(Ticket.id).where(Ticket.id == ticket_id))
            if exists is None:  # deleted here since: made again
                ids += self._create([(incident, print_)])
                continue
            since = ref.updated_at
            db.session.execute(
                delete(TicketEvent).where(
                    TicketEvent.ticket_id == ticket_id, TicketEvent.created_at <= since
                ),
                execution_options={"synchronize_session": False},
            )
            db.session.execute(
                delete(JournalEntry).where(
                    JournalEntry.ticket_id == ticket_id,
                    JournalEntry.kind == EntryKind.CHANGE,
                    JournalEntry.created_at <= since,
                ),
                execution_options={"synchronize_session": False},
            )
            db.session.execute(delete(incident_cis).where(incident_cis.c.incident_id == ticket_id))
            db.session.execute(
                update(TICKETS)
                .where(TICKETS.c.id == ticket_id)
                .values(version=TICKETS.c.version + 1, **self._ticket_values(incident))
            )
            db.session.execute(
                update(INCIDENTS)
                .where(INCIDENTS.c.id == ticket_id)
                .values(**self._incident_values(incident))
            )
            rewritten.append((ticket_id, incident))
            refs.remember(
                SYSTEM, "incident", incident.number, object_type="ticket", object_id=ticket_id,
                fingerprint=print_, run=self.run, existing=ref,
            )  # fmt: skip
            ids.append(ticket_id)
        self._timelines(rewritten)  # in one statement per table, after the old rows went
        return ids

    def _timelines(self, pairs: list[tuple[int, SourceIncident]]) -> None:
        people, groups = self.directory.people.ids, self.directory.groups.ids
        events: list[dict[str, Any]] = []
        entries: list[dict[str, Any]] = []
        links: list[dict[str, int]] = []
        for ticket_id, incident in pairs:
            for step in source.history(incident):
                actor = people.get(step.by or "")
                if step.event:
                    data = dict(step.data)
                    if step.event == "assigned":
                        data = {
                            "group_id": groups.get(data["group"] or ""),
                            "assignee_id": people.get(data["assignee"] or ""),
                        }
                    events.append(
                        {
                            "ticket_id": ticket_id,
                            "type": step.event,
                            "actor_id": actor,
                            "data": data,
                            "created_at": step.at,
                        }
                    )
                if step.changes:
                    entries.append(
                        {
                            "ticket_id": ticket_id,
                            "kind": EntryKind.CHANGE,
                            "author_id": actor,
                            "body": "",
                            "changes": step.changes,
                            "created_at": step.at,
                        }
                    )
            ci = incident.value("cmdb_ci")
            if ci and ci in self.directory.cis.ids:
                links.append({"incident_id": ticket_id, "ci_id": self.directory.cis.ids[ci]})
        bulk.insert_rows(EVENTS, events)
        bulk.insert_rows(ENTRIES, entries)
        bulk.insert_rows(incident_cis, links)


def _add(tallies: dict[str, int], **counts: int) -> None:
    for key, n in counts.items():
        if n:
            tallies[key] = tallies.get(key, 0) + n


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _int(value: str | None) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        return 0


def _username(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "person"
    return f"sn-{slug}"[:150]


def _title(incident: SourceIncident) -> str:
    symptom = incident.value("u_symptom") or "Incident"
    where = " / ".join(v for v in (incident.final.category, incident.final.subcategory) if v)
    return (f"{symptom} ({where})" if where else symptom)[:200]


def _description(incident: SourceIncident) -> str:
    lines = [f"Imported from ServiceNow incident {incident.number}."]
    for column in source.DESCRIBED:
        value = incident.value(column)
        if value is not None:
            lines.append(f"{column}: {value}")
    return "\n".join(lines)

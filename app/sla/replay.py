"""``flask sla replay``: recompute task SLA records from the event log and list differences.

Each ticket is replayed as of the instant its records were computed (``computed_as_of``), so
a running clock compares equal however much later the replay runs; records computed before
the ticket's last event are reported as stale. Records of deactivated policies are frozen
history and left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.i18n.stored import is_stored
from app.sla.clock import line_text
from app.sla.models import SlaPolicy, TaskSla
from app.sla.services import (
    BATCH,
    COMPARED,
    as_of_for,
    candidate_policies,
    expected_records,
    load_batch,
)
from app.sla.timeline import business_calendar
from app.tickets.models import Ticket, TicketEvent


@dataclass(frozen=True)
class Difference:
    ticket: str
    policy: str
    stint: int
    field: str
    stored: Any
    replayed: Any

    def __str__(self) -> str:
        where = f"{self.ticket} “{self.policy}”" + (f" stint {self.stint}" if self.stint else "")
        return f"{where}: {self.field} stored {self.stored!r}, replayed {self.replayed!r}"


def tickets_to_replay() -> list[int]:
    ids = set(db.session.scalars(select(TaskSla.ticket_id).distinct()))
    ids |= set(db.session.scalars(select(Ticket.id).where(Ticket.assignment_group_id.is_not(None))))
    assigned = select(TicketEvent.ticket_id).where(TicketEvent.type == "assigned")
    ids |= set(db.session.scalars(assigned.distinct()))
    return sorted(ids)


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def _is_older(explanation: Any) -> bool:
    """An explanation stored before its lines were messages (plain lines, or text and
    instants): it matches a replay that reads the same in English on the calendar's wall
    clock."""
    return bool(explanation) and not all(is_stored(line) for line in explanation)


def replay(ticket_ids: Iterable[int] | None = None) -> list[Difference]:
    """Every difference between stored records and a replay of the event log (read only)."""
    ids = sorted(set(ticket_ids)) if ticket_ids is not None else tickets_to_replay()
    differences: list[Difference] = []
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        loaded = load_batch(batch)
        numbers = dict(
            db.session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(batch))).all()
        )
        names = dict(db.session.execute(select(SlaPolicy.id, SlaPolicy.name)).all())
        for ticket_id in batch:
            if ticket_id not in loaded.facts:
                continue
            candidates = candidate_policies(loaded, ticket_id)
            active = {p.id for p in candidates}
            zones = {p.id: business_calendar(p.calendar).tz for p in candidates}
            stored = {
                k: r for k, r in loaded.records.items() if k[0] == ticket_id and k[1] in active
            }
            last_event = as_of_for(loaded, ticket_id, None)
            as_of = max((r.computed_as_of for r in stored.values()), default=last_event)
            expected = expected_records(loaded, ticket_id, as_of)
            number = numbers.get(ticket_id, str(ticket_id))

            def add(key: tuple[int, int, int], field: str, old: Any, new: Any) -> None:
                differences.append(
                    Difference(number, names.get(key[1], str(key[1])), key[2], field, old, new)  # noqa: B023
                )

            if stored and last_event > as_of:
                key = next(iter(stored))
                add(
                    key,
                    "computed_as_of",
                    as_of.isoformat(),
                    f"events until {last_event.isoformat()}",
                )
            for key in sorted(set(stored) | set(expected)):
                record, values = stored.get(key), expected.get(key)
                if record is None:
                    add(key, "record", None, "missing")
                elif values is None:
                    add(key, "record", "present", None)
                else:
                    zone = zones[key[1]]
                    for name in COMPARED:
                        old, new = _value(getattr(record, name)), _value(values[name])
                        if name == "explanation" and _is_older(old):
                            old = [line_text(line, zone) for line in old]
                            new = [line_text(line, zone) for line in new]
                        if old != new:
                            add(key, name, old, new)
    return differences

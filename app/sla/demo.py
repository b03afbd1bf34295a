"""Load the demo business calendars and SLA policies from ``demo/sla.json``, idempotently.

Calendars are matched by name and policies by queue and name: what exists is left alone. When
something was added, the task SLA records of every ticket are recomputed, so the demo's
incidents have their clocks, and the warnings and breaches of their 60 days of history are
recorded as already notified (as a desk would when it starts measuring), whatever demo
tickets the same transaction loads before or after: the first tick announces and escalates only
what crosses from now on. Goes through ``app.sla.definitions``, the
checks the forms use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.auth.models import Group
from app.extensions import db
from app.sla import definitions, hooks
from app.sla.models import SlaCalendar, SlaPolicy
from app.sla.services import refresh_all
from app.timeutils import utc_now


@dataclass
class SlaDemoReport:
    calendars_added: int = 0
    policies_added: int = 0
    records: int = 0


class _Form(dict):
    def getlist(self, key: str) -> list[str]:
        value = self.get(key) or []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def load_sla(data: dict[str, Any]) -> SlaDemoReport:
    """Create the demo calendars and policies that do not exist yet (flushes only).

    :raise app.errors.Invalid: the file holds a calendar or policy the forms would refuse.
    """
    report = SlaDemoReport()
    calendars = {c.name: c for c in db.session.scalars(select(SlaCalendar))}
    for item in data.get("calendars", []):
        if item["name"] in calendars:
            continue
        values = {
            "name": item["name"],
            "zone": item["zone"],
            "country": item.get("country"),
            "subdivision": item.get("subdivision"),
            "closed_dates": "\n".join(item.get("closed_dates", [])),
            **item["week"],
        }
        calendars[item["name"]] = definitions.save_calendar(None, values, actor=None)
        report.calendars_added += 1
    groups = {g.name: g for g in db.session.scalars(select(Group)).unique()}
    existing = {(p.group_id, p.name) for p in db.session.scalars(select(SlaPolicy)).unique()}
    for item in data.get("policies", []):
        group = groups.get(item["queue"])
        calendar = calendars.get(item["calendar"])
        if group is None or calendar is None or (group.id, item["name"]) in existing:
            continue
        escalation_queue = groups.get(item.get("escalation_queue") or "")
        form = _Form(
            name=item["name"],
            kind=item["kind"],
            scope=item.get("scope", "group"),
            ticket_kind=item.get("ticket_kind") or "",
            calendar=str(calendar.id),
            pause_reasons=item.get("pause_reasons", []),
            start_priorities=item.get("start_priorities", []),
            retroactive_start="on" if item.get("retroactive_start") else "",
            warnings=", ".join(str(w) for w in item.get("warnings", [50, 75])),
            escalation=item.get("escalation", "none"),
            escalation_group=str(escalation_queue.id) if escalation_queue else "",
            is_active="on",
            **{f"target-{p}": str(m) for p, m in item["targets"].items()},
        )
        definitions.save_policy(None, form, group=group, actor=None, refresh=False)
        existing.add((group.id, item["name"]))
        report.policies_added += 1
    now = utc_now()
    if report.calendars_added or report.policies_added:
        report.records = refresh_all(now=now)
    hooks.settle_on_commit(now)  # demo tickets loaded in this transaction, before or after
    return report

"""Load the demo business calendars and SLA policies from ``demo/sla.json``, idempotently.

Calendars are matched by name and policies by queue and name: what exists is left alone. When
something was added, the task SLA records of every ticket are recomputed, so the demo's
incidents have their clocks, and the warnings and breaches of their 60 days of history are
recorded as already notified (as a desk would when it starts measuring), whatever demo
tickets the same transaction loads before or after: the first tick announces and escalates only
what crosses from now on. Goes through the editors' forms
(``app.sla.forms``) and ``app.sla.definitions``: the checks an administrator's input gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.auth.models import Group
from app.errors import Invalid
from app.extensions import db
from app.sla import hooks
from app.sla.definitions import save_calendar, save_policy
from app.sla.forms import CalendarForm, PolicyForm, errors_by_name
from app.sla.models import SlaCalendar, SlaPolicy
from app.sla.services import refresh_all
from app.tickets.matrix import load_matrix
from app.timeutils import utc_now

Editor = TypeVar("Editor", bound=FlaskForm)


@dataclass
class SlaDemoReport:
    calendars_added: int = 0
    policies_added: int = 0
    records: int = 0


def _read(form: Editor) -> Editor:
    """``form`` checked like a submitted editor (without CSRF).

    :raise Invalid: a field the editor would refuse.
    """
    if not form.validate():
        raise Invalid(errors_by_name(form))
    return form


def _posted(values: dict[str, Any]) -> MultiDict:
    return MultiDict({k: v if isinstance(v, list) else str(v) for k, v in values.items()})


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
            "country": item.get("country") or "",
            "subdivision": item.get("subdivision") or "",
            "closed_dates": "\n".join(item.get("closed_dates", [])),
            **({"include_eves": "y"} if item.get("include_eves") else {}),
            **item["week"],
        }
        form = _read(CalendarForm(formdata=_posted(values), meta={"csrf": False}))
        calendars[item["name"]] = save_calendar(None, form.values(), actor=None)
        report.calendars_added += 1
    groups = {g.name: g for g in db.session.scalars(select(Group)).unique()}
    existing = {(p.group_id, p.name) for p in db.session.scalars(select(SlaPolicy)).unique()}
    levels = load_matrix().levels
    for item in data.get("policies", []):
        group = groups.get(item["queue"])
        calendar = calendars.get(item["calendar"])
        if group is None or calendar is None or (group.id, item["name"]) in existing:
            continue
        escalation_queue = groups.get(item.get("escalation_queue") or "")
        values = dict(
            name=item["name"],
            kind=item["kind"],
            scope=item.get("scope", "group"),
            ticket_kind=item.get("ticket_kind") or "",
            calendar=calendar.id,
            pause_reasons=item.get("pause_reasons", []),
            start_priorities=[str(p) for p in item.get("start_priorities", [])],
            retroactive_start="on" if item.get("retroactive_start") else "",
            warnings=", ".join(str(w) for w in item.get("warnings", [50, 75])),
            escalation=item.get("escalation", "none"),
            escalation_group=escalation_queue.id if escalation_queue else "",
            is_active="on",
            **{f"target-{p}": m for p, m in item["targets"].items()},
        )
        form = PolicyForm.for_levels(levels, formdata=_posted(values), meta={"csrf": False})
        save_policy(None, _read(form).values(), group=group, actor=None, refresh=False)
        existing.add((group.id, item["name"]))
        report.policies_added += 1
    now = utc_now()
    if report.calendars_added or report.policies_added:
        report.records = refresh_all(now=now)
    hooks.settle_on_commit(now)  # demo tickets loaded in this transaction, before or after
    return report

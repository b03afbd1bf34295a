"""Incidents from a sheet, opened through :func:`app.incidents.services.open_incident` (and
assigned through ``assign_incident``) as an agent's form does, so numbering, priority from the
matrix, routing, CI links, the journal and the SLA clocks are the desk's own.

Each row opens a new incident, opened at the row's date (or now) by the person importing, as a
load of history: nobody is notified, and SLA clocks are settled as of the import. The
number the incident had in the old tool, when given, is kept as its external id
(``ExternalRef`` system ``sheet``, kind ``incident``): a row whose number was imported before
is left unchanged, so importing the same file twice opens nothing twice.
"""

from __future__ import annotations

from typing import Any

from app.auth.models import Group, User
from app.errors import Invalid
from app.extensions import db
from app.i18n import N_
from app.i18n.stored import stored
from app.imports import refs
from app.imports.models import ImportRun
from app.imports.sheets.checking import Check, Directory, MappedRow, Plan, Status
from app.imports.sheets.fields import parse_datetime, parse_level, split_list
from app.incidents import cis
from app.incidents import services as incident_services
from app.sla.hooks import settle_on_commit
from app.tickets.matrix import load_matrix
from app.tickets.models import Channel
from app.timeutils import utc_now

SYSTEM, KIND = "sheet", "incident"
TEXTS = ("category", "subcategory", "service")


class Incidents:
    """Checks and writes a sheet of incidents."""

    def __init__(self, check: Check) -> None:
        self.check = check
        self.directory = Directory()
        self.matrix = load_matrix()
        self.now = utc_now()
        self.seen: dict[str, int] = {}  # number → line
        self.members: dict[int, set[int]] = {}

    def plan(self, rows: list[MappedRow]) -> list[Plan]:
        known = refs.known(SYSTEM, KIND, [r.get("number") for r in rows if r.has("number")])
        return [p for p in (self._plan(row, known) for row in rows) if p is not None]

    def _plan(self, row: MappedRow, known: dict[str, Any]) -> Plan | None:
        check, line = self.check, row.line
        number = check.text(row, "number") or ""
        if number and number in self.seen:
            check.again(
                line,
                "number",
                N_("The number “%(value)s” is already on line %(line)s."),
                number,
                self.seen[number],
            )
        elif number:
            self.seen[number] = line
        title = check.text(row, "title")
        if not title and not row.has("title"):
            check.error(line, "title", stored(N_("An incident needs a title.")))
        description = check.text(row, "description", incident_services.MAX_TEXT) or ""
        caller = check.parse(row, "caller", self.directory.person)
        if not row.has("caller"):
            check.error(
                line, "caller", stored(N_("Name the caller: a username, email or full name."))
            )
        opened_at = check.parse(row, "opened_at", parse_datetime)
        if opened_at is not None and opened_at > self.now:
            check.error(line, "opened_at", stored(N_("This date is in the future.")))
        impact = check.parse(
            row, "impact", lambda t: parse_level(t, self.matrix.impacts, N_("impact"))
        )
        urgency = check.parse(
            row, "urgency", lambda t: parse_level(t, self.matrix.urgencies, N_("urgency"))
        )
        texts = {k: check.text(row, k) for k in TEXTS}
        group = self._group(row)
        assignee = self._assignee(row, group)
        ci_ids = self._cis(row)
        if line in check.bad_lines:
            return None
        impact, urgency = impact or max(self.matrix.impacts), urgency or max(self.matrix.urgencies)
        data = {
            "number": number,
            "caller": caller,
            "title": title,
            "description": description,
            "opened_at": opened_at,
            "impact": impact,
            "urgency": urgency,
            "texts": texts,
            "group": group,
            "assignee": assignee,
            "ci_ids": ci_ids,
        }
        priority = self.matrix.priority(impact, urgency)
        shown = {
            "number": number,
            "title": title or "",
            "description": description[:80],
            "caller": self.directory.names.get(caller or 0, ""),
            "opened_at": (opened_at or self.now).strftime("%Y-%m-%d %H:%M UTC"),
            "impact": f"{impact} ({self.matrix.impacts[impact]})",
            "urgency": f"{urgency} ({self.matrix.urgencies[urgency]})",
            "priority": self.matrix.label(priority),
            **{k: v or "" for k, v in texts.items()},
            "assignment_group": group.name if group else "(by the routing rules)",
            "assigned_to": self.directory.names.get(assignee or 0, ""),
            "cis": ", ".join(split_list(row.get("cis"))),
        }
        status: Status = "unchanged" if number in known else "new"
        return Plan(line, status, shown, data)

    def _group(self, row: MappedRow) -> Group | None:
        group = self.check.parse(row, "assignment_group", self.directory.group)
        if group is not None and not group.is_assignment_group:
            self.check.error(
                row.line,
                "assignment_group",
                stored(N_("%(group)s is not an assignment group."), group=group.name),
            )
            return None
        return group

    def _assignee(self, row: MappedRow, group: Group | None) -> int | None:
        assignee = self.check.parse(row, "assigned_to", self.directory.person)
        if assignee is None:
            return None
        if group is None:
            if not row.has("assignment_group"):
                self.check.error(
                    row.line,
                    "assigned_to",
                    stored(N_("Give the assignment group of the person assigned.")),
                )
            return None
        if group.id not in self.members:
            self.members[group.id] = {m.id for m in group.members}
        if assignee not in self.members[group.id]:
            name = self.directory.names[assignee]
            self.check.error(
                row.line,
                "assigned_to",
                stored(N_("%(name)s is not a member of %(group)s."), name=name, group=group.name),
            )
            return None
        return assignee

    def _cis(self, row: MappedRow) -> list[int]:
        names = split_list(row.get("cis"))
        try:
            return cis.ids_named(names)
        except Invalid as invalid:
            for messages in invalid.field_errors.values():
                for message in messages if isinstance(messages, list) else [messages]:
                    self.check.error(row.line, "cis", message)
            return []

    def apply(self, plans: list[Plan], actor: User, run: ImportRun | None) -> None:
        """Open the planned incidents as a load of history: nobody is notified (no mail, no
        webhook, no survey) and their SLA clocks are settled as of now, past breaches counted
        as already told (:func:`app.sla.hooks.settle_on_commit`)."""
        settle_on_commit(self.now)
        people = self.directory.people(
            sorted({p.data[k] for p in plans for k in ("caller", "assignee") if p.data[k]})
        )
        for plan in plans:
            if plan.status != "new":
                continue
            data = plan.data
            incident = incident_services.open_incident(
                caller=people[data["caller"]],
                opened_by=actor,
                channel=Channel.AGENT,
                short_description=data["title"],
                description=data["description"],
                impact=data["impact"],
                urgency=data["urgency"],
                category=data["texts"]["category"],
                subcategory=data["texts"]["subcategory"],
                affected_service=data["texts"]["service"],
                ci_ids=data["ci_ids"],
                assignment_group=data["group"],
                now=data["opened_at"],
            )
            if data["assignee"] is not None:
                incident_services.assign_incident(
                    incident,
                    group=data["group"],
                    assignee=people[data["assignee"]],
                    actor=actor,
                    now=data["opened_at"],
                )
            if data["number"]:
                refs.remember(
                    SYSTEM,
                    KIND,
                    data["number"],
                    object_type="incident",
                    object_id=incident.id,
                    fingerprint=refs.fingerprint(plan.shown),
                    run=run,
                )
        db.session.flush()

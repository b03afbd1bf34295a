"""Alert intake: normalized alerts in, deduplicated, damped, matched to CIs, grouped by the
CMDB and turned into the few incidents that matter (docs/alerts.md).

One call of :func:`intake` handles one request's batch in the caller's transaction (it
flushes, never commits):

* **Deduplication**: an alert is its source and fingerprint. The same alert again, in the
  same state, only moves ``last_seen_at``: posting a payload twice adds nothing.
* **Flap damping**: a change of state (firing ↔ resolved) within the source's damping window
  of the previous change counts a flap and is damped: no work note, no automatic resolution.
* **Grouping** (:mod:`app.alerts.grouping`): the firing alerts in the window (and those still
  on an open incident) are grouped by the CMDB; each root CI has one *open group* row with
  its incident. The row's ``open_key`` is unique, so two requests for one root at the same
  moment open one incident: the second waits on the first's insert, then joins its group. An
  incident opened earlier for a CI that is now a child (its root started alerting later)
  becomes a child incident of the root's incident when it opened no more than the source's
  *group wait* before the root's (:func:`app.alerts.grouping.adoptions`); on PostgreSQL an
  advisory lock makes requests group one at a time, so a root and a dependant arriving
  together still end up parent and child.
* **New incidents** take their impact from the impact engine (the root CI's failure) and
  their urgency from the worst severity; the matrix suggests the priority, and a work note
  says why. Each request adds at most one work note per incident, listing what arrived.
* **Resolution**: a resolved alert adds a note; when every alert of an incident is resolved
  and the source says so, the incident resolves itself (its open children with it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.exc import IntegrityError

from app.alerts.grouping import Grouping, adoptions, group_alerting
from app.alerts.matching import match_cis
from app.alerts.models import Alert, AlertGroup, AlertSource, AlertStatus
from app.alerts.parsing import SEVERITIES, URGENCY, NormalizedAlert, Payload
from app.auth.models import User
from app.cmdb.analysis import impact_of_cis, offer_impact
from app.cmdb.graph.vocabulary import CiId
from app.cmdb.models import ConfigurationItem
from app.cmdb.settings import impact_options
from app.db import is_postgresql
from app.errors import Invalid
from app.extensions import db
from app.i18n import N_
from app.i18n.stored import lines as note_lines
from app.i18n.stored import stored
from app.incidents import services as incidents
from app.incidents.models import Incident
from app.incidents.workflow import OPEN_STATES, State, Transition
from app.tickets.models import Channel
from app.timeutils import utc_now

CHUNK = 500
NOTE_LINES = 20
"""Alerts a work note lists by name; the rest are counted."""
RESOLUTION_CODE = "solved_permanently"
OPEN = [s.value for s in OPEN_STATES]
GROUPING_LOCK = 0x616C_6572  # the advisory lock of alert grouping on PostgreSQL ("aler")


@dataclass
class IntakeReport:
    """What one intake did, for the sender (the API answers it)."""

    source: str
    received: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    damped: int = 0
    unmatched: int = 0
    opened: list[str] = field(default_factory=list)
    attached: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "received": self.received,
            "created": self.created,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "damped": self.damped,
            "unmatched": self.unmatched,
            "incidents_opened": self.opened,
            "incidents_updated": self.attached,
            "incidents_resolved": self.resolved,
        }


@dataclass
class _Batch:
    """The state of one intake: notes to write and incidents to look at, by incident id."""

    source: AlertSource
    actor: User
    now: datetime
    report: IntakeReport
    # Lines of the work notes, as stored messages (app.i18n.stored).
    notes: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    cleared: set[int] = field(default_factory=set)
    names: dict[int, str] = field(default_factory=dict)  # CI names, for the notes

    def line(self, row: Alert) -> dict[str, Any]:
        no_ci = stored(N_("no CI"))
        where = self.names.get(row.ci_id, no_ci) if row.ci_id is not None else no_ci
        msg = N_("%(where)s: %(summary)s (%(severity)s)")
        return stored(msg, where=where, summary=row.summary, severity=row.severity)


def source_named(name: str) -> AlertSource:
    """The source of this name, made with the defaults on its first alert (two first alerts
    at once make one row: the second waits on the unique name, then reads the first's)."""
    found = db.session.scalar(select(AlertSource).where(AlertSource.name == name))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            found = AlertSource(name=name)
            db.session.add(found)
    except IntegrityError:
        found = db.session.scalar(select(AlertSource).where(AlertSource.name == name))
        assert found is not None
    return found


def intake(payload: Payload, *, actor: User, now: datetime | None = None) -> IntakeReport:
    """Take a batch of alerts (see the module docstring); the caller commits."""
    now = now or utc_now()
    source = source_named(payload.source)
    batch = _Batch(source, actor, now, IntakeReport(source.name, received=len(payload.alerts)))
    latest = {a.fingerprint: a for a in payload.alerts}  # one state per alert: the last sent
    alerts = list(latest.values())
    existing = _existing(source, list(latest))
    open_incidents = _open_incident_ids(a.incident_id for a in existing.values())
    ci_ids = match_cis(alerts, source.ci_label)
    known = {a.ci_id for a in existing.values()} | set(ci_ids)
    batch.names = _names([i for i in known if i is not None])
    to_group: list[Alert] = []
    for normalized, ci_id in zip(alerts, ci_ids, strict=True):
        row = existing.get(normalized.fingerprint)
        if row is None:
            row = _new_alert(source, normalized, ci_id, now)
            batch.report.created += 1
            if row.status == AlertStatus.FIRING:
                to_group.append(row)
        elif _update(batch, row, normalized, ci_id, row.incident_id in open_incidents):
            to_group.append(row)
        batch.report.unmatched += row.ci_id is None
    db.session.flush()
    if to_group:
        _group(batch, to_group)
    _write_notes(batch)
    _resolve_cleared(batch)
    db.session.flush()
    return batch.report


def _existing(source: AlertSource, fingerprints: list[str]) -> dict[str, Alert]:
    found: dict[str, Alert] = {}
    for start in range(0, len(fingerprints), CHUNK):
        chunk = fingerprints[start : start + CHUNK]
        found.update(
            (a.fingerprint, a)
            for a in db.session.scalars(
                select(Alert).where(Alert.source_id == source.id, Alert.fingerprint.in_(chunk))
            )
        )
    return found


def _names(ci_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(ci_ids), CHUNK):
        chunk = ci_ids[start : start + CHUNK]
        found.update(
            db.session.execute(
                select(ConfigurationItem.id, ConfigurationItem.name).where(
                    ConfigurationItem.id.in_(chunk)
                )
            ).all()
        )
    return found


def _open_incident_ids(ids: Iterable[int | None]) -> set[int]:
    wanted = sorted({i for i in ids if i is not None})
    found: set[int] = set()
    for start in range(0, len(wanted), CHUNK):
        found.update(
            db.session.scalars(
                select(Incident.id).where(
                    Incident.id.in_(wanted[start : start + CHUNK]), Incident.state.in_(OPEN)
                )
            )
        )
    return found


def _new_alert(
    source: AlertSource, normalized: NormalizedAlert, ci_id: int | None, now: datetime
) -> Alert:
    row = Alert(
        source_id=source.id,
        fingerprint=normalized.fingerprint,
        status=AlertStatus(normalized.status),
        severity=normalized.severity,
        summary=normalized.summary,
        labels=dict(normalized.labels),
        ci_id=ci_id,
        starts_at=normalized.starts_at,
        ends_at=normalized.ends_at,
        first_seen_at=now,
        last_seen_at=now,
        changed_at=now,
        flap_count=0,
        received_count=1,
    )
    db.session.add(row)
    return row


def _update(
    batch: _Batch, row: Alert, normalized: NormalizedAlert, ci_id: int | None, on_open: bool
) -> bool:
    """Apply a known alert's new state; True when it must be grouped (firing, on no open
    incident)."""
    row.last_seen_at = batch.now
    row.received_count += 1
    row.severity, row.summary = normalized.severity, normalized.summary
    if dict(row.labels or {}) != dict(normalized.labels):
        row.labels = dict(normalized.labels)
    row.ci_id = ci_id if ci_id is not None else row.ci_id
    row.ends_at = normalized.ends_at
    status = AlertStatus(normalized.status)
    firing = status == AlertStatus.FIRING
    if status == row.status:
        batch.report.unchanged += 1
        return firing and not on_open
    batch.report.changed += 1
    damped = batch.now - row.changed_at < timedelta(seconds=batch.source.damping_seconds)
    row.flap_count = row.flap_count + 1 if damped else 0
    row.status, row.changed_at = status, batch.now
    batch.report.damped += damped
    if firing:
        row.starts_at = normalized.starts_at or row.starts_at
        if not on_open:
            return True
        if not damped and row.incident_id is not None:
            batch.notes[row.incident_id].append(
                stored(N_("Firing again: %(alert)s"), alert=batch.line(row))
            )
    elif row.incident_id is not None and on_open and not damped:
        batch.notes[row.incident_id].append(
            stored(N_("Resolved: %(alert)s"), alert=batch.line(row))
        )
        batch.cleared.add(row.incident_id)
    return False


def _group(batch: _Batch, to_group: list[Alert]) -> None:
    """Put firing alerts on their root's incident, opening what is missing."""
    matched = [a for a in to_group if a.ci_id is not None]
    if matched:
        _one_grouping_at_a_time()
    grouping = _grouping(batch) if matched else Grouping((), {}, {})
    by_root: dict[int, list[Alert]] = defaultdict(list)
    for alert in matched:
        assert alert.ci_id is not None
        by_root[int(grouping.root_of.get(alert.ci_id, alert.ci_id))].append(alert)
    groups = _open_groups([f"ci:{root}" for root in by_root])
    for root, alerts in sorted(by_root.items()):
        group = groups.get(f"ci:{root}") or _open_group(batch, f"ci:{root}", root, alerts)
        _attach(batch, group, alerts)
    for alert in to_group:
        if alert.ci_id is None:
            key = f"alert:{alert.id}"
            group = _open_groups([key]).get(key) or _open_group(batch, key, None, [alert])
            _attach(batch, group, [alert])
    if matched:
        _adopt_children(batch, grouping)


def _one_grouping_at_a_time() -> None:
    """On PostgreSQL, intakes group one at a time: a transaction-scoped advisory lock, held
    until the commit. A root's request that runs while a dependant's is still uncommitted waits
    for it, then reads its alert and incident and adopts it; without the lock each would miss
    the other and both incidents would stay apart. The lock is taken after this request's own
    alert rows are written, so the holder never waits on a waiter. SQLite serialises writers
    with its database lock already."""
    if is_postgresql(db.session):
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": GROUPING_LOCK})


def _grouping(batch: _Batch) -> Grouping:
    """The grouping of the CIs alerting now: firing alerts seen within the source's window,
    or still on an open group, of any source (topology knows no sources)."""
    cutoff = batch.now - timedelta(seconds=batch.source.group_window_seconds)
    still_open = select(AlertGroup.id).where(AlertGroup.open_key.is_not(None))
    alerting = db.session.scalars(
        select(Alert.ci_id)
        .where(
            Alert.status == AlertStatus.FIRING,
            Alert.ci_id.is_not(None),
            or_(Alert.last_seen_at >= cutoff, Alert.group_id.in_(still_open)),
        )
        .distinct()
    ).all()
    ids = sorted(i for i in alerting if i is not None)
    from app.cmdb.cache import current_graph  # here: it imports numpy (issue 20)

    return group_alerting(current_graph().index, ids, impact_options())


def _open_groups(keys: Sequence[str]) -> dict[str, AlertGroup]:
    """The open groups of these keys whose incident is still open; groups whose incident was
    resolved, closed or canceled meanwhile are closed here."""
    found: dict[str, AlertGroup] = {}
    for start in range(0, len(keys), CHUNK):
        rows = db.session.execute(
            select(AlertGroup, Incident.state)
            .outerjoin(Incident, Incident.id == AlertGroup.incident_id)
            .where(AlertGroup.open_key.in_(keys[start : start + CHUNK]))
        ).all()
        for group, state in rows:
            if state is not None and State(state) in OPEN_STATES and group.open_key:
                found[group.open_key] = group
            else:
                group.open_key, group.closed_at = None, utc_now()
    db.session.flush()
    return found


def _open_group(batch: _Batch, key: str, root_ci_id: int | None, alerts: list[Alert]) -> AlertGroup:
    """The open group of ``key``: a new one with its incident, or, when another transaction
    opened it first (it waited on the unique key until that one committed), that one."""
    try:
        with db.session.begin_nested():
            group = AlertGroup(open_key=key, root_ci_id=root_ci_id, opened_at=batch.now)
            db.session.add(group)
    except IntegrityError:
        other = db.session.scalar(select(AlertGroup).where(AlertGroup.open_key == key))
        if other is None:  # pragma: no cover - the other transaction rolled back meanwhile
            return _open_group(batch, key, root_ci_id, alerts)
        return other
    incident, why = _open_incident(batch, root_ci_id, alerts)
    group.incident_id = incident.id
    batch.report.opened.append(incident.number)
    batch.notes[incident.id].append(why)
    return group


def _open_incident(
    batch: _Batch, root_ci_id: int | None, alerts: list[Alert]
) -> tuple[Incident, dict[str, Any]]:
    """An incident for a root, with impact from the CMDB and urgency from the worst
    severity; and the note that explains the suggested priority."""
    worst = min((a.severity for a in alerts), key=SEVERITIES.index)
    urgency = URGENCY[worst]
    on_root = [a for a in alerts if a.ci_id == root_ci_id] or alerts
    root = db.session.get(ConfigurationItem, root_ci_id) if root_ci_id is not None else None
    result = impact_of_cis([root_ci_id]) if root_ci_id is not None else None
    offered = offer_impact(result)
    impact = offered or 3
    title = f"{root.name}: {on_root[0].summary}" if root is not None else on_root[0].summary
    incident = incidents.open_incident(
        caller=batch.actor,
        opened_by=batch.actor,
        short_description=title[:200],
        description=(
            f"Opened from monitoring ({batch.source.name}). "
            + (
                f"{root.name} is the most upstream alerting CI: alerts on CIs that depend on "
                "it are attached to this incident."
                if root is not None
                else "The alert names no CI of the CMDB."
            )
        ),
        channel=Channel.API,
        impact=impact,
        urgency=urgency,
        ci_ids=[root_ci_id] if root_ci_id is not None else [],
        now=batch.now,
    )
    if result is not None and offered is not None:
        brief = result.brief_services()
        down = sum(1 for s in brief if s.state.value == "down")
        reason = stored(
            N_(
                "impact %(impact)s from the CMDB (%(count)s service(s) affected, %(down)s down,"
                " %(people)s people affected)"
            ),
            impact=impact,
            count=len(brief),
            down=down,
            people=result.people.affected,
        )
    else:
        reason = stored(N_("impact %(impact)s (the CMDB suggests none)"), impact=impact)
    why = stored(
        N_("Priority %(priority)s suggested: %(reason)s, urgency %(urgency)s from %(worst)s."),
        priority=incident.priority,
        reason=reason,
        urgency=urgency,
        worst=worst,
    )
    return incident, why


def _attach(batch: _Batch, group: AlertGroup, alerts: list[Alert]) -> None:
    for alert in alerts:
        alert.group_id, alert.incident_id = group.id, group.incident_id
    if group.incident_id is None:  # pragma: no cover - groups are opened with their incident
        return
    batch.notes[group.incident_id].extend(
        stored(N_("Alert: %(alert)s"), alert=batch.line(a)) for a in alerts
    )


def _adopt_children(batch: _Batch, grouping: Grouping) -> None:
    """Group wait: the open incidents of CIs that now have an alerting root, opened no more
    than the source's group wait before the root's incident, become its children
    (:func:`app.alerts.grouping.adoptions` decides); a work note on each says why."""
    children = sorted(c for c, root in grouping.root_of.items() if c != root)
    if not children:
        return
    wanted = sorted({*children, *(grouping.root_of[c] for c in children)})
    groups = _open_groups([f"ci:{c}" for c in wanted])
    by_ci: dict[CiId, AlertGroup] = {
        g.root_ci_id: g for g in groups.values() if g.root_ci_id is not None
    }
    wait = batch.source.group_wait_seconds
    opened_at = {ci: group.opened_at for ci, group in by_ci.items()}
    for child_ci, root_ci in adoptions(grouping, opened_at, timedelta(seconds=wait)):
        child, mother = by_ci[child_ci].incident, by_ci[root_ci].incident
        if child is None or mother is None or child.parent_id is not None:
            continue
        try:
            with db.session.begin_nested():
                incidents.set_parent(child, mother, actor=batch.actor)
        except Invalid:  # a person linked them the other way round meanwhile: theirs stands
            continue
        name, root = _ci_name(by_ci[child_ci]), _ci_name(by_ci[root_ci])
        batch.notes[mother.id].append(
            stored(
                N_("Child incident %(number)s: %(name)s depends on %(root)s."),
                number=child.number,
                name=name,
                root=root,
            )
        )
        batch.notes[child.id].append(
            stored(
                N_(
                    "Adopted by %(number)s: %(name)s depends on %(root)s, which started alerting"
                    " at most %(wait)s s after this incident opened (the group wait of"
                    " %(source)s)."
                ),
                number=mother.number,
                name=name,
                root=root,
                wait=wait,
                source=batch.source.name,
            )
        )


def _ci_name(group: AlertGroup) -> str:
    return group.root_ci.name if group.root_ci is not None else f"CI {group.root_ci_id}"


def _write_notes(batch: _Batch) -> None:
    """One work note per incident for this request's news."""
    if not batch.notes:
        return
    touched = {i.id: i for i in db.session.scalars(
        select(Incident).where(Incident.id.in_(list(batch.notes)))
    )}  # fmt: skip
    opened = set(batch.report.opened)
    for incident_id, lines in sorted(batch.notes.items()):
        incident = touched.get(incident_id)
        if incident is None or not lines:
            continue
        if incident.number not in opened:
            batch.report.attached.append(incident.number)
        shown = lines[:NOTE_LINES]
        more = len(lines) - len(shown)
        more_line = stored(N_("… and %(more)s more alert(s)."), more=more)
        body = note_lines(shown + ([more_line] if more > 0 else []))
        incidents.comment(incident, author=batch.actor, body=body, public=False, now=batch.now)


def _resolve_cleared(batch: _Batch) -> None:
    """Resolve the incidents whose every alert is resolved, when the source says so."""
    if not batch.source.auto_resolve or not batch.cleared:
        return
    still_firing = set(
        db.session.scalars(
            select(Alert.incident_id)
            .where(Alert.incident_id.in_(sorted(batch.cleared)))
            .where(Alert.status == AlertStatus.FIRING)
            .group_by(Alert.incident_id)
            .having(func.count() > 0)
        )
    )
    for incident_id in sorted(batch.cleared - still_firing):
        incident = db.session.get(Incident, incident_id)
        if incident is None or not incident.is_open:
            continue
        incidents.change_state(
            incident,
            Transition(
                State.RESOLVED,
                resolution_code=RESOLUTION_CODE,
                resolution_notes=f"Every alert cleared ({batch.source.name} resolves "
                "its incidents automatically).",
            ),
            actor=batch.actor,
            now=batch.now,
        )
        batch.report.resolved.append(incident.number)

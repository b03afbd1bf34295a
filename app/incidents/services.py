"""Incident services: open, edit, assign, change state, comment, reopen and close incidents.

Every change writes its journal entry (field changes as ``{field: [old, new]}``) and its domain
event in the same transaction; services flush, and the caller commits. Rules raise ``Invalid``
(per field), ``Conflict`` (stale version) or ``Forbidden``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CompoundSelect, String, cast, literal, null, select, union_all

from app.auth.models import Group, Role, User
from app.errors import Invalid, check_version
from app.extensions import db
from app.i18n import N_
from app.i18n.stored import english, stored
from app.incidents import cis, correlation
from app.incidents import settings as incident_settings
from app.incidents.models import Incident, MajorState, RoutingRule
from app.incidents.workflow import (
    OPEN_STATES,
    RESOLUTION_CODES,
    State,
    Transition,
    transition_problems,
)
from app.settings_cache import cached
from app.tickets import services as tickets
from app.tickets.holds import HoldReason
from app.tickets.matrix import frozen, load_matrix, matrix_of, matrix_rows
from app.tickets.models import Channel, EntryKind, TicketKind
from app.tickets.priority import PriorityMatrix
from app.timeutils import utc_now

MAX_TEXT = 20_000
PROPOSED_PREFIX = "Proposed as a major incident: "  # the proposal's journal text, then the reason
PROPOSED = N_("Proposed as a major incident: %(reason)s")  # begins with PROPOSED_PREFIX
NO_CMDB_IMPACT = _l("The CMDB suggests no impact for these CIs.")
MATRIX_AND_RULES_KEY = "incidents_matrix_and_rules"  # in the settings cache
EDITABLE = ("short_description", "description", "category", "subcategory", "affected_service")


def _clean_field(field: str, value: str | None) -> str | None:
    """One of the ``EDITABLE`` texts, cleaned (the description is never None)."""
    limit = MAX_TEXT if field == "description" else 200
    new = tickets.checked_text(field, value, required=field == "short_description", limit=limit)
    return new or ("" if field == "description" else None)


def _is_staff(user: Any) -> bool:
    return user is not None and user.has_role(Role.AGENT)


def route(
    category: str | None,
    subcategory: str | None,
    service: str | None,
    ci_ids: Sequence[int],
    rules: Iterable[Any],
) -> int | None:
    """The id of the assignment group of a new incident: the first routing rule whose
    conditions all match (a rule's CI is one of ``ci_ids``); failing that, the support group
    of one of the incident's CIs (from the CMDB) when it is an assignment group; failing that,
    the first rule without conditions (the default). None when nothing applies. ``rules`` are
    the rules in their order as :func:`_matrix_and_rules` reads them: the columns they match
    on, without their group, its manager or their CI."""
    facts = {"category": category, "subcategory": subcategory, "affected_service": service}
    catch_all = None
    for rule in rules:
        conditions = {k: getattr(rule, k) for k in facts if getattr(rule, k)}
        if not conditions and not rule.ci_id:
            catch_all = catch_all or rule
            continue
        if any((facts[k] or "").lower() != v.lower() for k, v in conditions.items()):
            continue
        if rule.ci_id and rule.ci_id not in ci_ids:
            continue
        return rule.group_id
    group_id = correlation.support_group_id(list(ci_ids))
    if group_id is not None:
        return group_id
    return catch_all.group_id if catch_all else None


_RULE_COLUMNS = (
    RoutingRule.category,
    RoutingRule.subcategory,
    RoutingRule.affected_service,
    RoutingRule.ci_id,
    RoutingRule.group_id,
)


def _matrix_and_rules() -> tuple[PriorityMatrix, tuple[Any, ...]]:
    """The priority matrix and the routing rules (in their order): an incident opened without
    a group needs both. Cached at the desk settings' revision (:mod:`app.settings_cache`),
    else read in one statement."""
    return cached(MATRIX_AND_RULES_KEY, _read_matrix_and_rules)


def _read_matrix_and_rules() -> tuple[PriorityMatrix, tuple[Any, ...]]:
    matrix: list[Any] = []
    rules: list[Any] = []
    for row in db.session.execute(_matrix_and_rules_statement()):
        (rules if row.part == "rule" else matrix).append(row)
    rules.sort(key=lambda rule: (rule.position, rule.id))
    return frozen(matrix_of(matrix)), tuple(rules)


@cache
def _matrix_and_rules_statement() -> CompoundSelect[Any]:
    """A ``UNION ALL`` of the rules' rows (first, so their columns name the result's: the
    matrix's three named ``rule`` and empty) and the matrix's (:func:`matrix_rows`, the
    rules' columns empty), built once per process."""
    rule = select(
        literal("rule", String).label("part"),
        literal(None, String).label("key"),
        literal(None, String).label("label"),
        *_RULE_COLUMNS,
        RoutingRule.position,
        RoutingRule.id,
    )
    empty = [cast(null(), column.type) for column in rule.selected_columns[3:]]
    return union_all(rule, *(rows.add_columns(*empty) for rows in matrix_rows()))


def open_incident(
    *,
    caller: User,
    opened_by: User,
    short_description: str,
    description: str = "",
    channel: Channel = Channel.PORTAL,
    impact: int = 3,
    urgency: int = 3,
    category: str | None = None,
    subcategory: str | None = None,
    affected_service: str | None = None,
    ci_names: Iterable[str] = (),
    ci_ids: Iterable[int] = (),
    assignment_group: Group | None = None,
    now: datetime | None = None,
) -> Incident:
    """Open an incident; routing rules pick the group unless one is given. Its CIs are
    ``ci_ids`` and the CIs named ``ci_names`` (case-insensitively).

    :raise Invalid: a required text is missing or too long, impact or urgency is out of range,
        a name matches no CI.
    """
    now = now or utc_now()
    rules = None
    if assignment_group is None:
        matrix, rules = _matrix_and_rules()
    else:
        matrix = load_matrix()
    try:
        priority = matrix.priority(impact, urgency)
    except ValueError as error:
        field = "impact" if "impact" in str(error) else "urgency"
        raise Invalid({field: str(error)}) from None
    linked = sorted(set(ci_ids) | set(cis.ids_named(ci_names)))
    group_id = (
        assignment_group.id
        if assignment_group
        else route(category, subcategory, affected_service, linked, rules)
    )
    incident = Incident(
        kind=TicketKind.INCIDENT,
        number=tickets.next_number("INC"),
        short_description=tickets.checked_text(
            "short_description", short_description, required=True, limit=200
        ),
        description=tickets.checked_text(
            "description", description, required=False, limit=MAX_TEXT
        ),
        state=State.NEW,
        channel=channel,
        caller_id=caller.id,
        opened_by_id=opened_by.id,
        impact=impact,
        urgency=urgency,
        priority=priority,
        category=(category or None),
        subcategory=(subcategory or None),
        affected_service=(affected_service or None),
        assignment_group_id=group_id,
        opened_at=now,
    )
    db.session.add(incident)
    db.session.flush()
    cis.link(incident, linked)
    tickets.record_event(
        incident, "created", opened_by, at=now, priority=priority, channel=channel.value
    )
    if group_id is not None:
        tickets.record_event(
            incident, "assigned", opened_by, at=now, group_id=group_id, assignee_id=None
        )
    return incident


def _journal_changes(
    incident: Incident,
    actor: Any,
    changes: dict[str, list[Any]],
    body: str | Mapping[str, Any] = "",
    at: datetime | None = None,
) -> None:
    if changes:
        tickets.add_entry(incident, EntryKind.CHANGE, actor, body=body, changes=changes, at=at)


def update_incident(
    incident: Incident,
    *,
    actor: User,
    expected_version: Any = None,
    note: str | Mapping[str, Any] = "",
    **values: Any,
) -> dict[str, list[Any]]:
    """Edit descriptive fields and impact/urgency (the priority follows the matrix again).
    ``note`` goes on the timeline: people's words, or a stored message the desk words.

    :raise Conflict: the incident changed since ``expected_version`` was read.
    :raise Invalid: bad text, impact or urgency.
    """
    check_version(incident, expected_version, _("Incident %(number)s", number=incident.number))
    unknown = set(values) - set(EDITABLE) - {"impact", "urgency"}
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")
    changes: dict[str, list[Any]] = {}
    for field in EDITABLE:
        if field in values:
            new = _clean_field(field, values[field])
            if getattr(incident, field) != new:
                changes[field] = [getattr(incident, field), new]
                setattr(incident, field, new)
    impact = values.get("impact", incident.impact)
    urgency = values.get("urgency", incident.urgency)
    if (impact, urgency) != (incident.impact, incident.urgency):
        try:
            priority = load_matrix().priority(impact, urgency)
        except ValueError as error:
            raise Invalid({"impact" if "impact" in str(error) else "urgency": str(error)}) from None
        for field, new in (("impact", impact), ("urgency", urgency)):
            if getattr(incident, field) != new:
                changes[field] = [getattr(incident, field), new]
                setattr(incident, field, new)
        _set_priority(incident, priority, actor, reason=None, changes=changes)
    _journal_changes(incident, actor, changes, body=note)
    db.session.flush()
    return changes


def accept_cmdb_impact(incident: Incident, *, actor: User, expected_version: Any) -> dict[str, Any]:
    """Take the impact the CMDB computes for the incident's CIs; the journal says why (the
    services affected, those down, the people affected). Returns that note, a stored message
    (:mod:`app.i18n.stored`) the caller words in its reader's language.

    :raise Invalid: the CMDB suggests no impact for the incident's CIs.
    :raise Conflict: the incident changed since ``expected_version`` was read.
    """
    context = correlation.impact_context(cis.ci_ids_of(incident))
    offered = context["offered_impact"]
    if offered is None:
        raise Invalid({"impact": str(NO_CMDB_IMPACT)})
    impact = context["impact"]
    brief = impact.brief_services()
    down = [s.name for s in brief if s.state.value == "down"]
    names = ", ".join(down[:3])
    down_note: dict[str, Any] | str = ""
    if len(down) > 3:
        down_note = stored(
            N_(" (%(names)s and %(more)s more down)"), names=names, more=len(down) - 3
        )
    elif down:
        down_note = stored(N_(" (%(names)s down)"), names=names)
    why = stored(
        N_(
            "Impact %(impact)s from the CMDB: %(count)s service(s) affected%(down)s, %(people)s"
            " people affected."
        ),
        impact=offered,
        count=len(brief),
        down=down_note,
        people=impact.people.affected,
    )
    update_incident(
        incident, actor=actor, expected_version=expected_version, impact=offered, note=why
    )
    return why


def _set_priority(
    incident: Incident,
    priority: int,
    actor: Any,
    *,
    reason: str | None,
    changes: dict[str, list[Any]],
) -> None:
    if priority != incident.priority:
        changes["priority"] = [incident.priority, priority]
        tickets.record_event(
            incident,
            "priority_changed",
            actor,
            old=incident.priority,
            new=priority,
            overridden=reason is not None,
        )
        incident.priority = priority
    if incident.priority_override_reason != reason:
        incident.priority_override_reason = reason


def override_priority(
    incident: Incident, priority: int, *, reason: str, actor: User, expected_version: Any = None
) -> None:
    """Set a priority other than the matrix's, with a reason the timeline shows.

    :raise Invalid: no reason, or a priority level the matrix does not have.
    """
    check_version(incident, expected_version, _("Incident %(number)s", number=incident.number))
    matrix = load_matrix()
    if priority not in matrix.levels:
        raise Invalid(
            {
                "priority": _(
                    "Choose one of the levels %(levels)s.",
                    levels=", ".join(map(str, sorted(matrix.levels))),
                )
            }
        )
    reason = tickets.checked_text("reason", reason, required=True, limit=500)
    changes: dict[str, list[Any]] = {}
    _set_priority(incident, priority, actor, reason=reason, changes=changes)
    if changes:
        _journal_changes(
            incident,
            actor,
            changes,
            body=stored(N_("Priority overridden: %(reason)s"), reason=reason),
        )
    db.session.flush()


def assign_incident(
    incident: Incident,
    *,
    group: Group | None,
    assignee: User | None,
    actor: User,
    expected_version: Any = None,
    now: datetime | None = None,
) -> dict[str, list[Any]]:
    """Assign to a group and optionally a person in it; moving groups counts a reassignment.

    Giving a new incident to a person starts the work: it moves to In progress, unless an
    administrator turned that off (``incident_settings.assignment_starts_work``).

    :raise Invalid: the group is not an assignment group, or the person is not in it.
    """
    check_version(incident, expected_version, _("Incident %(number)s", number=incident.number))
    changes = tickets.assign(incident, group=group, assignee=assignee, actor=actor, now=now)
    if (
        "assignee" in changes
        and assignee is not None
        and incident.state == State.NEW
        and incident_settings.assignment_starts_work()
    ):
        change_state(incident, Transition(State.IN_PROGRESS), actor=actor, now=now)
    return changes


def assign_to_me(
    incident: Incident, *, actor: User, expected_version: Any = None, now: datetime | None = None
) -> dict[str, list[Any]]:
    """Take the incident: the actor becomes its assignee, in its group if they are a member of
    it, otherwise in their only assignment group.

    :raise Invalid: the actor is in no assignment group, or in several and not in the
        incident's (then they choose the group themselves).
    """
    check_version(incident, expected_version, _("Incident %(number)s", number=incident.number))
    group = incident.assignment_group
    if group is None or actor not in group.members:
        mine = [g for g in actor.groups if g.is_assignment_group]
        if not mine:
            raise Invalid(
                {"assignee": _("You are in no assignment group: ask an administrator to add you.")}
            )
        if len(mine) > 1:
            names = ", ".join(g.name for g in mine)
            message = (
                _(
                    "You are in several groups (%(names)s) and not in %(group)s: choose the "
                    "group and yourself in the form.",
                    names=names,
                    group=group.name,
                )
                if group
                else _(
                    "You are in several groups (%(names)s) and this incident has no group: "
                    "choose the group and yourself in the form.",
                    names=names,
                )
            )
            raise Invalid({"group": message})
        group = mine[0]
    return assign_incident(incident, group=group, assignee=actor, actor=actor, now=now)


@dataclass(frozen=True)
class PriorityChoice:
    """The priority asked for on the incident form: a level set by hand with a reason, or
    ``level=None`` to follow the matrix."""

    level: int | None
    reason: str = ""


def save_incident(
    incident: Incident,
    *,
    actor: User,
    expected_version: Any = None,
    values: dict[str, Any] | None = None,
    priority: PriorityChoice | None = None,
    assignment: tuple[Group | None, User | None] | None = None,
    transition: Transition | None = None,
    now: datetime | None = None,
) -> bool:
    """Save the incident form at once: descriptive fields and impact/urgency (``values``, as
    for :func:`update_incident`), the priority, a change of state, the assignment. Every part
    is checked before anything is written, so a refusal lists every problem and saves nothing.
    None leaves a part as it is.

    :raise Conflict: the incident changed since ``expected_version`` was read.
    :raise Invalid: every problem, per field.
    :return: whether anything changed.
    """
    check_version(incident, expected_version, _("Incident %(number)s", number=incident.number))
    values = values or {}
    if assignment is not None and tuple(getattr(x, "id", None) for x in assignment) == (
        incident.assignment_group_id,
        incident.assignee_id,
    ):
        assignment = None  # as it was: not checked again (a member may have left since)
    problems = _save_problems(incident, values, priority, assignment, transition)
    if problems:
        raise Invalid(problems, _("Nothing was saved: correct the fields marked below."))
    changed = bool(update_incident(incident, actor=actor, **values))
    if priority is not None:
        changed |= _choose_priority(incident, priority, actor)
    if transition is not None:
        change_state(incident, transition, actor=actor, now=now)
        changed = True
    if assignment is not None:
        group, assignee = assignment
        changed |= bool(
            assign_incident(incident, group=group, assignee=assignee, actor=actor, now=now)
        )
    return changed


def _save_problems(
    incident: Incident,
    values: dict[str, Any],
    priority: PriorityChoice | None,
    assignment: tuple[Group | None, User | None] | None,
    transition: Transition | None,
) -> dict[str, list[str]]:
    problems: dict[str, str] = {}
    for field in EDITABLE:
        if field in values:
            try:
                _clean_field(field, values[field])
            except Invalid as error:
                problems[field] = error.field_errors[field][0]
    matrix = load_matrix()
    try:
        matrix.priority(
            values.get("impact", incident.impact), values.get("urgency", incident.urgency)
        )
    except ValueError as error:
        problems["impact" if "impact" in str(error) else "urgency"] = str(error)
    if priority is not None and priority.level is not None:
        if priority.level not in matrix.levels:
            problems["priority"] = _(
                "Choose one of the levels %(levels)s.",
                levels=", ".join(map(str, sorted(matrix.levels))),
            )
        elif not priority.reason.strip():
            problems["priority_reason"] = _("Say why the matrix is wrong here.")
        elif len(priority.reason.strip()) > 500:
            problems["priority_reason"] = _("Keep it under %(limit)s characters.", limit=500)
    if transition is not None:
        if transition.resolution_code and transition.resolution_code not in RESOLUTION_CODES:
            problems["resolution_code"] = _("Choose a resolution code from the list.")
        problems |= transition_problems(State(incident.state), transition, _)
    if assignment is not None:
        problems |= tickets.assignment_problems(*assignment)
    return {field: [message] for field, message in problems.items()}


def _choose_priority(incident: Incident, choice: PriorityChoice, actor: User) -> bool:
    """Set the priority by hand, or let the matrix decide again; returns whether it changed."""
    if choice.level is None:
        if incident.priority_override_reason is None:
            return False
        changes: dict[str, list[Any]] = {}
        level = load_matrix().priority(incident.impact, incident.urgency)
        _set_priority(incident, level, actor, reason=None, changes=changes)
        again = stored(N_("Priority follows the matrix again."))
        _journal_changes(incident, actor, changes, body=again)
        db.session.flush()
        return True
    reason = choice.reason.strip()
    if (choice.level, reason) == (incident.priority, incident.priority_override_reason):
        return False
    override_priority(incident, choice.level, reason=reason, actor=actor)
    return True


def change_state(
    incident: Incident,
    change: Transition,
    *,
    actor: Any,
    expected_version: Any = None,
    now: datetime | None = None,
) -> None:
    """Move the incident through its lifecycle (see ``workflow``); resolving a parent
    resolves its open children with the parent's resolution.

    :raise Invalid: the transition is not allowed or lacks what it needs.
    """
    check_version(incident, expected_version, _("Incident %(number)s", number=incident.number))
    if change.resolution_code and change.resolution_code not in RESOLUTION_CODES:
        raise Invalid({"resolution_code": _("Choose a resolution code from the list.")})
    problems = transition_problems(State(incident.state), change, _)
    if problems:
        raise Invalid(problems)
    now = now or utc_now()
    old = State(incident.state)
    changes: dict[str, list[Any]] = {"state": [old.value, change.target.value]}
    new_reason = change.hold_reason if change.target == State.ON_HOLD else None
    if incident.hold_reason != new_reason:
        changes["hold_reason"] = [incident.hold_reason, new_reason]
        incident.hold_reason = new_reason
    incident.state = change.target
    if _is_staff(actor):
        incident.caller_replied_at = None
    if change.target == State.RESOLVED:
        incident.resolution_code = change.resolution_code
        incident.resolution_notes = (change.resolution_notes or "").strip()
        incident.resolved_at = now
        changes["resolution_code"] = [None, change.resolution_code]
    elif change.target == State.CLOSED:
        incident.closed_at = now
    elif old == State.RESOLVED:  # reopened
        incident.resolved_at = None
    if change.target == State.IN_PROGRESS and _is_staff(actor) and not incident.first_response_at:
        incident.first_response_at = now
    _journal_changes(
        incident,
        actor,
        changes,
        body=incident.resolution_notes if change.target == State.RESOLVED else "",
        at=now,
    )
    tickets.record_event(
        incident,
        "state_changed",
        actor,
        at=now,
        old=old.value,
        new=change.target.value,
        hold_reason=new_reason,
    )
    db.session.flush()
    if change.target == State.RESOLVED:
        for child in incident.children:
            if child.is_open:
                change_state(
                    child,
                    Transition(
                        State.RESOLVED,
                        resolution_code="resolved_by_parent",
                        resolution_notes=f"Resolved with {incident.number}: "
                        f"{incident.resolution_notes}",
                    ),
                    actor=actor,
                    now=now,
                )


def comment(
    incident: Incident,
    *,
    author: User,
    body: str | Mapping[str, Any],
    public: bool,
    now: datetime | None = None,
) -> Any:
    """Add a public reply or an internal work note (people's words, or a stored message the
    desk words: :mod:`app.i18n.stored`).

    A caller's reply to an incident awaiting the caller returns it to In Progress (and the
    event tells the assignee). An agent's first public reply is the first response.

    :raise Invalid: an empty or oversized text.
    """
    words = english(body) if isinstance(body, Mapping) else body
    text = tickets.checked_text("body", words, required=True, limit=MAX_TEXT)
    now = now or utc_now()
    kind = EntryKind.REPLY if public else EntryKind.WORK_NOTE
    entry = tickets.add_entry(
        incident, kind, author, body=body if isinstance(body, Mapping) else text, at=now
    )
    db.session.flush()
    by_caller = author.id == incident.caller_id or not _is_staff(author)
    tickets.record_event(
        incident,
        "commented",
        author,
        at=now,
        entry_id=entry.id,
        public=public,
        by_caller=by_caller,
        notify=incident.assignee_id if by_caller else None,
    )
    if public and not by_caller and incident.first_response_at is None:
        incident.first_response_at = now
    if by_caller and public:
        incident.caller_replied_at = now  # the console shows "caller replied" to the assignee
    elif not by_caller and public:
        incident.caller_replied_at = None
    if (
        by_caller
        and incident.state == State.ON_HOLD
        and incident.hold_reason == HoldReason.AWAITING_CALLER
    ):
        change_state(incident, Transition(State.IN_PROGRESS), actor=author, now=now)
    db.session.flush()
    return entry


def reopen_window(config: Any) -> timedelta:
    return timedelta(days=int(config.get("INCIDENT_REOPEN_DAYS", 7)))


def can_reopen(incident: Incident, now: datetime, window: timedelta) -> bool:
    return (
        incident.state == State.RESOLVED
        and incident.resolved_at is not None
        and now - incident.resolved_at <= window
    )


def reopen_incident(
    incident: Incident, *, actor: User, reason: str, window: timedelta, now: datetime | None = None
) -> None:
    """The caller says the problem is back, within the reopen window.

    :raise Invalid: no reason given, the incident is not resolved, or the window has passed.
    """
    now = now or utc_now()
    reason = tickets.checked_text("reason", reason, required=True, limit=MAX_TEXT)
    if not can_reopen(incident, now, window):
        raise Invalid({"reason": _("This incident can no longer be reopened; report a new one.")})
    incident.reopen_count += 1
    body = stored(N_("Reopened: %(reason)s"), reason=reason)
    tickets.add_entry(incident, EntryKind.REPLY, actor, body=body, at=now)
    change_state(incident, Transition(State.IN_PROGRESS), actor=actor, now=now)


def confirm_resolution(incident: Incident, *, actor: User, now: datetime | None = None) -> None:
    """The caller confirms the fix: the incident closes."""
    change_state(incident, Transition(State.CLOSED), actor=actor, now=now)


def close_resolved_incidents(now: datetime, window: timedelta) -> list[str]:
    """Close incidents resolved longer ago than the reopen window; returns their numbers.
    Running it twice closes nothing more."""
    due = db.session.scalars(
        select(Incident).where(
            Incident.state == State.RESOLVED, Incident.resolved_at < now - window
        )
    ).all()
    for incident in due:
        change_state(incident, Transition(State.CLOSED), actor=None, now=now)
    return [i.number for i in due]


def set_parent(child: Incident, parent: Incident | None, *, actor: User) -> None:
    """Make ``child`` a child of ``parent`` (None: detach).

    :raise Invalid: itself, a cycle, or a closed parent.
    """
    if parent is not None:
        if parent.id == child.id:
            raise Invalid({"parent": _("An incident cannot be its own parent.")})
        step: Incident | None = parent
        while step is not None:
            if step.id == child.id:
                raise Invalid(
                    {
                        "parent": _(
                            "%(parent)s is already below %(child)s.",
                            parent=parent.number,
                            child=child.number,
                        )
                    }
                )
            step = step.parent
        if not parent.is_open:
            raise Invalid({"parent": _("%(number)s is no longer open.", number=parent.number)})
    old = child.parent.number if child.parent else None
    new = parent.number if parent else None
    if old != new:
        child.parent = parent
        _journal_changes(child, actor, {"parent": [old, new]})
        db.session.flush()


def propose_major(incident: Incident, *, actor: User, reason: str) -> None:
    """:raise Invalid: no reason, or already major or proposed."""
    reason = tickets.checked_text("reason", reason, required=True, limit=2000)
    if incident.major_state in (MajorState.PROPOSED, MajorState.ACCEPTED):
        raise Invalid({"reason": _("This incident is already proposed or accepted as major.")})
    _set_major(incident, MajorState.PROPOSED, actor, stored(PROPOSED, reason=reason))


def decide_major(incident: Incident, *, accept: bool, actor: User, note: str = "") -> None:
    """:raise Invalid: nothing was proposed."""
    if incident.major_state != MajorState.PROPOSED:
        raise Invalid({"major": _("No major incident proposal waits for a decision.")})
    verdict = MajorState.ACCEPTED if accept else MajorState.REJECTED
    note = note.strip()
    if accept:
        body = (
            stored(N_("Accepted as a major incident. %(note)s"), note=note)
            if note
            else (stored(N_("Accepted as a major incident.")))
        )
    elif note:
        body = stored(N_("Major incident proposal rejected. %(note)s"), note=note)
    else:
        body = stored(N_("Major incident proposal rejected."))
    _set_major(incident, verdict, actor, body)


def _set_major(incident: Incident, state: MajorState, actor: User, body: Mapping[str, Any]) -> None:
    changes = {"major": [incident.major_state.value, state.value]}
    incident.major_state = state
    _journal_changes(incident, actor, changes, body=body)
    tickets.record_event(incident, "major_changed", actor, state=state.value)
    db.session.flush()


def bulk_change_state(incidents: Sequence[Incident], change: Transition, *, actor: User) -> None:
    """Apply one transition to several incidents: all or none.

    :raise Invalid: listing every incident the transition does not fit.
    """
    refused = {
        i.number: "; ".join(p.values())
        for i in incidents
        if (p := transition_problems(State(i.state), change, _))
    }
    if refused:
        raise Invalid(
            {"state": [f"{n}: {why}" for n, why in sorted(refused.items())]},
            _("Nothing was changed: some incidents cannot take this state."),
        )
    for incident in incidents:
        change_state(incident, change, actor=actor)


def bulk_assign(
    incidents: Sequence[Incident], *, group: Group | None, assignee: User | None, actor: User
) -> None:
    """Assign several incidents at once (all or none: a refused one raises before any write)."""
    for incident in incidents:
        if not State(incident.state).is_open:
            raise Invalid({"state": _("%(number)s is no longer open.", number=incident.number)})
    for incident in incidents:
        assign_incident(incident, group=group, assignee=assignee, actor=actor)


__all__ = [
    "OPEN_STATES",
    "assign_incident",
    "assign_to_me",
    "bulk_assign",
    "bulk_change_state",
    "change_state",
    "close_resolved_incidents",
    "comment",
    "confirm_resolution",
    "decide_major",
    "open_incident",
    "override_priority",
    "propose_major",
    "reopen_incident",
    "save_incident",
    "set_parent",
    "update_incident",
]

"""Who hears what about a ticket event (a pure module: plain facts in, plain answers out).

:data:`KINDS` is the vocabulary of notification kinds with their defaults (the admin settings
start from them). :func:`recipients` maps one event and the people around its ticket to
``{person id: kind}``. Two rules hold whatever the kind:

* nobody is told about their own change (the actor is left out), except the acknowledgement of
  a ticket that arrived by mail, which is the sender's only receipt with the number;
* a work note reaches IT staff only: a person who is not staff (a caller, an employee who
  watches) never hears of one.

A person hears one kind per event; when several apply, the first in :data:`KINDS` wins (an
assignee who also watches hears ``caller_replied``, not ``public_reply``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.i18n import N_

IN_APP = "in_app"
MAIL = "mail"
DIGEST = "digest"
CHANNELS = (IN_APP, MAIL)


@dataclass(frozen=True)
class Kind:
    """A notification kind and its defaults (the admin settings override them)."""

    name: str
    label: str  # English, marked: pages show ``_(kind.label)`` (see ``labels``)
    audience: str  # who hears it, as the settings pages say
    mandatory: bool = False  # people may not turn it off
    enabled: bool = True
    mail: bool = True  # default channels
    in_app: bool = True
    digestible: bool = False  # a group notification a person may take as a daily digest


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("approval_needed", N_("Approval needed"), N_("Approver"), mandatory=True),
        Kind("approval_reminder", N_("Approval reminder"), N_("Approver")),
        Kind("assigned_to_you", N_("Assigned to you"), N_("Assignee")),
        Kind("caller_replied", N_("Caller replied"), N_("Assignee")),
        Kind("reopened", N_("Ticket reopened"), N_("Assignee")),
        Kind("sla_breach", N_("SLA breached"), N_("Assignee"), mandatory=True),
        Kind("sla_warning", N_("SLA warning"), N_("Assignee")),
        Kind("escalation", N_("Escalation"), N_("Group manager")),
        Kind(
            "major_proposed", N_("Major incident proposed"), N_("Service owners and administrators")
        ),
        Kind("received", N_("Ticket received"), N_("Caller"), mandatory=True),
        Kind("waiting_for_you", N_("Waiting for your answer"), N_("Caller"), mandatory=True),
        Kind("resolved", N_("Ticket resolved"), N_("Caller"), mandatory=True),
        Kind("closed", N_("Ticket closed"), N_("Caller")),
        Kind("request_state", N_("Request status changed"), N_("Requester")),
        Kind("public_reply", N_("Public reply"), N_("Caller and watchers")),
        Kind("work_note", N_("Work note"), N_("Assignee and IT staff who watch"), mail=False),
        Kind("new_in_queue", N_("New ticket in your queue"), N_("Group members"), digestible=True),
        Kind("survey", N_("Satisfaction survey"), N_("Caller")),
        Kind("low_score", N_("Low satisfaction score"), N_("Group manager")),
    )
}
ORDER = {name: index for index, name in enumerate(KINDS)}
# Kinds only IT staff may hear (the rules never aim them at others, and this guards it); an
# escalation goes to the queue's manager, who may be a service owner rather than an agent.
STAFF_ONLY = frozenset(
    {
        "assigned_to_you",
        "caller_replied",
        "reopened",
        "sla_breach",
        "sla_warning",
        "work_note",
        "new_in_queue",
    }
)
# Who may ever hear a kind, by role (the preferences page shows a person only theirs).
ROLES_OF = {
    **{name: frozenset({"agent"}) for name in STAFF_ONLY},
    "escalation": frozenset({"agent", "service_owner", "admin"}),
    "major_proposed": frozenset({"service_owner", "admin"}),
    "low_score": frozenset({"agent", "service_owner", "admin"}),
}


def kinds_for(roles: Iterable[str]) -> list[str]:
    """The kinds a person with ``roles`` may hear, in the order of :data:`KINDS`."""
    held = set(roles)
    return [name for name in KINDS if name not in ROLES_OF or ROLES_OF[name] & held]


EVENT_TYPES = frozenset(
    {
        "created",
        "assigned",
        "state_changed",
        "commented",
        "approval_requested",
        "approval_reminded",
        "sla_warning",
        "sla_breached",
        "sla_escalated",
        "major_changed",
        "survey_sent",  # app.surveys: the caller is asked how it went
        "survey_low_score",  # app.surveys: the caller answered with a low score
    }
)
REQUEST_KINDS = frozenset({"request", "request_item"})
# A request's own state follows its items' (it closes when the last one does): the requester
# hears of each item, not of the request again.
# What a caller is sent a receipt for: what they reported or ordered (not each item and task).
RECEIPTS = frozenset({"incident", "request"})
# What a queue works: incidents and catalog tasks (an item waits for approval, then its tasks
# reach their groups).
QUEUED = frozenset({"incident", "catalog_task"})
REOPEN_FROM = frozenset({"resolved", "closed"})


@dataclass(frozen=True)
class Parties:
    """The people around a ticket, as ids (``staff`` says which of them are IT staff)."""

    ticket_kind: str
    caller_id: int | None = None
    assignee_id: int | None = None
    group_manager_id: int | None = None
    group_member_ids: frozenset[int] = frozenset()
    watcher_ids: frozenset[int] = frozenset()
    owner_ids: frozenset[int] = frozenset()  # the affected services' owners
    major_manager_ids: frozenset[int] = frozenset()  # who decides on major incidents
    staff_ids: frozenset[int] = frozenset()
    # Approver id -> the person deciding for them during an absence (their delegate).
    delegates: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    type: str
    actor_id: int | None
    data: Mapping[str, Any] = field(default_factory=dict)


def recipients(event: Event, parties: Parties) -> dict[int, str]:
    """``{person id: kind}`` for one event: who hears of it, and as what."""
    wanted: dict[int, str] = {}
    for person, kind in _candidates(event, parties):
        if person is None or kind not in KINDS:
            continue
        if person == event.actor_id and not _own_receipt(event, kind):
            continue
        if kind in STAFF_ONLY and person not in parties.staff_ids:
            continue
        if person not in wanted or ORDER[kind] < ORDER[wanted[person]]:
            wanted[person] = kind
    return wanted


def _own_receipt(event: Event, kind: str) -> bool:
    return kind == "received" and event.data.get("channel") == "email"


def _each(people: Iterable[int | None], kind: str) -> list[tuple[int | None, str]]:
    return [(person, kind) for person in people]


def _candidates(event: Event, p: Parties) -> list[tuple[int | None, str]]:
    data = event.data
    match event.type:
        case "created" if p.ticket_kind in RECEIPTS:
            return [(p.caller_id, "received")]
        case "assigned":
            if data.get("assignee_id"):
                return [(data["assignee_id"], "assigned_to_you")]
            if data.get("group_id") and p.ticket_kind in QUEUED:
                return _each(sorted(p.group_member_ids), "new_in_queue")
            return []
        case "state_changed":
            return _state_changed(data, p)
        case "commented":
            return _commented(data, p)
        case "approval_requested":
            return _approvers(data, p, "approval_needed")
        case "approval_reminded":
            return _approvers(data, p, "approval_reminder")
        case "sla_warning":
            return [(data.get("notify") or p.assignee_id, "sla_warning")]
        case "sla_breached":
            return [(data.get("notify") or p.assignee_id, "sla_breach")]
        case "sla_escalated":
            return [(data.get("notify") or p.group_manager_id, "escalation")]
        case "survey_sent":
            return [(p.caller_id, "survey")]
        case "survey_low_score":
            return [(p.group_manager_id, "low_score")]
        case "major_changed" if data.get("state") == "proposed":
            return _each(sorted(p.owner_ids | p.major_manager_ids), "major_proposed")
    return []


def _approvers(data: Mapping[str, Any], p: Parties, kind: str) -> list[tuple[int | None, str]]:
    """The approver, and their delegate while they are away (unless that is the requester,
    who may never approve their own item)."""
    approver = data.get("approver_id")
    delegate = p.delegates.get(approver) if approver else None
    found: list[tuple[int | None, str]] = [(approver, kind)]
    if delegate is not None and delegate != p.caller_id:
        found.append((delegate, kind))
    return found


def _state_changed(data: Mapping[str, Any], p: Parties) -> list[tuple[int | None, str]]:
    old, new = data.get("old"), data.get("new")
    if p.ticket_kind == "request_item":
        return [(p.caller_id, "request_state")]
    if p.ticket_kind in REQUEST_KINDS:
        return []
    if new == "on_hold" and data.get("hold_reason") == "awaiting_caller":
        return [(p.caller_id, "waiting_for_you")]
    if p.ticket_kind != "incident":
        return []  # a catalog task's other moves are the fulfilment group's business
    if new == "resolved":
        return [(p.caller_id, "resolved")]
    if new == "closed":
        return [(p.caller_id, "closed")]
    if old in REOPEN_FROM and new not in ("closed", "canceled"):
        return [(p.assignee_id, "reopened")]
    return []


def _commented(data: Mapping[str, Any], p: Parties) -> list[tuple[int | None, str]]:
    if not data.get("public"):
        staff = [w for w in sorted(p.watcher_ids) if w in p.staff_ids]
        return [(p.assignee_id, "work_note"), *_each(staff, "work_note")]
    found: list[tuple[int | None, str]] = []
    if data.get("by_caller"):
        found.append((p.assignee_id, "caller_replied"))
    else:
        found.append((p.caller_id, "public_reply"))
    return found + _each(sorted(p.watcher_ids), "public_reply")


def decide(
    kind: str,
    *,
    enabled: bool,
    mandatory: bool,
    defaults: Mapping[str, bool],
    chosen: Mapping[str, bool],
    digestible: bool,
) -> dict[str, bool]:
    """The channels one person gets ``kind`` on: the admin's switch and defaults, then the
    person's choices (``{channel: on}``, missing = default), which a mandatory kind ignores
    (a mandatory kind is never lost: at least in the app). ``digest`` (a digestible kind the
    person takes daily) replaces immediate mail."""
    if not enabled:
        return {IN_APP: False, MAIL: False, DIGEST: False}
    channels = {c: defaults.get(c, False) for c in CHANNELS}
    if not mandatory:
        channels.update({c: chosen[c] for c in CHANNELS if c in chosen})
    elif not any(channels.values()):
        channels[IN_APP] = True
    digest = digestible and chosen.get(DIGEST, False)
    if digest:
        channels[MAIL] = False
    return {**channels, DIGEST: digest}

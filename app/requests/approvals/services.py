"""Approvals: routing each level of an item's plan to people, decisions (by the approver or
their delegate), the outcome of a level by its rule, and reminders.

Domain events on the request item: ``approval_requested``, ``approval_decided``,
``approval_reminded`` (and ``state_changed`` when a rejection closes the item). Services flush;
the caller commits. A decision touches the item's row, so two decisions on one item at the same
moment cannot both pass (the second gets a 409).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, bindparam, func, or_, select, type_coerce, union_all
from sqlalchemy.orm import joinedload

from app.auth.groups import members_by_group
from app.auth.models import User
from app.errors import Conflict, Forbidden, NotFound, check_version
from app.extensions import db
from app.i18n import N_
from app.i18n.stored import english, stored
from app.requests.approvals import rules
from app.requests.common import administrators, note
from app.requests.fulfilment.services import begin_fulfilment, close_item
from app.requests.models import Approval, ApprovalDelegation, RequestItem
from app.requests.states import ApprovalState, CloseCode, ItemState
from app.sla.calendar import BusinessCalendar
from app.tickets import services as tickets
from app.timeutils import utc_now

#: Why a level went to someone else, a whole sentence each: ``%(to)s`` is whom it went to.
FALLBACK_WORDS = {
    rules.Fallback.NO_MANAGER: N_(
        "%(person)s has no manager in the directory, so the approval goes to %(to)s."
    ),
    rules.Fallback.NO_MANAGERS_MANAGER: N_(
        "%(person)s's manager has no manager in the directory, so the approval goes to %(to)s."
    ),
    rules.Fallback.NO_SERVICE_OWNER: N_(
        "The item has no active service owner, so the approval goes to %(to)s."
    ),
    rules.Fallback.EMPTY_GROUP: N_(
        "The approving group has no active members, so the approval goes to %(to)s."
    ),
    rules.Fallback.SELF: N_(
        "%(person)s cannot approve their own request, so the approval goes to %(to)s."
    ),
    rules.Fallback.ORDERED_BY: N_(
        "%(orderer)s ordered this item for %(person)s and cannot approve it, so the approval "
        "goes to %(to)s."
    ),
}
ROUTED_WORDS = {
    rules.RoutedTo.FULFILMENT_MANAGER: N_("the manager of %(group)s"),
    rules.RoutedTo.FULFILMENT_GROUP: N_("the members of %(group)s (any one of them decides)"),
    rules.RoutedTo.ADMINISTRATORS: N_("the administrators (any one of them decides)"),
}
NO_LONGER_NEEDED = N_("No longer needed: the level was decided.")


def levels_of(item: RequestItem) -> list[rules.Level]:
    """The item's approval plan as levels (a snapshot checked when the catalog item was saved;
    a group deleted since then simply has no members)."""
    return [
        rules.Level(
            rules.LevelKind(level["kind"]),
            level.get("group_id"),
            rules.GroupRule(level.get("rule") or rules.GroupRule.ANYONE.value),
        )
        for level in item.approval_plan or ()
        if level.get("kind") != rules.LevelKind.NONE
    ]


def _active_id(user: User | None) -> int | None:
    return user.id if user is not None and user.is_active else None


def _people_met(ids: set[int | None]) -> list[User]:
    """The people with these ids (none: nobody) and each one's manager, in one statement.
    The caller holds the list while it reads them (the session keeps instances weakly), so
    their ``manager`` relationships are found in the session instead of read one by one."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return []
    return list(
        db.session.scalars(
            select(User).options(joinedload(User.manager)).where(User.id.in_(wanted))
        )
    )


def directory_facts(item: RequestItem, level: rules.Level) -> rules.Directory:
    """What routing needs, read from the directory's people and groups."""
    person: User = item.caller
    fulfilment = item.catalog_item.fulfilment_group
    met = _people_met(  # noqa: F841  (held while the relationships below are read)
        {person.manager_id, item.catalog_item.service_owner_id, fulfilment.manager_id}
    )
    manager = person.manager if person.manager is not None and person.manager.is_active else None
    group_ids = [g for g in (level.group_id, fulfilment.id) if g is not None]
    members = {gid: [u.id for u in users] for gid, users in members_by_group(group_ids).items()}
    return rules.Directory(
        requested_for=person.id,
        manager=_active_id(manager),
        managers_manager=_active_id(manager.manager) if manager else None,
        service_owner=_active_id(item.catalog_item.service_owner),
        group_members={level.group_id: members.get(level.group_id, [])} if level.group_id else {},
        fulfilment_manager=_active_id(fulfilment.manager),
        fulfilment_members=members.get(fulfilment.id, []),
        administrators=administrators(),
        ordered_by=item.opened_by_id,
    )


def _routing_note(item: RequestItem, routing: rules.Routing) -> dict[str, Any] | None:
    """Why the level went to someone other than whom it names, as a stored message
    (:mod:`app.i18n.stored`): each reader reads it in their language."""
    if routing.fallback is None:
        return None
    orderer: Any = item.opened_by.display_name if item.opened_by else stored(N_("someone"))
    group = item.catalog_item.fulfilment_group.name
    to: Any = stored(ROUTED_WORDS[routing.to], group=group) if routing.to in ROUTED_WORDS else ""
    if routing.to == rules.RoutedTo.FULFILMENT_MANAGER:
        manager = item.catalog_item.fulfilment_group.manager
        if manager:
            to = stored(N_("%(whom)s, %(name)s"), whom=to, name=manager.display_name)
    return stored(
        FALLBACK_WORDS[routing.fallback],
        person=item.caller.display_name,
        orderer=orderer,
        to=to,
    )


# How a decision made outside the approval page came (callers pass ``via``), for the catalogs.
VIA_WORDS = (N_("a mail link"), N_("a mail reply"), N_("the API"))


def _decision_line(
    actor: Any, approval: Approval, approve: bool, via: str, comment: str | None
) -> dict[str, Any]:
    """ "Approved by Ann on behalf of Bo from a mail link. Fine." as a stored message."""
    who: Any = actor.display_name
    if actor.id != approval.approver_id:
        who = stored(
            N_("%(name)s on behalf of %(approver)s"),
            name=who,
            approver=approval.approver.display_name,
        )
    if via:
        msg = (
            N_("Approved by %(who)s from %(via)s.")
            if approve
            else N_("Rejected by %(who)s from %(via)s.")
        )
        line = stored(msg, who=who, via=stored(via))
    else:
        line = stored(
            N_("Approved by %(who)s.") if approve else N_("Rejected by %(who)s."), who=who
        )
    return (
        stored(N_("%(decision)s %(comment)s"), decision=line, comment=comment) if comment else line
    )


def open_level(item: RequestItem, index: int, actor: Any, now: datetime) -> list[Approval]:
    """Ask the approvers of level ``index``.

    :raise Conflict: nobody at all could approve (no active administrator either).
    """
    routing = rules.route(levels_of(item)[index], directory_facts(item, levels_of(item)[index]))
    if not routing.approvers:
        raise Conflict(
            _(
                "Nobody can approve %(catalog_item)s: the directory names no approver and there "
                "is no active administrator. Nothing was saved.",
                catalog_item=item.catalog_item.name,
            )
        )
    reason = _routing_note(item, routing)
    rows = [
        Approval(
            item=item,
            level=index,
            approver_id=uid,
            rule=routing.rule,
            note=english(reason)[:450] if reason else None,
            note_message=reason,
            requested_at=now,
            state=ApprovalState.REQUESTED,
        )
        for uid in routing.approvers
    ]
    db.session.add_all(rows)
    item.approval_level = index
    item.approval_state = ApprovalState.REQUESTED
    db.session.flush()
    names = ", ".join(r.approver.display_name for r in rows)
    body = (
        stored(
            N_("Approval (level %(level)s) asked of %(names)s. %(reason)s"),
            level=index + 1,
            names=names,
            reason=reason,
        )
        if reason
        else stored(
            N_("Approval (level %(level)s) asked of %(names)s."), level=index + 1, names=names
        )
    )
    note(item, actor, body, now, approval=[None, names])
    for row in rows:
        tickets.record_event(
            item,
            "approval_requested",
            actor,
            at=now,
            approval_id=row.id,
            approver_id=row.approver_id,
            level=index,
            fallback=routing.fallback,
        )
    return rows


def start_approvals(item: RequestItem, actor: Any, now: datetime) -> None:
    """After ordering: ask the first level, or go straight to fulfilment without a policy."""
    if levels_of(item):
        open_level(item, 0, actor, now)
    else:
        item.approval_state = ApprovalState.NOT_REQUIRED
        begin_fulfilment(item, actor, now)


# -- delegation -----------------------------------------------------------------------------


# Approvals that wait for a decision now (with ``RequestItem`` joined): requested, on the
# level the item waits at, of an item still waiting for approval.
WAITING = (
    Approval.state == ApprovalState.REQUESTED,
    RequestItem.state == ItemState.PENDING_APPROVAL,
    RequestItem.approval_level == Approval.level,
)


def _delegators_of(user_id: Any, now: Any) -> Any:
    """The people ``user_id`` decides for at ``now`` (a value, or a bind parameter in a
    statement built once: :func:`waiting_count_query`)."""
    return select(ApprovalDelegation.delegator_id).where(
        ApprovalDelegation.delegate_id == user_id,
        ApprovalDelegation.starts_at <= now,
        ApprovalDelegation.ends_at > now,
    )


def party_reason(user: Any, item: RequestItem) -> str | None:
    """Why ``user`` may never decide on ``item`` (separation of duties), or None: nobody
    approves an item they ordered or that is for them, not even as someone's delegate."""
    if user is None:
        return None
    if user.id == item.caller_id:
        return f"{item.number} is for you, so someone else must approve it."
    if user.id == item.opened_by_id:
        return (
            f"You ordered {item.number} for {item.caller.display_name}, "
            "so someone else must approve it."
        )
    return None


def acts_for(user: Any, approval: Approval, now: datetime | None = None) -> bool:
    """The approver, or their delegate during the delegation's period (whether or not they
    may decide: see :func:`may_decide`)."""
    if user is None:
        return False
    if user.id == approval.approver_id:
        return True
    now = now or utc_now()
    return approval.approver_id in set(db.session.scalars(_delegators_of(user.id, now)))


def approval_for(user: Any, approval_id: int) -> Approval:
    """An approval ``user`` is asked (or, as a delegate, may be asked) to decide, or decided.
    Whether they may decide it is :func:`decide`'s business.

    :raise NotFound: no such approval, or one ``user`` has no part in.
    """
    approval = db.session.get(Approval, approval_id) if 0 < approval_id < 2**63 else None
    if approval is None or not (user.id == approval.decided_by_id or acts_for(user, approval)):
        raise NotFound(_("There is no approval with this number that waits for you."))
    return approval


def may_decide(user: Any, approval: Approval, now: datetime | None = None) -> bool:
    """The approver, or their delegate during the delegation's period, if active and not a
    party to the item (see :func:`party_reason`)."""
    if user is None or not getattr(user, "is_active", False):
        return False
    return party_reason(user, approval.item) is None and acts_for(user, approval, now)


def _waiting_for(user: Any, now: Any) -> tuple[Any, ...]:
    """The conditions of an approval that waits for ``user`` (``RequestItem`` joined; ``now``
    and ``user.id`` values, or bind parameters).

    "Mine or my delegators'" is one ``IN`` over a union, not an ``OR``: PostgreSQL then looks
    each approver up in ``ix_approvals_approver_state`` instead of filtering every waiting
    approval of the desk (2 ms instead of 20 ms with 225,000 approvals, bench/approvals_count).
    """
    deciders = union_all(select(type_coerce(user.id, Integer)), _delegators_of(user.id, now))
    return (
        *WAITING,
        RequestItem.caller_id != user.id,
        or_(RequestItem.opened_by_id.is_(None), RequestItem.opened_by_id != user.id),
        Approval.approver_id.in_(deciders),
    )


def waiting_for(user: User, now: datetime | None = None) -> list[Approval]:
    """Approvals that wait for ``user``'s decision, their own and their delegators', oldest
    first (only the current level of items still waiting for approval; never an item ``user``
    ordered or that is for them)."""
    return list(
        db.session.scalars(
            select(Approval)
            .join(RequestItem, RequestItem.id == Approval.item_id)
            .where(*_waiting_for(user, now or utc_now()))
            .order_by(Approval.requested_at, Approval.id)
        )
    )


def waiting_count_query(user: Any, now: datetime | None = None) -> Select[int]:
    """The ``SELECT count(*)`` of the approvals :func:`waiting_for` lists (the navigation
    reads it with the page's other counts, in one statement built once: ``user.id`` may be a
    bind parameter, and without ``now`` the time is one valued when the statement runs)."""
    moment: Any = (
        now if now is not None else bindparam("now", callable_=lambda: utc_now(), unique=True)
    )
    return (
        select(func.count(Approval.id))
        .join(RequestItem, RequestItem.id == Approval.item_id)
        .where(*_waiting_for(user, moment))
    )


def waiting_count(user: User, now: datetime | None = None) -> int:
    """How many approvals :func:`waiting_for` lists, in one ``SELECT count(*)``."""
    return db.session.scalar(waiting_count_query(user, now)) or 0


# -- decisions ------------------------------------------------------------------------------


def _refuse_closed(approval: Approval) -> None:
    item = approval.item
    if item.state == ItemState.CANCELED:
        raise Conflict(
            _("%(number)s was canceled: there is nothing left to approve.", number=item.number)
        )
    if approval.state in (ApprovalState.APPROVED, ApprovalState.REJECTED):
        who = approval.decided_by.display_name if approval.decided_by else "someone"
        raise Conflict(
            _(
                "This approval was already decided: %(value)s by %(who)s.",
                value=approval.state.value,
                who=who,
            )
        )
    if (
        approval.state != ApprovalState.REQUESTED
        or item.state != ItemState.PENDING_APPROVAL
        or item.approval_level != approval.level
    ):
        raise Conflict(_("%(number)s no longer waits for this approval.", number=item.number))


def decide(
    approval: Approval,
    *,
    actor: User,
    approve: bool,
    comment: str = "",
    expected_version: Any = None,
    via: str = "",
    now: datetime | None = None,
) -> rules.Outcome:
    """Approve or reject, as the approver or their delegate (the record says "on behalf of");
    returns the level's outcome. An approved level asks the next one or starts fulfilment; a
    rejected one closes the item with the reason shown to the requester. ``via`` says how a
    decision made outside the approval page came (``"a mail link"``, ``"a mail reply"``): the
    journal reads "Approved by Ann from a mail link." and the event carries it.

    :raise Forbidden: ``actor`` ordered the item or it is for them (separation of duties), or
        ``actor`` is neither the approver nor their delegate now.
    :raise Conflict: already decided, no longer needed, or the request was canceled; a stale
        ``expected_version``.
    :raise Invalid: a rejection without a reason, or an oversized comment.
    """
    now = now or utc_now()
    refused = party_reason(actor, approval.item)
    if refused is not None:
        raise Forbidden(refused)
    if not may_decide(actor, approval, now):
        raise Forbidden(
            _(
                "Only %(name)s (or their delegate) can decide this approval.",
                name=approval.approver.display_name,
            )
        )
    _refuse_closed(approval)
    check_version(approval, expected_version, "This approval")
    text = tickets.checked_text("comment", comment, required=not approve, limit=4000)
    item = approval.item
    approval.state = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
    approval.decided_at, approval.decided_by_id, approval.comment = now, actor.id, text or None
    item.updated_at = now  # bumps the item's version: concurrent decisions cannot both pass
    note(
        item,
        actor,
        _decision_line(actor, approval, approve, via, text),
        now,
        approval=[ApprovalState.REQUESTED.value, approval.state.value],
    )
    tickets.record_event(
        item,
        "approval_decided",
        actor,
        at=now,
        approval_id=approval.id,
        approver_id=approval.approver_id,
        decided_by_id=actor.id,
        verdict=approval.state.value,
        level=approval.level,
        via=via or None,
    )
    db.session.flush()
    return _settle_level(item, approval.level, approval.rule, actor, now)


def _settle_level(
    item: RequestItem, level: int, rule: rules.GroupRule, actor: Any, now: datetime
) -> rules.Outcome:
    rows = [a for a in item.approvals if a.level == level]
    decided = sorted(
        (a for a in rows if a.decided_at is not None), key=lambda a: (a.decided_at, a.id)
    )
    outcome = rules.level_outcome(rule, len(rows), [rules.Verdict(a.state.value) for a in decided])
    if outcome == rules.Outcome.PENDING:
        return outcome
    for row in rows:
        if row.state == ApprovalState.REQUESTED:
            row.state = ApprovalState.CANCELED
            row.note = f"{row.note or ''} {NO_LONGER_NEEDED}".strip()[:500]
            before, done = row.note_message or row.note, stored(NO_LONGER_NEEDED)
            row.note_message = (
                stored(N_("%(note)s %(more)s"), note=before, more=done) if before else done
            )
    if outcome == rules.Outcome.REJECTED:
        item.approval_state, item.approval_level = ApprovalState.REJECTED, None
        reasons = "; ".join(
            f"{a.comment}" if len(decided) == 1 else f"{a.approver.display_name}: {a.comment}"
            for a in decided
            if a.state == ApprovalState.REJECTED and a.comment
        )
        close_item(item, CloseCode.REJECTED, actor, now, notes=reasons or "No reason given.")
    elif level + 1 < len(levels_of(item)):
        open_level(item, level + 1, actor, now)
    else:
        item.approval_state, item.approval_level = ApprovalState.APPROVED, None
        begin_fulfilment(item, actor, now)
    db.session.flush()
    return outcome


def cancel_pending(item: RequestItem) -> int:
    """Mark the item's open approvals canceled (the item is being canceled)."""
    count = 0
    for row in item.approvals:
        if row.state == ApprovalState.REQUESTED:
            row.state = ApprovalState.CANCELED
            count += 1
    if item.approval_state == ApprovalState.REQUESTED:
        item.approval_state, item.approval_level = ApprovalState.CANCELED, None
    return count


# -- reminders ------------------------------------------------------------------------------


def remind_pending(
    *, now: datetime, delay: timedelta, calendar: BusinessCalendar
) -> list[Approval]:
    """Re-notify approvals pending longer than ``delay`` of business time: once per period of
    ``delay`` (periods missed while the job did not run give one reminder, not several).
    Records ``approval_reminded`` on the item; returns the approvals reminded. Running it
    twice at the same moment reminds nobody the second time.

    :raise ValueError: ``delay`` is not positive.
    """
    if delay <= timedelta(0):
        raise ValueError("the reminder delay must be positive")
    due = db.session.scalars(
        select(Approval)
        .join(RequestItem, RequestItem.id == Approval.item_id)
        .where(*WAITING, Approval.requested_at <= now - delay)
        .order_by(Approval.id)
    ).all()
    reminded = []
    for approval in due:
        periods = math.floor(calendar.business_time(approval.requested_at, now) / delay)
        if periods <= approval.reminders_sent:
            continue
        approval.reminders_sent, approval.last_reminded_at = periods, now
        tickets.record_event(
            approval.item,
            "approval_reminded",
            None,
            at=now,
            approval_id=approval.id,
            approver_id=approval.approver_id,
            reminder=periods,
        )
        reminded.append(approval)
    db.session.flush()
    return reminded

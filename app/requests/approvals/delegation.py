"""Approval delegation: an approver lets someone decide for them during an absence.

A delegate decides on the delegator's approvals from ``starts_at`` to ``ends_at``; the
approval records who decided ("X on behalf of Y"). Delegation is not transitive (a delegate's
own delegate does not inherit), and a person delegates to one delegate at a time, so "on
behalf of" always names one person. Services flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.auth.models import Role, User
from app.errors import Forbidden, Invalid
from app.extensions import db
from app.requests.models import ApprovalDelegation
from app.timeutils import utc_now

MAX_PERIOD = timedelta(days=366)


def add_delegation(
    *,
    delegator: User,
    delegate: User | None,
    starts_at: datetime,
    ends_at: datetime,
    actor: User,
    now: datetime | None = None,
) -> ApprovalDelegation:
    """Let ``delegate`` decide ``delegator``'s approvals from ``starts_at`` to ``ends_at``.

    :raise Forbidden: ``actor`` is neither the delegator nor an administrator.
    :raise Invalid: no active delegate, oneself, an empty, past or over-a-year period, or a
        period overlapping another delegation of the same person.
    """
    now = now or utc_now()
    if actor.id != delegator.id and not actor.has_role(Role.ADMIN):
        raise Forbidden(_("Only the approver (or an administrator) can name their delegate."))
    if delegate is None or not delegate.is_active:
        raise Invalid({"delegate": _("Choose an active person as the delegate.")})
    if delegate.id == delegator.id:
        raise Invalid({"delegate": _("Choose someone other than yourself.")})
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("delegation periods are timezone-aware")
    if ends_at <= starts_at:
        raise Invalid({"ends_at": _("The end must come after the start.")})
    if ends_at <= now:
        raise Invalid({"ends_at": _("The period is already over.")})
    if ends_at - starts_at > MAX_PERIOD:
        raise Invalid({"ends_at": _("Delegate for at most a year at a time.")})
    overlap = db.session.scalar(
        select(ApprovalDelegation).where(
            ApprovalDelegation.delegator_id == delegator.id,
            ApprovalDelegation.starts_at < ends_at,
            ApprovalDelegation.ends_at > starts_at,
        )
    )
    if overlap is not None:
        raise Invalid(
            {
                "starts_at": _(
                    "%(name)s already delegates to %(name2)s during part of this period.",
                    name=delegator.display_name,
                    name2=overlap.delegate.display_name,
                )
            }
        )
    delegation = ApprovalDelegation(
        delegator_id=delegator.id, delegate_id=delegate.id, starts_at=starts_at, ends_at=ends_at
    )
    db.session.add(delegation)
    db.session.flush()
    audit.record(
        actor,
        "approval_delegation",
        delegation.id,
        "created",
        {"delegate": [None, delegate.username], "delegator": [None, delegator.username]},
    )
    return delegation


def end_delegation(
    delegation: ApprovalDelegation, *, actor: User, now: datetime | None = None
) -> None:
    """End a delegation now (one that has not started yet is removed).

    :raise Forbidden: ``actor`` is neither the delegator nor an administrator.
    """
    now = now or utc_now()
    if actor.id != delegation.delegator_id and not actor.has_role(Role.ADMIN):
        raise Forbidden(_("Only the approver (or an administrator) can end their delegation."))
    if delegation.ends_at <= now:
        return
    audit.record(
        actor,
        "approval_delegation",
        delegation.id,
        "ended",
        {"ends_at": [delegation.ends_at.isoformat(), now.isoformat()]},
    )
    if delegation.starts_at >= now:
        db.session.delete(delegation)
    else:
        delegation.ends_at = now
    db.session.flush()


def delegations_of(user: User, now: datetime | None = None) -> list[ApprovalDelegation]:
    """The person's current and future delegations, as delegator or delegate."""
    now = now or utc_now()
    return list(
        db.session.scalars(
            select(ApprovalDelegation)
            .where(
                (ApprovalDelegation.delegator_id == user.id)
                | (ApprovalDelegation.delegate_id == user.id),
                ApprovalDelegation.ends_at > now,
            )
            .order_by(ApprovalDelegation.starts_at)
        )
    )


def active_delegate(approver_id: int, now: datetime) -> Any:
    """The person deciding for ``approver_id`` now, if any."""
    return db.session.scalar(
        select(User)
        .join(ApprovalDelegation, ApprovalDelegation.delegate_id == User.id)
        .where(
            ApprovalDelegation.delegator_id == approver_id,
            ApprovalDelegation.starts_at <= now,
            ApprovalDelegation.ends_at > now,
        )
    )

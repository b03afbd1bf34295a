"""Reads the employee and approver pages need beyond the request services: the people and CIs a
picker offers, a request's public timeline and files, the portal's counters. Reads only.

Everything shown to employees here is public: timelines come from ``tickets.timeline`` with
``public_only=True`` and files are the non-internal attachments.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.cmdb.models import ConfigurationItem
from app.extensions import db
from app.requests.approvals.services import waiting_for
from app.requests.catalog.ci_offers import offered
from app.requests.catalog.variables import Variable
from app.requests.models import Approval, RequestItem, ServiceRequest
from app.requests.permissions import visible_requests
from app.requests.states import ApprovalState, RequestState
from app.tickets import services as tickets
from app.tickets.models import Attachment, JournalEntry, Ticket

PICKER_LIMIT = 20  # options a search returns
CI_LIST_LIMIT = 50  # a CI class this small is listed whole (no search needed)


def people_by_id(ids: Iterable[Any]) -> list[User]:
    """The active people among ``ids`` (junk ids are ignored)."""
    numbers = {int(i) for i in ids if str(i).isdecimal() and len(str(i)) < 12}
    if not numbers:
        return []
    return list(
        db.session.scalars(
            select(User).where(User.id.in_(numbers), User.is_active).order_by(User.display_name)
        )
    )


def cis_matching(
    text: str, variable: Variable, limit: int = PICKER_LIMIT
) -> list[ConfigurationItem]:
    """CIs ``variable`` offers (see ``ci_offers``) whose name contains every word of ``text``
    (every CI it offers, up to ``limit``, when ``text`` is empty)."""
    query = offered(variable)
    for word in (text or "").split()[:4]:
        query = query.where(
            func.lower(ConfigurationItem.name).contains(word[:100].lower(), autoescape=True)
        )
    return list(
        db.session.scalars(
            query.order_by(ConfigurationItem.name, ConfigurationItem.id).limit(limit)
        )
    )


def cis_by_id(ids: Iterable[Any], variable: Variable) -> list[ConfigurationItem]:
    """The CIs among ``ids`` that ``variable`` offers (junk ids are ignored)."""
    numbers = {int(i) for i in ids if str(i).isdecimal() and len(str(i)) < 12}
    if not numbers:
        return []
    return list(db.session.scalars(offered(variable).where(ConfigurationItem.id.in_(numbers))))


def request_timeline(
    request: ServiceRequest, items: list[RequestItem]
) -> list[tuple[JournalEntry, Ticket]]:
    """The public entries of the request and of each of its items, newest first, each with
    the ticket it belongs to (work notes never: ``timeline(public_only=True)``)."""
    entries: list[tuple[JournalEntry, Ticket]] = []
    for ticket in (request, *items):
        entries += [
            (e, ticket) for e in tickets.timeline(ticket, public_only=True, newest_first=True)
        ]
    entries.sort(key=lambda pair: (pair[0].created_at, pair[0].id), reverse=True)
    return entries


def public_files(ticket_ids: Iterable[int]) -> list[Attachment]:
    """The files of these tickets that everyone who sees them may see (not internal)."""
    ids = list(ticket_ids)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Attachment)
            .where(Attachment.ticket_id.in_(ids), Attachment.internal.is_(False))
            .order_by(Attachment.id)
        )
    )


def decided_by(user: User, limit: int = 20) -> list[Approval]:
    """The approvals ``user`` decided lately (themselves or as a delegate), newest first."""
    return list(
        db.session.scalars(
            select(Approval)
            .where(
                Approval.decided_by_id == user.id,
                Approval.state.in_([ApprovalState.APPROVED, ApprovalState.REJECTED]),
            )
            .order_by(Approval.decided_at.desc(), Approval.id.desc())
            .limit(limit)
        )
    )


def preload_items(approvals: Iterable[Approval]) -> list[RequestItem]:
    """Load the items of ``approvals`` and who ordered them (what the approval lists show) in
    one query, whatever their number. Keep the list while rendering: the session holds its
    objects weakly."""
    ids = {a.item_id for a in approvals}
    if not ids:
        return []
    query = select(RequestItem).where(RequestItem.id.in_(ids))
    return list(db.session.scalars(query.options(joinedload(RequestItem.opened_by))).unique())


def portal_counts(user: User) -> dict[str, int]:
    """The home page's counters: open requests of one's own, approvals waiting for one."""
    query = visible_requests(
        user,
        select(func.count())
        .select_from(ServiceRequest)
        .where(ServiceRequest.state == RequestState.OPEN),
        own_only=True,
    )
    return {
        "open_requests": int(db.session.scalar(query) or 0),
        "approvals": len(waiting_for(user)),
    }

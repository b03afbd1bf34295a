"""An administrator's first steps on a new desk, each ticked when the database shows it done.

A fresh production install holds one administrator and nothing else: no one to work tickets,
no queue, no calendar, policy, catalog item or routing rule, and nobody from the directory. The
administrator's home lists these steps with a link to the page that does each, in the order
they depend on each other (policies need queues and calendars, catalog items a queue).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select

from app.auth.models import AccountSource, Group, Role, RoleGrant, User
from app.extensions import db
from app.incidents.models import RoutingRule
from app.requests.models import CatalogItem
from app.sla.models import SlaCalendar, SlaPolicy


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    text: str
    endpoint: str
    link: str
    done: bool
    optional: bool = False


def setup_complete(steps: list[Step]) -> bool:
    """Every required step is done (a desk may run on local accounts, without a directory)."""
    return all(step.done for step in steps if not step.optional)


def _any(query: object) -> bool:
    return bool(db.session.scalar(select(exists(query))))


def first_steps(*, directory_configured: bool) -> list[Step]:
    """The setup checklist (one query per step, each an ``EXISTS``)."""
    staff = (
        select(RoleGrant.user_id)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role.in_([Role.AGENT, Role.SERVICE_OWNER]), User.is_active)
    )
    directory_text = (
        "Optional: set LDAP_URL and the other directory settings (see docs/directory.md), "
        "then run `flask ldap sync` so people, managers and groups come from your directory. "
        "Without one, create local accounts."
    )
    if directory_configured:
        directory_text = (
            "The directory is configured: people appear here after their first sign-in or "
            "after `flask ldap sync`."
        )
    return [
        Step(
            "directory",
            "Connect your directory",
            directory_text,
            "admin.users",
            "See who is here",
            _any(select(User.id).where(User.source == AccountSource.LDAP)),
            optional=True,
        ),
        Step(
            "roles",
            "Grant roles to your IT staff",
            "Give agents, service owners and other administrators their roles.",
            "admin.users",
            "People and roles",
            _any(staff),
        ),
        Step(
            "groups",
            "Create groups and queues",
            "Assignment groups are the queues incidents and tasks are routed to; add their "
            "members.",
            "admin.groups",
            "Groups",
            _any(select(Group.id).where(Group.is_assignment_group)),
        ),
        Step(
            "routing",
            "Route new incidents",
            "Categories and routing rules send each new incident to the right queue.",
            "incidents.settings",
            "Incident settings",
            _any(select(RoutingRule.id)),
        ),
        Step(
            "calendars",
            "Set up business calendars",
            "Working hours and holidays that SLA clocks count on.",
            "sla.calendars",
            "Business calendars",
            _any(select(SlaCalendar.id)),
        ),
        Step(
            "policies",
            "Attach SLA policies to queues",
            "Response and resolution targets per priority, on a business calendar.",
            "sla.index",
            "Queues and policies",
            _any(select(SlaPolicy.id).where(SlaPolicy.is_active)),
        ),
        Step(
            "catalog",
            "Build the service catalog",
            "What employees can order: items, their forms, approvals and tasks.",
            "requests.admin_catalog",
            "Service catalog",
            _any(select(CatalogItem.id).where(CatalogItem.is_active)),
        ),
    ]

"""An administrator's first steps on a new desk, each ticked when the database shows it done.

A fresh production install holds one administrator and nothing else: no one to work tickets,
no queue, no calendar, policy, catalog item or routing rule, and nobody from the directory. The
administrator's home lists these steps with a link to the page that does each, in the order
they depend on each other (policies need queues and calendars, catalog items a queue).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
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
    directory_text = _(
        "Optional: set LDAP_URL and the other directory settings (see docs/directory.md), "
        "then run `flask ldap sync` so people, managers and groups come from your directory. "
        "Without one, create local accounts."
    )
    if directory_configured:
        directory_text = _(
            "The directory is configured: people appear here after their first sign-in or "
            "after `flask ldap sync`."
        )
    return [
        Step(
            "directory",
            _("Connect your directory"),
            directory_text,
            "admin.users",
            _("See who is here"),
            _any(select(User.id).where(User.source == AccountSource.LDAP)),
            optional=True,
        ),
        Step(
            "roles",
            _("Grant roles to your IT staff"),
            _("Give agents, service owners and other administrators their roles."),
            "admin.users",
            _("People and roles"),
            _any(staff),
        ),
        Step(
            "groups",
            _("Create groups and queues"),
            _(
                "Assignment groups are the queues incidents and tasks are routed to; add "
                "their members."
            ),
            "admin.groups",
            _("Groups"),
            _any(select(Group.id).where(Group.is_assignment_group)),
        ),
        Step(
            "routing",
            _("Route new incidents"),
            _("Categories and routing rules send each new incident to the right queue."),
            "incidents.settings",
            _("Incident settings"),
            _any(select(RoutingRule.id)),
        ),
        Step(
            "calendars",
            _("Set up business calendars"),
            _("Working hours and holidays that SLA clocks count on."),
            "sla.calendars",
            _("Business calendars"),
            _any(select(SlaCalendar.id)),
        ),
        Step(
            "policies",
            _("Attach SLA policies to queues"),
            _("Response and resolution targets per priority, on a business calendar."),
            "sla.index",
            _("Queues and policies"),
            _any(select(SlaPolicy.id).where(SlaPolicy.is_active)),
        ),
        Step(
            "catalog",
            _("Build the service catalog"),
            _("What employees can order: items, their forms, approvals and tasks."),
            "requests.admin_catalog",
            _("Service catalog"),
            _any(select(CatalogItem.id).where(CatalogItem.is_active)),
        ),
    ]

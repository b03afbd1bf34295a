"""What a viewer's dashboard covers: an agent their own work, a group manager their groups, a
service owner their services; an administrator every group and service.

A :class:`Reach` is a condition on tickets that every figure of the dashboard and every
drill-down list applies, so a figure and the tickets listed behind it never disagree and a list
never shows a ticket outside the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, false, select, true

from app.auth.models import Group, Role
from app.cmdb.classes.tree import of_class
from app.cmdb.graph.vocabulary import BUSINESS_SERVICE, Lifecycle
from app.cmdb.models import ConfigurationItem
from app.errors import Forbidden
from app.extensions import db
from app.i18n import N_
from app.policy import can
from app.reports.rollups.models import TicketFact

DASHBOARDS = {
    "agent": (N_("My work"), "reports.agent"),
    "groups": (N_("My groups"), "reports.groups"),
    "services": (N_("My services"), "reports.services"),
    "overview": (N_("Service desk overview"), "reports.overview"),
}


@dataclass(frozen=True)
class Reach:
    """The part of the desk one dashboard shows its viewer.

    ``groups`` and ``services`` are ``(id, name)`` pairs (``None``: no narrowing by them);
    ``assignee`` narrows to one person's tickets. ``console``: the viewer may use the agent
    console (else the drill-downs go to the reports' own ticket list).
    """

    dashboard: str
    groups: tuple[tuple[int, str], ...] | None = None
    services: tuple[tuple[int, str], ...] | None = None
    assignee: int | None = None
    console: bool = False

    @property
    def group_ids(self) -> list[int]:
        return [i for i, _ in self.groups or ()]

    @property
    def service_ids(self) -> list[int]:
        return [i for i, _ in self.services or ()]

    def condition(self) -> ColumnElement[bool]:
        """The tickets of this dashboard (before its filters), on their facts: a ticket is on
        a service when it names it as its affected service, as the measures count it."""
        conditions: list[ColumnElement[bool]] = []
        if self.assignee is not None:
            conditions.append(TicketFact.assignee_id == self.assignee)
        if self.groups is not None:
            conditions.append(TicketFact.group_id.in_(self.group_ids))
        if self.services is not None:
            names = [name for _, name in self.services]
            # No service: a constant false, which SQLite's planner skips the scan for.
            conditions.append(TicketFact.service.in_(names) if names else false())
        return and_(true(), *conditions)


def group_choices(manager_id: int | None) -> tuple[tuple[int, str], ...]:
    """The groups ``manager_id`` manages (``None``: every assignment group), by name."""
    query = select(Group.id, Group.name).order_by(Group.name)
    if manager_id is None:
        query = query.where(Group.is_assignment_group)
    else:
        query = query.where(Group.manager_id == manager_id)
    return tuple((i, n) for i, n in db.session.execute(query))


def service_choices(owner_id: int | None) -> tuple[tuple[int, str], ...]:
    """The business services ``owner_id`` owns (``None``: every one), retired ones left out."""
    query = (
        select(ConfigurationItem.id, ConfigurationItem.name)
        .where(of_class(BUSINESS_SERVICE), ConfigurationItem.status != Lifecycle.RETIRED)
        .order_by(ConfigurationItem.name)
    )
    if owner_id is not None:
        query = query.where(ConfigurationItem.owner_id == owner_id)
    return tuple((i, n) for i, n in db.session.execute(query))


def reach_of(dashboard: str, viewer: Any) -> Reach:
    """What ``dashboard`` covers for ``viewer``.

    :raise Forbidden: the viewer may not open this dashboard (it is not theirs).
    """
    if dashboard not in DASHBOARDS or not can(viewer, DASHBOARDS[dashboard][1]):
        raise Forbidden(_("This dashboard is not yours: you may not open it."))
    admin = viewer.has_role(Role.ADMIN)
    console = can(viewer, "incidents.console")
    if dashboard == "agent":
        return Reach(dashboard, assignee=viewer.id, console=console)
    if dashboard == "groups":
        groups = group_choices(None if admin else viewer.id)
        return Reach(dashboard, groups=groups, console=console)
    if dashboard == "services":
        services = service_choices(None if admin else viewer.id)
        return Reach(dashboard, services=services, console=console)
    return Reach(dashboard, console=console)

"""Incidents per CI and per service (the CMDB's top offenders) and MTTR per service."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, func, select

from app.cmdb.models import ConfigurationItem
from app.extensions import db
from app.incidents.models import incident_cis
from app.reports.measures.base import Figure, Point, day_range, filters
from app.reports.rollups.models import TicketFact
from app.reports.scope import Scope
from app.tickets.models import TicketKind

INCIDENT = TicketKind.INCIDENT.value


def incident_where(scope: Scope) -> list[ColumnElement[bool]]:
    """Incidents opened in the range that the scope's filters keep."""
    return [
        TicketFact.kind == INCIDENT,
        *day_range(TicketFact.opened_day, scope),
        *filters(TicketFact, scope),
    ]


def incidents_per_ci(scope: Scope, *, limit: int = 10) -> Figure:
    """The CIs with the most incidents opened in the range (``Point.key`` = CI id,
    ``extra['names']`` their names). An incident linked to two CIs counts for both."""
    linked = (
        select(incident_cis.c.ci_id, func.count().label("n"))
        .join(TicketFact, TicketFact.ticket_id == incident_cis.c.incident_id)
        .where(*incident_where(scope))
        .group_by(incident_cis.c.ci_id)
        .order_by(func.count().desc(), incident_cis.c.ci_id)
        .limit(limit)
    ).subquery()
    rows = db.session.execute(
        select(linked.c.ci_id, ConfigurationItem.name, linked.c.n)
        .join(ConfigurationItem, ConfigurationItem.id == linked.c.ci_id)
        .order_by(linked.c.n.desc(), linked.c.ci_id)
    ).all()
    series = tuple(Point(ci_id, float(n), int(n)) for ci_id, _, n in rows)
    total = db.session.scalar(
        select(func.count(func.distinct(TicketFact.ticket_id)))
        .join(incident_cis, incident_cis.c.incident_id == TicketFact.ticket_id)
        .where(*incident_where(scope))
    )
    names = {ci_id: name for ci_id, name, _ in rows}
    return Figure(
        "incidents_per_ci", float(total or 0), int(total or 0), "tickets", {}, series, "ci",
        {"names": names},
    )  # fmt: skip


def incidents_per_service(scope: Scope, *, limit: int = 10) -> Figure:
    """The services (an incident's affected service) with the most incidents opened in the
    range; incidents without a service are left out."""
    where = [*incident_where(scope), TicketFact.service != ""]
    rows = db.session.execute(
        select(TicketFact.service, func.count())
        .where(*where)
        .group_by(TicketFact.service)
        .order_by(func.count().desc(), TicketFact.service)
        .limit(limit)
    ).all()
    total = db.session.scalar(select(func.count()).where(*where).select_from(TicketFact))
    series = tuple(Point(name, float(n), int(n)) for name, n in rows)
    return Figure(
        "incidents_per_service", float(total or 0), int(total or 0), "tickets", {}, series,
        "service",
    )  # fmt: skip


def mttr(scope: Scope, *, basis: str = "wall") -> Figure:
    """Mean time to resolve incidents resolved in the range, per service (``Point.key`` =
    service name, value in seconds); the headline is the mean over all of them."""
    column = TicketFact.resolution_wall if basis == "wall" else TicketFact.resolution_business
    where = [
        TicketFact.kind == INCIDENT,
        *day_range(TicketFact.resolved_day, scope),
        *filters(TicketFact, scope),
    ]
    rows = db.session.execute(
        select(TicketFact.service, func.avg(column), func.count())
        .where(*where)
        .group_by(TicketFact.service)
        .order_by(TicketFact.service)
    ).all()
    count = sum(int(n) for _, _, n in rows)
    total = sum(float(mean) * int(n) for _, mean, n in rows)
    series = tuple(Point(s, round(float(m), 1), int(n)) for s, m, n in rows)
    value = round(total / count, 1) if count else None
    return Figure("mttr", value, count, "seconds", {}, series, "service", {"basis": basis})


def ci_incident_ids(scope: Scope, ci: int | None) -> Select:
    """Incidents opened in the range linked to the CI ``ci`` (None: to any CI)."""
    where = incident_where(scope)
    if ci is not None:
        where.append(incident_cis.c.ci_id == ci)
    return (
        select(TicketFact.ticket_id)
        .join(incident_cis, incident_cis.c.incident_id == TicketFact.ticket_id)
        .where(*where)
    )

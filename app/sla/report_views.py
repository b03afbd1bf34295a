"""Service owners' SLA reports: compliance, times, breaches, at-risk, trend chart, CSV export,
and the drill-down to one ticket's SLA explanation. Routes belong to the ``sla`` blueprint
(see ``create_app``); every table is limited to the reader's queues."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from app.auth.models import Group
from app.extensions import db
from app.policy import require
from app.sla import reports
from app.sla.models import SlaPolicy, TaskSla
from app.sla.permissions import visible_groups
from app.sla.services import sla_summaries
from app.sla.views import bp
from app.tickets.models import Ticket
from app.timeutils import utc_now

TABLES = ("compliance", "times", "breaches", "at_risk")
CHART_W, CHART_H, PAD = 640, 220, 36
YEAR = timedelta(days=366)
PAGE_MONTHS = 3


def reader_groups() -> list[Group]:
    query = select(Group).where(Group.is_assignment_group).order_by(Group.name)
    return list(db.session.scalars(visible_groups(current_user, query)).unique())


def _filters(groups: list[Group]) -> tuple[list[int], int, Group | None]:
    """Queue (one of the reader's, else all of them) and the at-risk horizon (1–168 h)."""
    ids = [g.id for g in groups]
    raw = request.args.get("queue", "")
    chosen = next((g for g in groups if raw.isdecimal() and g.id == int(raw)), None)
    hours = request.args.get("hours", 8, type=int) or 8
    return ([chosen.id] if chosen else ids), min(max(hours, 1), 168), chosen


def _rows(table: str, ids: list[int], hours: int) -> list[dict]:
    """One table of the page: compliance and times over the last twelve months."""
    now = utc_now()
    if table == "compliance":
        return reports.compliance(ids, since=now - YEAR)
    if table == "times":
        return reports.times(ids, since=now - YEAR)
    if table == "breaches":
        return reports.breaches(ids, limit=200)
    return reports.at_risk(ids, now, hours)


def chart(points: list[dict]) -> dict[str, Any]:
    """Coordinates of the trend chart (% met per month), drawn as inline SVG by the template:
    no script and no style attribute, so it works under the Content-Security-Policy."""
    usable = [p for p in points if p["percent_met"] is not None][-12:]
    if not usable:
        return {"points": [], "width": CHART_W, "height": CHART_H}
    step = (CHART_W - 2 * PAD) / max(len(usable) - 1, 1)
    plotted = []
    for i, p in enumerate(usable):
        x = PAD + i * step
        y = CHART_H - PAD - (CHART_H - 2 * PAD) * p["percent_met"] / 100
        plotted.append({**p, "x": round(x, 1), "y": round(y, 1)})
    return {
        "points": plotted,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in plotted),
        "width": CHART_W,
        "height": CHART_H,
        "grid": [
            {"label": f"{v} %", "y": round(CHART_H - PAD - (CHART_H - 2 * PAD) * v / 100, 1)}
            for v in (0, 50, 100)
        ],
        "pad": PAD,
    }


@bp.get("/reports")
@require("sla.reports")
def reports_page() -> ResponseReturnValue:
    groups = reader_groups()
    ids, hours, chosen = _filters(groups)
    tables = {table: _rows(table, ids, hours) for table in TABLES}
    trend = reports.trend_of(tables["compliance"])  # the same months, not read twice
    # The table shows the latest months (the chart all twelve, the CSV every row): an
    # administrator's forty queues would otherwise make a table of thousands of rows.
    recent = {t["month"] for t in trend[-PAGE_MONTHS:]}
    shown = [row for row in tables["compliance"] if row["month"] in recent]
    return render_template(
        "sla/reports.html",
        groups=groups,
        chosen=chosen,
        hours=hours,
        tables=tables | {"compliance": shown},
        compliance_months=len(trend),
        page_months=PAGE_MONTHS,
        chart=chart(trend),
        duration=reports.duration_text,
    )


@bp.get("/reports/<table>.csv")
@require("sla.reports")
def export_csv(table: str) -> ResponseReturnValue:
    if table not in TABLES:
        abort(404)
    ids, hours, _chosen = _filters(reader_groups())
    rows = _rows(table, ids, hours)
    out = io.StringIO()
    if rows:
        # Instants stay ISO 8601 in UTC for spreadsheets and scripts; the header says so.
        instants = {k for row in rows for k, v in row.items() if isinstance(v, datetime)}
        header = {k: f"{k} (UTC)" if k in instants else k for k in rows[0]}
        writer = csv.writer(out)
        writer.writerow(header.values())
        for row in rows:
            writer.writerow(_csv_value(row[k]) for k in header)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="sla-{table}.csv"'},
    )


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # no formula injection when the file is opened in a spreadsheet
    return value


@bp.get("/tickets/<number>")
@require("sla.reports")
def ticket_slas(number: str) -> ResponseReturnValue:
    """Drill-down: the SLAs of one ticket in the reader's queues, with their explanation."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number[:20]))
    if ticket is None:
        abort(404)
    visible = {g.id for g in reader_groups()}
    mine = (
        select(TaskSla.id)
        .join(SlaPolicy)
        .where(TaskSla.ticket_id == ticket.id, SlaPolicy.group_id.in_(visible))
    )
    allowed = set(db.session.scalars(mine))
    if not allowed:
        abort(404)
    slas = [s for s in sla_summaries([ticket.id])[ticket.id] if s.record_id in allowed]
    return render_template("sla/ticket.html", ticket=ticket, slas=slas)

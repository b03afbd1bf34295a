"""The dashboards under ``/reports/``: the index of those the viewer may open, one page per
role (agent, group manager, service owner, overview) and the list of the tickets behind a
figure. Each page checks its policy, reads its filters (bad ones: a 422 page saying why),
builds its figures and renders."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, select

from app import exports
from app.errors import Invalid, NotFound
from app.extensions import db
from app.i18n import N_
from app.incidents.filters import load_page
from app.policy import can, require
from app.reports import (
    permissions,  # noqa: F401  (registers the rules)
)
from app.reports.blueprint import bp
from app.reports.pages import sets
from app.reports.pages.charts import export_url, for_chart
from app.reports.pages.dashboards import BUILDERS, LIVE, Table
from app.reports.pages.filters import Choices, Filters, choices_for, parse_filters
from app.reports.pages.measured import MEASURES, measure_ids, measures
from app.reports.pages.reach import DASHBOARDS, Reach, reach_of
from app.reports.pages.sets import AGES, Context
from app.reports.rollups.shared import shared_daily
from app.reports.saved import services as saved_views
from app.reports.scope import report_day, report_zone
from app.tickets.matrix import load_matrix
from app.tickets.models import Ticket
from app.timeutils import utc_now
from app.ui import page_args

DESCRIPTIONS = {
    "agent": N_("Your open work, what is due soon or breaching, callers waiting for you."),
    "groups": N_("Queue health of the groups you manage: backlog, age, at risk, workload, trend."),
    "services": N_("Each service you own: open and major incidents, SLA, top configuration items."),
    "overview": N_("The service desk's figures across every group and service."),
}


@bp.get("/")
@require("reports.view")
def index() -> ResponseReturnValue:
    """The dashboards this person may open."""
    mine = [
        (key, _(title), _(DESCRIPTIONS[key]))
        for key, (title, action) in DASHBOARDS.items()
        if can(current_user, action)
    ]
    return render_template("reports/index.html", dashboards=mine)


def _filters(reach: Reach) -> tuple[Choices, Filters | None, Invalid | None]:
    choices = choices_for(reach)
    try:
        return choices, parse_filters(request.args, choices, today=report_day(utc_now())), None
    except Invalid as error:
        return choices, None, error


def _dashboard(name: str) -> ResponseReturnValue:
    reach = reach_of(name, current_user)
    choices, filters, error = _filters(reach)
    context: dict[str, Any] = {
        "name": name,
        "title": _(DASHBOARDS[name][0]),
        "description": _(DESCRIPTIONS[name]),
        "choices": choices,
        "entered": request.args,
        "error": error,
        "zone": report_zone(),
    }
    if filters is None:
        return render_template("reports/dashboard.html", **context), 422
    ctx = Context(reach, filters, utc_now())
    with shared_daily():  # the tiles, trend and measures share one read of the daily rollup
        board = BUILDERS[name](ctx, choices)
        if request.args.get("export"):
            return _export(name, board.tables, request.args["export"])
        measured = measures(ctx)
    charts = [(for_chart(name, t), t.kind, export_url(name, t, filters)) for t in board.tables]
    return render_template(
        "reports/dashboard.html",
        **context,
        filters=filters,
        board=board,
        charts=charts,
        measured=measured,
        saved_views=(
            saved_views.views_of(current_user, request.endpoint or "")
            if can(current_user, "reports.saved_views")
            else []
        ),
    )


def _export(name: str, tables: list[Table], key: str) -> ResponseReturnValue:
    """One table of the dashboard as a CSV or XLSX download.

    :raise NotFound: the dashboard has no table ``key``.
    :raise Invalid: an unknown format.
    """
    table = next((t for t in tables if t.key == key), None)
    if table is None:
        raise NotFound(_("This dashboard has no such table to download."))
    plain = for_chart(name, table, links=False)
    return exports.export_response(
        request.args.get("format"), f"{name}-{plain.key}", plain.columns, plain.rows
    )


def _route(name: str, action: str) -> None:
    """The dashboard ``name`` at ``/reports/<name>`` and the tickets behind its figures at
    ``/reports/<name>/tickets``, both under the dashboard's own policy."""

    def page() -> ResponseReturnValue:
        return _dashboard(name)

    def listing() -> ResponseReturnValue:
        return _tickets(name)

    page.__name__, listing.__name__ = name, f"{name}_tickets"
    page.__doc__ = DESCRIPTIONS[name]
    listing.__doc__ = f"The tickets behind one figure of {DASHBOARDS[name][0]}."
    bp.get(f"/{name}")(require(action)(page))
    bp.get(f"/{name}/tickets")(require(action)(listing))


def _ids(ctx: Context) -> tuple[Select, str]:
    """The ids of the tickets behind the figure the query string names, and its label.

    :raise Invalid: an unknown figure, a day outside the range, an unknown age band or id.
    """
    args = request.args
    if args.get("measure"):
        found = measure_ids(args["measure"], ctx)
        if found is None:
            raise Invalid({"measure": _("This dashboard shows no such measure.")})
        return found, _(MEASURES[args["measure"]].label)
    errors: dict[str, str] = {}
    dims: dict[str, Any] = {}
    if args.get("set") not in sets.SETS:
        errors["set"] = "Choose a figure of the dashboard to list its tickets."
    if args.get("day"):
        try:
            dims["day"] = date.fromisoformat(args["day"])
        except ValueError:
            errors["day"] = "The day is not a date (YYYY-MM-DD)."
        else:
            if not ctx.filters.start <= dims["day"] <= ctx.filters.end:
                errors["day"] = "The day is outside the range."
    if args.get("age"):
        if args["age"] not in {key for key, *_ in AGES}:
            errors["age"] = "Unknown age band."
        dims["age"] = args["age"]
    for key in ("assignee", "ci"):
        if args.get(key):
            if not args[key].isdigit() or int(args[key]) > 2**31 - 1:
                errors[key] = f"Unknown {key}."
            else:
                dims[key] = int(args[key])
    if errors:
        raise Invalid(errors, "This list cannot be made: " + " ".join(errors.values()))
    return sets.ticket_ids(args["set"], ctx, **dims), _(sets.SETS[args["set"]][0])


def _tickets(dashboard: str) -> ResponseReturnValue:
    """The tickets behind one figure of a dashboard (the ones it counts, no more)."""
    reach = reach_of(dashboard, current_user)
    choices, filters, error = _filters(reach)
    context: dict[str, Any] = {"name": dashboard, "title": _(DASHBOARDS[dashboard][0])}
    if filters is None:
        assert error is not None
        return render_template("reports/tickets.html", **context, error=error), 422
    ctx = Context(reach, filters, utc_now())
    try:
        ids, figure = _ids(ctx)
    except Invalid as bad:
        return render_template("reports/tickets.html", **context, error=bad), 422
    page, per_page = page_args()
    listed = select(Ticket.id).where(Ticket.id.in_(ids.order_by(None)))
    pagination = db.paginate(
        listed.order_by(Ticket.opened_at.desc(), Ticket.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    return render_template(
        "reports/tickets.html",
        **context,
        figure=figure,
        live=request.args.get("set") in LIVE,
        filters=filters,
        pagination=pagination,
        incidents=load_page(list(pagination.items)),
        matrix=load_matrix(),
    )


for _name, (_title, _action) in DASHBOARDS.items():
    _route(_name, _action)

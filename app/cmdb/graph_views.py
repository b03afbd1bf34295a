"""The graph view of a CI's neighbourhood (server-rendered SVG) and the what-if page."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from app.cmdb import analysis, layout
from app.cmdb.cache import current_graph
from app.cmdb.models import ConfigurationItem
from app.cmdb.views import bp, get_ci
from app.errors import Invalid
from app.extensions import db
from app.policy import require

MAX_WHAT_IF_SEARCH = 30


@bp.get("/<int:ci_id>/graph")
@require("cmdb.browse")
def graph(ci_id: int) -> ResponseReturnValue:
    """``depth`` 1–3 (out of range is clamped); ``impact=1`` colours what its failure hits."""
    ci = get_ci(ci_id)
    depth = min(max(request.args.get("depth", 2, type=int) or 2, 1), 3)
    show_impact = request.args.get("impact", "1") != "0"
    cmdb = current_graph()
    states: dict[int, str] = {}
    result = None
    if show_impact and ci.id in cmdb.graph:
        result = analysis.impact_of(ci.id)
        if result is not None:
            states = {a.ci_id: a.state.value for a in result.affected}
    picture = (
        layout.neighbourhood(cmdb.graph, ci.id, depth, states) if ci.id in cmdb.graph else None
    )
    return render_template(
        "cmdb/graph.html",
        ci=ci,
        depth=depth,
        show_impact=show_impact,
        picture=picture,
        impact=result,
    )


@bp.get("/what-if")
@require("cmdb.browse")
def what_if() -> ResponseReturnValue:
    """Pick CIs (``ci`` ids, repeated) and see what their failure together would hit."""
    raw_ids = request.args.getlist("ci")
    ids = [int(i) for i in raw_ids if i.isdigit()][: analysis.MAX_WHAT_IF + 1]
    search = (request.args.get("q") or "").strip()[:200]
    picked = []
    if ids:
        picked = list(
            db.session.scalars(
                select(ConfigurationItem)
                .where(ConfigurationItem.id.in_(ids))
                .order_by(ConfigurationItem.name)
            )
        )
    found = []
    if search:
        found = list(
            db.session.scalars(
                select(ConfigurationItem)
                .where(func.lower(ConfigurationItem.name).contains(search.lower(), autoescape=True))
                .order_by(ConfigurationItem.name)
                .limit(MAX_WHAT_IF_SEARCH)
            )
        )
    result, problem, status = None, None, 200
    if raw_ids:
        try:
            if len(ids) != len(raw_ids[: analysis.MAX_WHAT_IF + 1]):
                raise Invalid({"ci": "Some picked CIs are not valid."})
            result = analysis.what_if(ids)
        except Invalid as error:
            problem, status = error.message, 422
    page = render_template(
        "cmdb/what_if.html",
        picked=picked,
        picked_ids=[c.id for c in picked],
        found=found,
        search=search,
        impact=result,
        problem=problem,
        limit=analysis.MAX_WHAT_IF,
    )
    return page, status

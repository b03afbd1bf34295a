"""The graph of a CI's neighbourhood and the what-if page.

The graph page draws the neighbourhood twice from one layout: as a server-rendered SVG (the
view without script, and the printable one: ``print=1``) and, through ``graph.json``, as an
interactive Cytoscape.js view (``static/js/cmdb-graph.js``) that replaces the SVG when script
runs. Impact is computed by :mod:`app.cmdb.analysis` with the administrators' lifecycle settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.cmdb import analysis
from app.cmdb.graph import layout, neighbourhood
from app.cmdb.models import CIClass, ConfigurationItem
from app.cmdb.views import bp, get_ci
from app.errors import Invalid
from app.extensions import db
from app.policy import require

# The graph cache and the impact engines (numpy, networkx) load on the first graph or
# what-if page, not when a worker starts (issue 20).
if TYPE_CHECKING:
    from app.cmdb.impact.reference import ImpactResult

# What cmdb-graph.js shows (``dgText``), with ``%(name)s`` placeholders the script fills.
JS_MESSAGES = {
    "cmdb.graph.ignored": _l(
        "%(name)s is not counted by impact analysis in its lifecycle status (see the CMDB "
        "settings), so its failure hits nothing."
    ),
    "cmdb.graph.fails_one": _l(
        "If %(name)s fails: %(count)s CI affected (%(down)s down, %(degraded)s degraded)"
    ),
    "cmdb.graph.fails_many": _l(
        "If %(name)s fails: %(count)s CIs affected (%(down)s down, %(degraded)s degraded)"
    ),
    "cmdb.graph.beyond": _l(", %(count)s of them beyond this view. "),
    "cmdb.graph.services": _l("Services: %(services)s. "),
    "cmdb.graph.no_service": _l("No business service is affected. "),
    "cmdb.graph.people": _l("People: %(affected)s affected, %(cut)s cut off."),
    "cmdb.graph.hidden": _l(
        "Impact hidden: switch it on to see what the failure of %(name)s would hit."
    ),
    "cmdb.graph.failed": _l(
        "The interactive graph could not be loaded; this drawing shows the same CIs."
    ),
    "cmdb.graph.up_while": _l("up while %(rule)s"),
    "cmdb.state.down": _l("down"),
    "cmdb.state.degraded": _l("degraded"),
    "cmdb.status.planned": _l("Planned"),
    "cmdb.status.in_service": _l("In service"),
    "cmdb.status.in_maintenance": _l("In maintenance"),
    "cmdb.status.retired": _l("Retired"),
}

MAX_WHAT_IF_SEARCH = 30


def _depth() -> int:
    """``depth`` 1–3 from the query string (out of range is clamped, junk means 2)."""
    return min(max(request.args.get("depth", 2, type=int) or 2, 1), 3)


def _neighbourhood(
    ci: ConfigurationItem, depth: int, with_impact: bool
) -> tuple[layout.Picture | None, ImpactResult | None]:
    """The laid-out neighbourhood (``None``: the CI is not in the graph) and, if asked, the
    impact of the CI failing, whose states colour the picture.

    Both come from the cached compact index: the CIs shown are found on it
    (:func:`app.cmdb.graph.neighbourhood.around`), never on a networkx graph of the whole CMDB."""
    from app.cmdb.cache import current_graph

    cmdb = current_graph()
    if ci.id not in cmdb:
        return None, None
    result = analysis.impact_of(ci.id, cmdb=cmdb) if with_impact else None  # same revision
    states = {a.ci_id: a.state.value for a in result.affected} if result else {}
    return layout.draw(neighbourhood.around(cmdb.index, ci.id, depth), states), result


@bp.get("/<int:ci_id>/graph")
@require("cmdb.browse")
def graph(ci_id: int) -> ResponseReturnValue:
    """``depth`` 1–3; ``impact=0`` leaves the impact out; ``print=1`` only the SVG."""
    ci = get_ci(ci_id)
    depth = _depth()
    show_impact = request.args.get("impact", "1") != "0"
    picture, result = _neighbourhood(ci, depth, show_impact)
    return render_template(
        "cmdb/graph.html",
        ci=ci,
        depth=depth,
        show_impact=show_impact,
        printable=request.args.get("print") == "1",
        picture=picture,
        impact=result,
    )


@bp.get("/<int:ci_id>/graph.json")
@require("cmdb.browse")
def graph_data(ci_id: int) -> ResponseReturnValue:
    """The neighbourhood (``depth`` 1–3, at most ``layout.MAX_NODES`` CIs) with links, and the
    impact of the CI failing (see :func:`app.cmdb.graph.data.neighbourhood_data`)."""
    ci = get_ci(ci_id)
    depth = _depth()
    picture, result = _neighbourhood(ci, depth, True)
    if picture is None:
        return jsonify({"centre": str(ci.id), "depth": depth, "nodes": [], "edges": []})
    ids = [n.ci_id for n in picture.nodes]
    class_labels = dict(
        db.session.execute(
            select(ConfigurationItem.id, CIClass.label)
            .join(CIClass, CIClass.id == ConfigurationItem.class_id)
            .where(ConfigurationItem.id.in_(ids))
        ).all()
    )

    def links(node_id: int) -> dict[str, str]:
        return {
            "url": url_for("cmdb.detail", ci_id=node_id),
            "graph_url": url_for("cmdb.graph", ci_id=node_id, depth=depth),
        }

    from app.cmdb.graph.data import neighbourhood_data

    data = neighbourhood_data(picture, result, links=links, class_labels=class_labels)
    return jsonify({**data, "depth": depth})


@bp.get("/what-if")
@require("cmdb.browse")
def what_if() -> ResponseReturnValue:
    """Pick CIs (``ci`` ids, repeated) and see what their failure together would hit."""
    raw_ids = request.args.getlist("ci")
    ids = [int(i) for i in raw_ids if i.isdecimal()][: analysis.MAX_WHAT_IF + 1]
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
                raise Invalid({"ci": _("Some picked CIs are not valid.")})
            result = analysis.what_if(ids)
        except Invalid as error:
            problem, status = error.message, 422
    groups = []
    if result is not None:
        from app.cmdb.impact.groups import group_by_class

        labels = dict(db.session.execute(select(CIClass.name, CIClass.label)).all())
        groups = group_by_class(result.affected, labels)
    page = render_template(
        "cmdb/what_if.html",
        groups=groups,
        picked=picked,
        picked_ids=[c.id for c in picked],
        found=found,
        search=search,
        impact=result,
        problem=problem,
        limit=analysis.MAX_WHAT_IF,
    )
    return page, status

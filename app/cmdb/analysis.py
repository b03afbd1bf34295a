"""Impact questions asked of the cached CMDB graph, for incidents and the CMDB pages.

``offer_impact`` maps a computed impact onto the incident impact scale (1 high, 2 medium,
3 low):

* **1 (high)**: a business service is *down* and has at least :data:`HIGH_USERS` users, or at
  least :data:`HIGH_USERS` people are cut off (down services' users plus assigned users of
  down end-user assets).
* **2 (medium)**: any business service is affected (down or degraded), or at least
  :data:`MEDIUM_PEOPLE` people are affected.
* **3 (low)**: something is affected, but no business service and few people.
* ``None``: no known CI, or every named CI is ignored (retired or planned): nothing to offer.

Every question is answered by the compact engine (:mod:`app.cmdb.impact.engine`) on the
cached index: the same answers as the networkx engine, without building the networkx graph
(bench/cmdb_estate.py compares them). ``options`` (lifecycle treatments) default to what the
administrators configured (:func:`app.cmdb.settings.impact_options`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from app.cmdb.graph.vocabulary import Dependency, ImpactOptions, Path, towards
from app.cmdb.settings import impact_options
from app.errors import Invalid

# The cache and the engines (numpy, networkx) load on the first question, not when a
# worker starts (issue 20): only the functions below import them.
if TYPE_CHECKING:
    from app.cmdb.cache import CMDBGraph
    from app.cmdb.impact.reference import ImpactResult

HIGH_USERS = 25
MEDIUM_PEOPLE = 5
MAX_WHAT_IF = 50
"""Most CIs an agent can pick on the what-if page (the engine allows more; a person cannot
read the answer)."""
MAX_NAMES = 1000


def impact_of_ci_names(
    names: Iterable[str], options: ImpactOptions | None = None
) -> ImpactResult | None:
    """The impact of the CIs with these names failing together (names as incidents hold them:
    case-insensitive; unknown names are ignored; a name shared by CIs of several classes
    means all of them). ``None`` when no name is known."""
    from app.cmdb.cache import current_graph

    wanted = [n for n in names if n][:MAX_NAMES]
    return impact_of_cis(current_graph().ids_for(wanted), options)


def impact_of_cis(
    ci_ids: Iterable[int], options: ImpactOptions | None = None
) -> ImpactResult | None:
    """The impact of these CIs failing together (an incident's CIs); ids no longer in the
    graph are ignored. ``None`` when none is known."""
    from app.cmdb.cache import current_graph
    from app.cmdb.impact.engine import impact

    cmdb = current_graph()
    ids = [i for i in dict.fromkeys(ci_ids) if i in cmdb][:MAX_NAMES]
    if not ids:
        return None
    options = options or impact_options()
    return impact(cmdb.index, ids[: options.max_cis], options)


def offer_impact(result: ImpactResult | None) -> int | None:
    """The incident impact (1–3) to offer for a computed impact; see the module docstring."""
    from app.cmdb.impact.reference import State

    if result is None or not result.affected:
        return None
    brief = result.brief_services()
    down_service_users = max((s.users for s in brief if s.state is State.DOWN), default=0)
    if down_service_users >= HIGH_USERS or result.people.cut_off >= HIGH_USERS:
        return 1
    if brief or result.people.affected >= MEDIUM_PEOPLE:
        return 2
    return 3


def what_if(ci_ids: Iterable[int], options: ImpactOptions | None = None) -> ImpactResult:
    """The impact of these CIs failing together, before anything breaks.

    :raise Invalid: no CI, more than :data:`MAX_WHAT_IF`, or an id not in the CMDB.
    """
    from app.cmdb.cache import current_graph
    from app.cmdb.impact.engine import impact

    wanted = list(dict.fromkeys(ci_ids))
    if not wanted:
        raise Invalid({"ci": _("Pick at least one CI.")})
    if len(wanted) > MAX_WHAT_IF:
        raise Invalid({"ci": _("Pick at most %(count)s CIs at once.", count=MAX_WHAT_IF)})
    cmdb = current_graph()
    unknown = [i for i in wanted if i not in cmdb]
    if unknown:
        raise Invalid({"ci": _("%(count)s of the picked CIs no longer exist.", count=len(unknown))})
    return impact(cmdb.index, wanted, options or impact_options())


def impact_of(
    ci_id: int, options: ImpactOptions | None = None, cmdb: CMDBGraph | None = None
) -> ImpactResult | None:
    """The impact of one CI failing (``None``: not in the graph), on ``cmdb`` when given (a
    view that also draws from the graph passes the one it drew from), else the current one."""
    from app.cmdb.cache import current_graph
    from app.cmdb.impact.engine import impact

    cmdb = current_graph() if cmdb is None else cmdb
    if ci_id not in cmdb:
        return None
    return impact(cmdb.index, [ci_id], options or impact_options())


def upstream_of(
    ci_id: int, limit: int = 200, options: ImpactOptions | None = None
) -> tuple[Dependency, ...]:
    """What a CI needs, nearest first (at most ``limit``)."""
    from app.cmdb.cache import current_graph
    from app.cmdb.impact.engine import upstream

    cmdb = current_graph()
    if ci_id not in cmdb:
        return ()
    return upstream(cmdb.index, ci_id, options or impact_options())[:limit]


def upstream_names(
    names: Iterable[str], limit: int = 500, options: ImpactOptions | None = None
) -> dict[str, str]:
    """For correlation: every CI the named CIs need, as ``{lower-cased name: explanation}``.

    An incident naming ``wms-app-02`` is probably a child of an open incident naming
    ``esx-rtm-02`` when ``"esx-rtm-02"`` is a key here; the value says why, in the direction of
    a failure ("esx-rtm-02 -(member of)-> esx-cluster-rtm -(hosts)-> wms-app-02"). The named CIs
    themselves are left out; unknown names are ignored; the nearest ``limit`` CIs are kept.
    """
    from app.cmdb.cache import current_graph

    cmdb = current_graph()
    ids = cmdb.ids_for([n for n in names if n][:MAX_NAMES])
    index = cmdb.index
    found = _needs(cmdb, ids, options, lambda node: index.names[node].lower())
    nearest = sorted(found.items(), key=lambda item: (item[1][0], item[0]))[:limit]
    return {name: path.describe() for name, (_, path) in nearest}


def upstream_of_cis(
    ci_ids: Iterable[int], limit: int = 500, options: ImpactOptions | None = None
) -> dict[int, Path]:
    """For correlation: every CI these CIs need, as ``{ci id: the path a failure of it would
    travel to them}``, nearest first (see :func:`upstream_names`; ids no longer in the graph
    are ignored)."""
    from app.cmdb.cache import current_graph

    cmdb = current_graph()
    ids = [i for i in dict.fromkeys(ci_ids) if i in cmdb][:MAX_NAMES]
    index = cmdb.index
    found = _needs(cmdb, ids, options, lambda node: index.ids[node])
    nearest = sorted(found.items(), key=lambda item: (item[1][0], index.names[index.node(item[0])]))
    return {ci_id: path for ci_id, (_, path) in nearest[:limit]}


def _needs(
    cmdb: CMDBGraph, ids: list[int], options: ImpactOptions | None, key_of: Any
) -> dict[Any, tuple[int, Path]]:
    """What the CIs ``ids`` need: ``{key_of(node): (depth, path)}``, the nearest kept."""
    from app.cmdb.impact.engine import walk_needs

    index = cmdb.index
    options = options or impact_options()
    starts = [index.node(i) for i in ids]
    skip = index.ignored(options)
    found: dict[Any, tuple[int, Path]] = {}
    for start in starts[: options.max_cis]:
        depth, needed_by = walk_needs(index, start, skip)
        for node, d in depth.items():
            if d == 0 or node in starts:
                continue
            key = key_of(node)
            if key in found and found[key][0] <= d:
                continue
            found[key] = (d, index.path(towards(needed_by, node)))
    return found

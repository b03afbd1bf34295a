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
"""

from __future__ import annotations

from collections.abc import Iterable

from app.cmdb.cache import current_graph
from app.cmdb.graph import Dependency, ImpactOptions, make_path, upstream, walk_needs
from app.cmdb.impact import ImpactResult, State, impact
from app.errors import Invalid

HIGH_USERS = 25
MEDIUM_PEOPLE = 5
MAX_WHAT_IF = 50
"""Most CIs an agent can pick on the what-if page (the engine allows more; a person cannot
read the answer)."""
MAX_NAMES = 1000


def impact_of_ci_names(names: Iterable[str]) -> ImpactResult | None:
    """The impact of the CIs with these names failing together (names as incidents hold them:
    case-insensitive; unknown names are ignored; a name shared by CIs of several classes
    means all of them). ``None`` when no name is known."""
    wanted = [n for n in names if n][:MAX_NAMES]
    cmdb = current_graph()
    ids = cmdb.ids_for(wanted)
    if not ids:
        return None
    return impact(cmdb.graph, ids[: ImpactOptions().max_cis])


def offer_impact(result: ImpactResult | None) -> int | None:
    """The incident impact (1–3) to offer for a computed impact; see the module docstring."""
    if result is None or not result.affected:
        return None
    down_service_users = max((s.users for s in result.services if s.state is State.DOWN), default=0)
    if down_service_users >= HIGH_USERS or result.people.cut_off >= HIGH_USERS:
        return 1
    if result.services or result.people.affected >= MEDIUM_PEOPLE:
        return 2
    return 3


def what_if(ci_ids: Iterable[int]) -> ImpactResult:
    """The impact of these CIs failing together, before anything breaks.

    :raise Invalid: no CI, more than :data:`MAX_WHAT_IF`, or an id not in the CMDB.
    """
    wanted = list(dict.fromkeys(ci_ids))
    if not wanted:
        raise Invalid({"ci": "Pick at least one CI."})
    if len(wanted) > MAX_WHAT_IF:
        raise Invalid({"ci": f"Pick at most {MAX_WHAT_IF} CIs at once."})
    cmdb = current_graph()
    unknown = [i for i in wanted if i not in cmdb.graph.graph["cis"]]
    if unknown:
        raise Invalid({"ci": f"{len(unknown)} of the picked CIs no longer exist."})
    return impact(cmdb.graph, wanted)


def impact_of(ci_id: int) -> ImpactResult | None:
    """The impact of one CI failing (``None``: not in the graph)."""
    cmdb = current_graph()
    if ci_id not in cmdb.graph.graph["cis"]:
        return None
    return impact(cmdb.graph, [ci_id])


def upstream_of(ci_id: int, limit: int = 200) -> tuple[Dependency, ...]:
    """What a CI needs, nearest first (at most ``limit``)."""
    cmdb = current_graph()
    if ci_id not in cmdb.graph.graph["cis"]:
        return ()
    return upstream(cmdb.graph, ci_id)[:limit]


def upstream_names(names: Iterable[str], limit: int = 500) -> dict[str, str]:
    """For correlation: every CI the named CIs need, as ``{lower-cased name: explanation}``.

    An incident naming ``wms-app-02`` is probably a child of an open incident naming
    ``esx-rtm-02`` when ``"esx-rtm-02"`` is a key here; the value says why, in the direction of
    a failure ("esx-rtm-02 -(member of)-> esx-cluster-rtm -(hosts)-> wms-app-02"). The named CIs
    themselves are left out; unknown names are ignored; the nearest ``limit`` CIs are kept.
    """
    cmdb = current_graph()
    starts = cmdb.ids_for([n for n in names if n][:MAX_NAMES])
    found: dict[str, tuple[int, str]] = {}
    options = ImpactOptions()
    cis = cmdb.graph.graph["cis"]
    for start in starts[: options.max_cis]:
        depth, needed_by = walk_needs(cmdb.graph, start, options)
        for ci_id, d in depth.items():
            if d == 0 or ci_id in starts:
                continue
            key = cis[ci_id].name.lower()
            if key in found and found[key][0] <= d:
                continue
            chain = [ci_id]
            while (nxt := needed_by[chain[-1]]) is not None:
                chain.append(nxt)
            found[key] = (d, make_path(cmdb.graph, chain).describe())
    nearest = sorted(found.items(), key=lambda item: (item[1][0], item[0]))[:limit]
    return {name: explanation for name, (_, explanation) in nearest}

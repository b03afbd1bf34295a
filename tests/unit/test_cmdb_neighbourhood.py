"""The graph page's neighbourhood found on the compact index is the one the whole networkx
graph gives: the same CIs (picked the same way under the cap), the same relations among them
with the same attributes, and the same picture.

Property tests draw random CMDBs (cycles, pairs related both ways, relation types that spread
one way, both ways or not at all, names shared by several CIs, int and string ids mixed); the
golden test walks the demo estate of Kestrel Freight.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cmdb.demo_estate import build_estate
from app.cmdb.graph import layout
from app.cmdb.graph.neighbourhood import around
from app.cmdb.graph.vocabulary import (
    CI,
    DEFAULT_RELATION_TYPES,
    Propagation,
    Redundancy,
    RelationType,
    build_graph,
)
from app.cmdb.impact.index import compact_from_cis
from app.cmdb.impact.reference import impact

DEMO = Path(__file__).resolve().parents[2] / "demo"
TYPES = {
    **DEFAULT_RELATION_TYPES,
    "peer_of": RelationType("peer_of", "peer of", "peer of", Propagation.BOTH),
    "documents": RelationType("documents", "documents", "documented by", Propagation.NONE),
    "backs": RelationType("backs", "backs", "backed by", Propagation.BOTH, membership=True),
}
CLASSES = ["business_service", "application", "cluster", "server"]
RULES = [None, None, Redundancy(min_up=1), Redundancy(min_up_percent=50)]


@st.composite
def cmdbs(draw: st.DrawFn) -> tuple[list[CI], list[tuple[object, object, str]]]:
    size = draw(st.integers(1, 30))
    kind = draw(st.sampled_from(["int", "str", "mixed"]))
    ids: list[object] = [
        i if kind == "int" or (kind == "mixed" and i % 2) else f"ci-{i:02}" for i in range(size)
    ]
    names = st.sampled_from([f"name-{i}" for i in range(max(2, size * 2 // 3))])  # some shared
    cis = [
        CI(
            ci_id,
            draw(names),
            draw(st.sampled_from(CLASSES)),
            status=draw(st.sampled_from(["in_service", "in_service", "retired", "planned"])),
            redundancy=draw(st.sampled_from(RULES)),
        )
        for ci_id in ids
    ]
    picks = st.tuples(
        st.integers(0, size - 1), st.integers(0, size - 1), st.sampled_from(sorted(TYPES))
    )
    relations = {
        (ids[s], ids[t], k) for s, t, k in draw(st.lists(picks, max_size=4 * size)) if s != t
    }
    return cis, sorted(relations, key=str)


def assert_same_neighbourhood(graph, compact, centre, depth, max_nodes, states):
    """Both ways find the same CIs in the same order, and the small graph is the whole graph's
    subgraph on them, attributes and order included; the pictures are equal."""
    whole = layout.around(graph, centre, depth, max_nodes)
    small = around(compact, centre, depth, max_nodes)
    assert list(small.distance.items()) == list(whole.distance.items())
    assert small.truncated == whole.truncated
    assert (small.centre, small.depth) == (centre, depth)
    shown = set(whole.distance)
    nodes = [(n, graph.nodes[n]) for n in graph if n in shown]
    edges = [(s, t, d) for s, t, d in graph.edges(data=True) if s in shown and t in shown]
    assert list(small.graph.nodes(data=True)) == nodes  # in the whole graph's order
    assert list(small.graph.edges(data=True)) == edges
    for hops in ("spreads_to", "reached_from"):
        restricted = {
            u: tuple((v, k) for v, k in found if v in shown)
            for u, found in graph.graph[hops].items()
            if u in shown
        }
        assert small.graph.graph[hops] == {u: h for u, h in restricted.items() if h}
    picture = layout.draw(small, states)
    assert picture == layout.neighbourhood(graph, centre, depth, states, max_nodes)
    return picture


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cmdbs(), st.data())
def test_random_cmdbs_give_the_same_neighbourhood_either_way(cmdb, data):
    cis, relations = cmdb
    graph = build_graph(cis, relations, TYPES)
    compact = compact_from_cis(cis, relations, TYPES)
    ids = [c.id for c in cis]
    max_nodes = data.draw(st.sampled_from([1, 2, 5, 12, layout.MAX_NODES]))
    failing = data.draw(st.lists(st.sampled_from(ids), max_size=3))
    states = {a.ci_id: a.state.value for a in impact(graph, failing).affected} if failing else {}
    for centre in ids:
        for depth in (1, 2, 3):
            assert_same_neighbourhood(graph, compact, centre, depth, max_nodes, states)


def chain_with_a_cycle_and_both_ways():
    """a -runs on-> b -runs on-> c -depends on-> a (a cycle); b and c are also related the
    other way (c member of b); d documents a (a relation no failure crosses); e is far."""
    cis = [CI(x, f"ci-{x}", "server") for x in "abcdef"]
    relations = [
        ("a", "b", "runs_on"),
        ("b", "c", "runs_on"),
        ("c", "a", "depends_on"),
        ("c", "b", "member_of"),
        ("d", "a", "documents"),
        ("d", "e", "depends_on"),
        ("e", "f", "depends_on"),
    ]
    return build_graph(cis, relations, TYPES), compact_from_cis(cis, relations, TYPES)


def test_relations_both_ways_cycles_and_silent_relations_are_kept():
    graph, compact = chain_with_a_cycle_and_both_ways()
    found = around(compact, "a", 1)
    assert dict(found.distance) == {"a": 0, "b": 1, "c": 1, "d": 1}  # d only by "documents"
    edges = {(s, t): data["types"] for s, t, data in found.graph.edges(data=True)}
    assert edges == {
        ("a", "b"): ("runs_on",),
        ("b", "c"): ("runs_on",),
        ("c", "a"): ("depends_on",),
        ("c", "b"): ("member_of",),
        ("d", "a"): ("documents",),
    }
    assert dict(around(compact, "a", 2).distance) == {"a": 0, "b": 1, "c": 1, "d": 1, "e": 2}
    for depth in (1, 2, 3):
        assert_same_neighbourhood(graph, compact, "d", depth, layout.MAX_NODES, {})


def test_the_cap_keeps_the_first_names_and_says_it_cut():
    hub = [CI("hub", "hub", "cluster")]
    members = [CI(f"m{i:03d}", f"m{i:03d}", "server") for i in range(200)]
    relations = [(m.id, "hub", "member_of") for m in members]
    compact = compact_from_cis(hub + members, relations)
    found = around(compact, "hub", 1, max_nodes=30)
    assert found.truncated
    assert list(found.distance) == ["hub", *(f"m{i:03d}" for i in range(29))]
    assert found.graph.number_of_nodes() == 30
    assert found.graph.number_of_edges() == 29
    assert not around(compact, "m007", 2, max_nodes=300).truncated


def test_bad_depth_and_unknown_centre_are_refused_as_the_whole_graph_way_refuses_them():
    graph, compact = chain_with_a_cycle_and_both_ways()
    for depth in (0, 4):
        with pytest.raises(ValueError, match="depth must be 1, 2 or 3"):
            around(compact, "a", depth)
    with pytest.raises(ValueError, match="no CI 'nobody' in the CMDB graph"):
        around(compact, "nobody", 1)
    with pytest.raises(ValueError, match="no CI 'nobody' in the CMDB graph"):
        layout.around(graph, "nobody", 1)


def demo_estate():
    """The full demo estate (about 2,250 CIs) as CIs and relations, ids by name order."""
    core = json.loads((DEMO / "cmdb.json").read_text(encoding="utf-8"))
    people = json.loads((DEMO / "organisation.json").read_text(encoding="utf-8"))["people"]
    estate = build_estate(core, people)
    rows = core["cis"] + estate["cis"]
    ids = {row["name"]: i for i, row in enumerate(rows, start=1)}
    cis = [
        CI(
            ids[row["name"]],
            row["name"],
            row["class"],
            status=row.get("status") or "in_service",
            redundancy=(
                Redundancy(row.get("min_up"), row.get("min_up_percent"))
                if row.get("min_up") or row.get("min_up_percent")
                else None
            ),
            users=row.get("users") or 0,
        )
        for row in rows
    ]
    relations = [(ids[s], ids[t], k) for s, k, t in core["relations"] + estate["relations"]]
    return cis, relations


def test_the_demo_estate_gives_the_same_pictures_either_way():
    cis, relations = demo_estate()
    compact = compact_from_cis(cis, relations)
    graph = compact.to_networkx()  # what the graph page laid out before
    degree = dict(graph.degree)
    hubs = sorted(degree, key=lambda c: -degree[c])[:10]
    truncated = 0
    for centre in [*hubs, *list(graph)[::15]]:
        states = {a.ci_id: a.state.value for a in impact(graph, [centre]).affected}
        for depth in (1, 2, 3):
            picture = assert_same_neighbourhood(
                graph, compact, centre, depth, layout.MAX_NODES, states
            )
            truncated += picture.truncated
    assert truncated  # the cap was reached somewhere, and cut the same way

"""The compact engine gives exactly the networkx engine's answers.

Property tests draw random CMDBs (cycles, redundancy groups with counts and percentages,
membership and plain links to the same group, relation types that spread both ways or not at
all, every lifecycle status under every treatment, services with and without user ids,
assigned users, int and string ids mixed) and compare whole results: affected CIs with their
states, depths and explaining paths, services with paths and redundancy decisions, people,
upstream dependencies and root-cause candidates. Golden tests do the same on the real
microservice graphs in ../shared/data, as they are and with redundancy groups added.
"""

from __future__ import annotations

import random
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cmdb.graph.vocabulary import (
    CI,
    DEFAULT_RELATION_TYPES,
    ImpactOptions,
    Lifecycle,
    Propagation,
    Redundancy,
    RelationType,
    Treatment,
    build_graph,
    upstream,
)
from app.cmdb.impact import engine as fast
from app.cmdb.impact import reference
from app.cmdb.impact.index import build_compact, compact_from_cis

GRAPHS = Path(__file__).resolve().parents[3] / "shared" / "data" / "cmdb"
GRAPHS = GRAPHS / "microservice-dependency-graphs"
TYPES = {
    **DEFAULT_RELATION_TYPES,
    "peer_of": RelationType("peer_of", "peer of", "peer of", Propagation.BOTH),
    "documents": RelationType("documents", "documents", "documented by", Propagation.NONE),
    "backs": RelationType("backs", "backs", "backed by", Propagation.BOTH, membership=True),
}
CLASSES = ["business_service", "application", "cluster", "server", "workstation"]
RULES = [None, None, Redundancy(min_up=1), Redundancy(min_up=2), Redundancy(min_up_percent=50)]
STATUS_WEIGHTS = [Lifecycle.IN_SERVICE] * 5 + list(Lifecycle)


@st.composite
def cmdbs(draw: st.DrawFn) -> tuple[list[CI], list[tuple[object, object, str]]]:
    size = draw(st.integers(1, 18))
    kind = draw(st.sampled_from(["int", "str", "mixed"]))
    ids: list[object] = [
        i if kind == "int" or (kind == "mixed" and i % 2) else f"ci-{i:02}" for i in range(size)
    ]
    cis = []
    for i, ci_id in enumerate(ids):
        ci_class = draw(st.sampled_from(CLASSES))
        service = ci_class == "business_service"
        user_ids = draw(st.none() | st.frozensets(st.sampled_from("abcdef"))) if service else None
        cis.append(
            CI(
                ci_id,
                f"name-{i}",
                ci_class,
                status=draw(st.sampled_from(STATUS_WEIGHTS)),
                redundancy=draw(st.sampled_from(RULES)),
                users=draw(st.integers(0, 40)) if service else 0,
                user_ids=user_ids,
                assigned_user=draw(st.none() | st.sampled_from("adxyz")),
            )
        )
    picks = st.tuples(
        st.integers(0, size - 1), st.integers(0, size - 1), st.sampled_from(sorted(TYPES))
    )
    relations = {
        (ids[s], ids[t], k) for s, t, k in draw(st.lists(picks, max_size=3 * size)) if s != t
    }
    return cis, sorted(relations, key=str)


options = st.builds(
    ImpactOptions,
    planned=st.sampled_from(list(Treatment)),
    in_maintenance=st.sampled_from(list(Treatment)),
    retired=st.sampled_from(list(Treatment)),
)


def both(cis, relations, types=TYPES):
    return build_graph(cis, relations, types), compact_from_cis(cis, relations, types)


def assert_same_answers(graph, compact, failing_sets, options=ImpactOptions()):
    for failing in failing_sets:
        expected = reference.impact(graph, failing, options)
        found = fast.impact(compact, failing, options)
        assert found.brief_services() == expected.brief_services()  # before any path is made
        assert found == expected
        assert [s.path for s in found.services] == [s.path for s in expected.services]
        read_backwards = fast.impact(compact, failing, options)  # paths made on read, any order
        for lazy, tuple_ in ((read_backwards.services, expected.services),
                             (read_backwards.decisions, expected.decisions)):  # fmt: skip
            assert [lazy[i] for i in reversed(range(len(lazy)))] == list(reversed(tuple_))
        for a in found.affected:
            assert found.explain(compact, a.ci_id) == expected.explain(graph, a.ci_id)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cmdbs(), options, st.data())
def test_random_cmdbs_get_the_same_impact_upstream_and_root_causes(cmdb, option, data):
    cis, relations = cmdb
    graph, compact = both(cis, relations)
    ids = [c.id for c in cis]
    singles = [[i] for i in ids]
    groups = data.draw(st.lists(st.lists(st.sampled_from(ids), min_size=2, max_size=5), max_size=4))
    assert_same_answers(graph, compact, singles + groups, option)
    for ci_id in ids:
        assert fast.upstream(compact, ci_id, option) == upstream(graph, ci_id, option)
    score = data.draw(st.sampled_from([0.3, 0.5, 1.0]))
    for picked in groups + singles[:3]:
        expected = reference.root_cause_candidates(graph, picked, option, min_score=score, limit=50)
        assert fast.root_cause_candidates(compact, picked, option, min_score=score, limit=50) == (
            expected
        )


@settings(max_examples=100, deadline=None)
@given(cmdbs(), st.randoms(use_true_random=False))
def test_the_order_of_rows_does_not_change_the_index(cmdb, rng):
    cis, relations = cmdb
    first = compact_from_cis(cis, relations, TYPES)
    rng.shuffle(cis)
    rng.shuffle(relations)
    again = compact_from_cis(cis, relations, TYPES)
    for name in ("ids", "names", "status", "labels"):
        assert getattr(again, name) == getattr(first, name)
    for side, columns in (("out", ("nb", "kind")), ("in_", ("nb",))):
        for column in columns:
            flat = [getattr(index, side).flat(column) for index in (again, first)]
            assert [a.tolist() for a in flat[0]] == [a.tolist() for a in flat[1]]


@settings(max_examples=60, deadline=None)
@given(cmdbs())
def test_the_networkx_graph_rebuilt_from_the_index_is_the_same_graph(cmdb):
    cis, relations = cmdb
    graph, compact = both(cis, relations)
    rebuilt = compact.to_networkx()
    assert list(rebuilt.nodes(data=True)) == list(graph.nodes(data=True))
    assert list(rebuilt.edges(data=True)) == list(graph.edges(data=True))
    assert rebuilt.graph["spreads_to"] == graph.graph["spreads_to"]
    assert rebuilt.graph["reached_from"] == graph.graph["reached_from"]


# --- bad input: the same refusals ---------------------------------------------------------


def ci(ci_id, ci_class="application", **fields):
    return CI(ci_id, ci_id, ci_class, **fields)


@pytest.mark.parametrize(
    ("cis", "relations", "message"),
    [
        ([ci("a"), ci("a")], [], "CI 'a' is given twice"),
        ([ci("a")], [("a", "ghost", "depends_on")], "no CI 'ghost'"),
        ([ci("a"), ci("b")], [("a", "b", "likes")], "unknown relation type"),
        ([ci("a")], [("a", "a", "runs_on")], "cannot be related to itself"),
        (
            [ci("a"), ci("b")],
            [("a", "b", "depends_on"), ("a", "b", "depends_on")],
            "duplicate relation 'a' depends_on 'b'",
        ),
    ],
)
def test_bad_input_is_refused_like_the_networkx_graph_refuses_it(cis, relations, message):
    with pytest.raises(ValueError, match=message):
        build_graph(cis, relations)
    with pytest.raises(ValueError, match=message):
        compact_from_cis(cis, relations)


def test_bad_rows_and_questions_are_refused_with_specific_messages():
    with pytest.raises(ValueError, match="'scrapped' is not a valid Lifecycle"):
        build_compact([("a", "a", "server", "scrapped", None, 0, None)], [])
    with pytest.raises(ValueError, match="users cannot be negative"):
        build_compact([("a", "a", "business_service", "in_service", None, -1, None)], [])
    compact = compact_from_cis([ci("a"), ci("b")], [("a", "b", "depends_on")])
    with pytest.raises(ValueError, match="no CI 'nope'"):
        fast.impact(compact, ["nope"])
    with pytest.raises(ValueError, match="no CI"):
        fast.upstream(compact, ["unhashable"])
    with pytest.raises(ValueError, match="at most 1"):
        fast.what_if(compact, ["a", "b"], ImpactOptions(max_cis=1))
    with pytest.raises(ValueError, match="min_score"):
        fast.root_cause_candidates(compact, ["a"], min_score=1.5)


def test_an_empty_cmdb_answers_nothing():
    compact = build_compact([], [])
    assert len(compact) == 0
    assert "a" not in compact
    assert fast.root_cause_candidates(compact, []) == ()


# --- golden: real dependency graphs, as they are and with redundancy -----------------------


def real_graphs():
    if not GRAPHS.exists():
        pytest.skip(f"real test data missing: {GRAPHS}")
    return sorted(GRAPHS.glob("*.graphml"))


def with_redundancy(raw: nx.DiGraph, seed: str):
    """The real graph with some CIs made groups: the dependencies of a group become its
    members (a failure still travels the same way, but is weighed by the group's rule)."""
    rng = random.Random(seed)
    groups = {n for n in raw.nodes if raw.out_degree(n) >= 2 and rng.random() < 0.5}
    cis = [
        CI(n, n, "cluster" if n in groups else rng.choice(CLASSES[:2]), users=3)
        if n not in groups
        else CI(n, n, "cluster", redundancy=rng.choice(RULES[2:]))
        for n in sorted(raw.nodes)
    ]
    relations = [(t, s, "member_of") if s in groups else (s, t, "depends_on") for s, t in raw.edges]
    return cis, relations


@pytest.mark.parametrize("variant", ["as-is", "redundant"])
def test_golden_real_graphs_get_the_same_answers(variant):
    for path in real_graphs():
        raw = nx.read_graphml(path)
        if variant == "as-is":
            cis = [CI(n, n, "application") for n in raw.nodes]
            relations = [(s, t, "depends_on") for s, t in raw.edges]
        else:
            cis, relations = with_redundancy(raw, path.stem)
        graph, compact = both(cis, relations, DEFAULT_RELATION_TYPES)
        nodes = sorted(raw.nodes)
        pairs = [[a, b] for a in nodes for b in nodes if a < b]
        assert_same_answers(graph, compact, [[n] for n in nodes] + pairs)
        for node in nodes:
            assert fast.upstream(compact, node) == upstream(graph, node)
        rng = random.Random(path.stem)
        for _ in range(10):
            picked = rng.sample(nodes, min(3, len(nodes)))
            assert fast.root_cause_candidates(compact, picked, limit=100) == (
                reference.root_cause_candidates(graph, picked, limit=100)
            )


def test_golden_layered_estate_from_the_benchmark_gets_the_same_answers():
    from bench.cmdb_layered import layered_estate

    estate = layered_estate(3000, seed=3)
    cis = [
        CI(*row[:3], status=row[3], redundancy=row[4], users=row[5], assigned_user=row[6])
        for row in estate.rows
    ]
    graph = build_graph(cis, estate.relations)
    compact = build_compact(estate.rows, estate.relations)
    rng = random.Random(3)
    failing = [[c] for kind in estate.by_kind.values() for c in rng.sample(kind, min(3, len(kind)))]
    failing.append(rng.sample(estate.by_kind["vm"], 5))
    failing.append(list(estate.datacenter(0)))
    assert_same_answers(graph, compact, failing)
    service = estate.by_kind["service"][0]
    assert fast.upstream(compact, service) == upstream(graph, service)
    apps = estate.by_kind["application"][:5]
    assert fast.root_cause_candidates(compact, apps) == reference.root_cause_candidates(graph, apps)


def test_the_affected_list_reads_like_the_tuple_it_equals():
    cis = [ci("svc", "business_service", users=4), ci("app"), ci("db", "database")]
    relations = [("svc", "app", "depends_on"), ("app", "db", "depends_on")]
    graph, compact = both(cis, relations)
    expected = reference.impact(graph, ["db"]).affected
    found = fast.impact(compact, ["db"])
    lazy = found.affected
    assert len(lazy) == 3
    assert lazy[-1] == expected[-1]
    assert lazy[1:] == expected[1:]
    assert [a.ci_id for a in lazy] == ["db", "app", "svc"]
    assert lazy == expected
    assert hash(lazy) == hash(expected)
    with pytest.raises(IndexError):
        lazy[3]
    assert found.get("app").via == "db"
    assert found.get("nope") is None
    assert found.get(["unhashable"]) is None
    assert found.chain("svc") == ("db", "app", "svc")


def test_services_and_decisions_read_like_the_tuples_they_equal():
    cis = [
        ci("svc", "business_service", users=4),
        ci("farm", "cluster", redundancy=Redundancy(min_up=1)),
        ci("web1"),
        ci("web2"),
        ci("db", "database"),
    ]
    relations = [
        ("svc", "farm", "depends_on"),
        ("web1", "farm", "member_of"),
        ("web2", "farm", "member_of"),
        ("web1", "db", "depends_on"),
    ]
    graph, compact = both(cis, relations)
    expected = reference.impact(graph, ["db"])
    found = fast.impact(compact, ["db"])
    assert len(found.services) == 1
    assert len(found.decisions) == 1
    assert found.services[-1] == expected.services[0]  # read before the whole tuple is made
    assert found.services[0].decisions == expected.decisions
    assert found.decisions[:5] == expected.decisions
    assert found.services[0].state is reference.State.DEGRADED
    assert found.services == expected.services
    assert found.decisions == expected.decisions
    assert hash(found.decisions) == hash(expected.decisions)
    with pytest.raises(IndexError):
        found.services[1]
    assert found == expected

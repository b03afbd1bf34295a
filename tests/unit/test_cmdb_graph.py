"""The pure CMDB impact engine: graph building, impact with redundancy, upstream, root causes.

Small hand-built estates pin the rules; golden tests on real microservice dependency graphs
(../shared/data) compare the engine with networkx's own ancestors/descendants.
"""

from __future__ import annotations

import ast
import random
import sys
from pathlib import Path

import networkx as nx
import pytest

from app.cmdb.graph import vocabulary as graph_module
from app.cmdb.graph.vocabulary import (
    CI,
    DEFAULT_RELATION_TYPES,
    ImpactOptions,
    Lifecycle,
    Propagation,
    Redundancy,
    Relation,
    RelationType,
    Treatment,
    build_graph,
    upstream,
)
from app.cmdb.impact import reference as impact_module
from app.cmdb.impact.reference import State, impact, root_cause_candidates, what_if

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "cmdb"
GRAPHS = DATA / "microservice-dependency-graphs"
GOLDEN = ["FTGO", "Robot_Shop", "spring-petclinic", "eShopOnContainers"]


def ci(ci_id: str, ci_class: str = "application", **fields: object) -> CI:
    return CI(id=ci_id, name=ci_id, ci_class=ci_class, **fields)  # type: ignore[arg-type]


def hosting_estate(
    hosts: int = 3,
    rule: Redundancy | None = None,
    statuses: dict[str, Lifecycle] | None = None,
    extra_relations: tuple[tuple[str, str, str], ...] = (),
) -> nx.DiGraph:
    """Web shop <- shop-app -> vm-7 -> esx-cluster <- esx-0N -> san-01; crm-app on vm-8 too."""
    statuses = statuses or {}
    rule = rule or Redundancy(min_up=1)
    host_ids = [f"esx-0{i}" for i in range(1, hosts + 1)]
    cis = [
        ci("web-shop", "business_service", users=120),
        ci("crm", "business_service", users=30),
        ci("shop-app"),
        ci("crm-app"),
        ci("vm-7", "virtual_machine"),
        ci("vm-8", "virtual_machine"),
        ci("esx-cluster", "cluster", redundancy=rule),
        ci("san-01", "storage"),
        *(ci(h, "server", status=statuses.get(h, Lifecycle.IN_SERVICE)) for h in host_ids),
    ]
    relations = [
        ("shop-app", "web-shop", "provides"),
        ("crm", "crm-app", "depends_on"),
        ("shop-app", "vm-7", "runs_on"),
        ("crm-app", "vm-8", "runs_on"),
        ("vm-7", "esx-cluster", "runs_on"),
        ("vm-8", "esx-cluster", "runs_on"),
        *((h, "esx-cluster", "member_of") for h in host_ids),
        *((h, "san-01", "depends_on") for h in host_ids),
        *extra_relations,
    ]
    return build_graph(cis, relations)


def switch_estate() -> nx.DiGraph:
    """A core switch feeding three servers and two workstations."""
    cis = [
        ci("sw-core", "network_device"),
        *(ci(f"srv-{i}", "server") for i in (1, 2, 3)),
        *(ci(f"app-{i}") for i in (1, 2, 3)),
        ci("payroll", "business_service", users=40),
        ci("hr-portal", "business_service", users=25),
        ci("intranet", "business_service", user_ids=frozenset({"alice", "carol"})),
        ci("ws-1", "workstation", assigned_user="alice"),
        ci("ws-2", "workstation", assigned_user="bob"),
    ]
    relations = [
        *((f"srv-{i}", "sw-core", "connected_to") for i in (1, 2, 3)),
        *((f"app-{i}", f"srv-{i}", "runs_on") for i in (1, 2, 3)),
        ("payroll", "app-1", "depends_on"),
        ("hr-portal", "app-2", "depends_on"),
        ("intranet", "app-3", "depends_on"),
        ("ws-1", "sw-core", "connected_to"),
        ("ws-2", "sw-core", "connected_to"),
    ]
    return build_graph(cis, relations)


def web_farm() -> nx.DiGraph:
    """Two services behind a load balancer of three web servers (two needed) on one database."""
    cis = [
        ci("banking", "business_service", user_ids=frozenset({"u1", "u2", "u3", "u4", "u5"})),
        ci("broker", "business_service", user_ids=frozenset({"u4", "u5", "u6", "u7", "u8"})),
        ci("lb-01", "load_balancer", redundancy=Redundancy(min_up=2)),
        *(ci(f"web-{i}", "server") for i in (1, 2, 3)),
        ci("db-01", "database"),
    ]
    relations = [
        ("banking", "lb-01", "depends_on"),
        ("broker", "lb-01", "depends_on"),
        *((f"web-{i}", "lb-01", "member_of") for i in (1, 2, 3)),
        *((f"web-{i}", "db-01", "depends_on") for i in (1, 2, 3)),
    ]
    return build_graph(cis, relations)


def states(result) -> dict:
    return {a.ci_id: a.state for a in result.affected}


def assert_explained(graph: nx.DiGraph, result) -> None:
    """Every affected CI has a chain from a failing CI along failure links, as long as its depth."""
    for a in result.affected:
        chain = result.chain(a.ci_id)
        assert chain[0] in result.failing
        assert chain[-1] == a.ci_id
        assert len(chain) - 1 == a.depth
        for origin, reached in zip(chain, chain[1:], strict=False):
            assert reached in dict(graph_module.failure_successors(graph, origin))


# --- building the graph --------------------------------------------------------------------


def test_self_relations_are_refused():
    with pytest.raises(ValueError, match="itself"):
        build_graph([ci("a")], [("a", "a", "depends_on")])


def test_duplicate_relations_are_refused_but_two_types_between_a_pair_are_kept():
    with pytest.raises(ValueError, match="duplicate relation 'a' depends_on 'b'"):
        build_graph(
            [ci("a"), ci("b")], [("a", "b", "depends_on"), Relation("a", "b", "depends_on")]
        )
    graph = build_graph([ci("a"), ci("b")], [("a", "b", "depends_on"), ("a", "b", "runs_on")])
    assert graph.edges["a", "b"]["types"] == ("depends_on", "runs_on")
    assert impact(graph, ["b"]).explain(graph, "a").relations == ("used by and hosts",)


def test_ids_may_mix_ints_and_strings():
    graph = build_graph(
        [ci("a"), CI(2, "two", "server"), CI(1, "one", "server")], [("a", 1, "runs_on")]
    )
    assert list(graph.nodes) == [1, 2, "a"]
    assert [x.ci_id for x in impact(graph, [1]).affected] == [1, "a"]


@pytest.mark.parametrize(
    ("cis", "relations", "message"),
    [
        ([ci("a"), ci("a")], [], "given twice"),
        ([ci("a")], [("a", "ghost", "depends_on")], "no CI 'ghost'"),
        ([ci("a"), ci("b")], [("a", "b", "likes")], "unknown relation type"),
    ],
)
def test_bad_input_is_refused_with_a_specific_message(cis, relations, message):
    with pytest.raises(ValueError, match=message):
        build_graph(cis, relations)


@pytest.mark.parametrize(
    "kwargs", [{}, {"min_up": 1, "min_up_percent": 50}, {"min_up": 0}, {"min_up_percent": 120}]
)
def test_malformed_redundancy_rules_are_refused(kwargs):
    with pytest.raises(ValueError, match="min_up"):
        Redundancy(**kwargs)


def test_statuses_from_rows_are_parsed_and_unknown_ones_refused():
    assert ci("a", status="retired").status is Lifecycle.RETIRED
    with pytest.raises(ValueError, match="scrapped"):
        ci("a", status="scrapped")


def test_unknown_failing_ci_and_oversized_what_if_are_refused():
    graph = hosting_estate()
    with pytest.raises(ValueError, match="no CI 'nope'"):
        impact(graph, ["nope"])
    with pytest.raises(ValueError, match="at most 2"):
        what_if(graph, ["esx-01", "esx-02", "esx-03"], ImpactOptions(max_cis=2))


def test_pure_modules_import_only_the_standard_library_and_networkx():
    for module in (graph_module, impact_module):
        tree = ast.parse(Path(module.__file__).read_text())
        imported = {
            name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            )
        }
        foreign = imported - set(sys.stdlib_module_names) - {"networkx", "app"}
        assert not foreign, f"{module.__name__} imports {foreign}"
        assert "flask" not in imported
        assert "sqlalchemy" not in imported
        app_imports = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app")
        }
        assert app_imports <= {"app.cmdb.graph.vocabulary", "app.cmdb.root_causes"}


# --- redundancy ----------------------------------------------------------------------------


def test_one_host_of_three_down_degrades_but_does_not_break_the_service():
    graph = hosting_estate(rule=Redundancy(min_up=1))
    result = impact(graph, ["esx-01"])
    assert states(result) == {
        "esx-01": State.DOWN,
        "esx-cluster": State.DEGRADED,
        "vm-7": State.DEGRADED,
        "vm-8": State.DEGRADED,
        "shop-app": State.DEGRADED,
        "crm-app": State.DEGRADED,
        "web-shop": State.DEGRADED,
        "crm": State.DEGRADED,
    }
    shop = next(s for s in result.services if s.ci_id == "web-shop")
    assert shop.path.ci_ids == ("esx-01", "esx-cluster", "vm-7", "shop-app", "web-shop")
    assert shop.path.relations == ("member of", "hosts", "hosts", "provides")
    assert shop.depth == 4
    (decision,) = shop.decisions
    assert decision.describe() == (
        "cluster esx-cluster: 1 of 3 members down, needs 1 up (at least 1 up) → degraded, not down"
    )
    assert "esx-01 -(member of)-> esx-cluster" in shop.explain()
    assert_explained(graph, result)


def test_all_hosts_down_breaks_everything_on_the_cluster():
    graph = hosting_estate(rule=Redundancy(min_up=1))
    result = what_if(graph, ["esx-01", "esx-02", "esx-03"])
    assert {a.ci_id for a in result.affected if a.state is State.DEGRADED} == set()
    assert {s.ci_id: s.state for s in result.services} == {"web-shop": "down", "crm": "down"}
    assert (
        result.decisions[0]
        .describe()
        .endswith("3 of 3 members down, needs 1 up (at least 1 up) → down")
    )
    assert_explained(graph, result)


def test_storage_failure_reaches_services_through_every_host_with_the_shortest_path():
    graph = hosting_estate()
    result = impact(graph, ["san-01"])
    assert result.get("esx-cluster").state is State.DOWN
    crm = next(s for s in result.services if s.ci_id == "crm")
    assert crm.path.describe() == (
        "san-01 -(used by)-> esx-01 -(member of)-> esx-cluster -(hosts)-> vm-8 "
        "-(hosts)-> crm-app -(used by)-> crm"
    )
    assert [a.depth for a in result.affected] == sorted(a.depth for a in result.affected)
    assert result.get("san-01").depth == 0
    assert crm.depth == 5
    assert_explained(graph, result)


@pytest.mark.parametrize(("failing", "expected"), [(1, "degraded"), (2, "degraded"), (3, "down")])
def test_percentage_rule_rounds_up_to_whole_members(failing, expected):
    graph = hosting_estate(hosts=4, rule=Redundancy(min_up_percent=50))
    result = what_if(graph, [f"esx-0{i}" for i in range(1, failing + 1)])
    assert result.get("esx-cluster").state == expected
    assert result.decisions[0].required == 2
    assert Redundancy(min_up_percent=50).required(3) == 2
    assert Redundancy(min_up_percent=100 / 3).required(3) == 1


def test_a_plain_dependency_of_a_group_is_not_softened_by_its_rule():
    graph = hosting_estate(extra_relations=(("esx-cluster", "san-01", "depends_on"),))
    result = impact(graph, ["san-01"])
    assert result.get("esx-cluster").depth == 1
    assert result.get("esx-cluster").via == "san-01"
    shop = next(s for s in result.services if s.ci_id == "web-shop")
    assert shop.path.ci_ids[:2] == ("san-01", "esx-cluster")
    assert shop.decisions == ()  # the path does not go through the cluster's members


def test_a_down_ci_is_explained_by_a_down_path_even_when_a_degraded_one_is_shorter():
    graph = build_graph(
        [
            ci("svc", "business_service", users=3),
            ci("pool", "cluster", redundancy=Redundancy(min_up=1)),
            *(ci(n) for n in ("h1", "h2", "x", "y", "z")),
        ],
        [
            ("svc", "pool", "depends_on"),
            ("h1", "pool", "member_of"),
            ("h2", "pool", "member_of"),
            ("svc", "x", "depends_on"),
            ("x", "y", "depends_on"),
            ("y", "z", "depends_on"),
        ],
    )
    result = what_if(graph, ["h1", "z"])
    assert result.get("pool").state is State.DEGRADED
    (svc,) = result.services
    assert (svc.state, svc.depth, svc.path.ci_ids) == (State.DOWN, 3, ("z", "y", "x", "svc"))
    assert svc.decisions == ()
    assert_explained(graph, result)


def test_degraded_never_adds_up_to_down_even_around_a_cycle():
    # The hosts need DNS, which runs on the cluster they form: a cycle through the group.
    graph = build_graph(
        [
            ci("cl", "cluster", redundancy=Redundancy(min_up=1)),
            ci("dns", "application"),
            *(ci(f"h{i}", "server") for i in (1, 2, 3)),
        ],
        [
            ("dns", "cl", "runs_on"),
            *((f"h{i}", "cl", "member_of") for i in (1, 2, 3)),
            *((f"h{i}", "dns", "depends_on") for i in (1, 2, 3)),
        ],
    )
    result = impact(graph, ["h1"])
    assert states(result) == {
        "h1": State.DOWN,
        "cl": State.DEGRADED,
        "dns": State.DEGRADED,
        "h2": State.DEGRADED,
        "h3": State.DEGRADED,
    }
    assert result.decisions[0].degraded == 2
    assert_explained(graph, result)


# --- lifecycle options ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("treatment", "expected", "members"),
    [
        (Treatment.ALREADY_DOWN, State.DOWN, 3),  # 3 members need 2; 01 failed, 02 maintenance
        (Treatment.IGNORED, State.DEGRADED, 2),  # 2 members need 1; 03 is still up
        (Treatment.NORMAL, State.DEGRADED, 3),  # 3 members need 2; 02 and 03 up
    ],
)
def test_maintenance_counts_as_down_or_is_ignored_as_configured(treatment, expected, members):
    graph = hosting_estate(
        rule=Redundancy(min_up_percent=50), statuses={"esx-02": Lifecycle.IN_MAINTENANCE}
    )
    result = impact(graph, ["esx-01"], ImpactOptions(in_maintenance=treatment))
    assert result.get("esx-cluster").state is expected
    assert result.decisions[0].members == members
    assert result.get("esx-02") is None  # hit by the maintenance, not by this failure
    if treatment is Treatment.ALREADY_DOWN:
        assert (
            "2 of 3 members down (1 already before this failure)" in result.decisions[0].describe()
        )


@pytest.mark.parametrize(
    ("treatment", "expected"), [(Treatment.IGNORED, State.DOWN), (Treatment.NORMAL, State.DEGRADED)]
)
def test_a_planned_host_adds_no_redundancy_unless_configured(treatment, expected):
    graph = hosting_estate(rule=Redundancy(min_up=2), statuses={"esx-03": Lifecycle.PLANNED})
    assert ImpactOptions().planned is Treatment.IGNORED
    result = impact(graph, ["esx-01"], ImpactOptions(planned=treatment))
    assert result.get("esx-cluster").state is expected


def test_retired_cis_neither_fail_nor_propagate_unless_configured():
    graph = build_graph(
        [
            ci("svc", "business_service", users=10),
            ci("old-app", status=Lifecycle.RETIRED),
            ci("db", "database"),
        ],
        [("svc", "old-app", "depends_on"), ("old-app", "db", "depends_on")],
    )
    assert [a.ci_id for a in impact(graph, ["db"]).affected] == ["db"]
    retired_failing = impact(graph, ["old-app"])
    assert retired_failing.ignored == ("old-app",)
    assert retired_failing.affected == ()
    assert retired_failing.people.affected == 0
    counted = impact(graph, ["db"], ImpactOptions(retired=Treatment.NORMAL))
    assert [a.ci_id for a in counted.affected] == ["db", "old-app", "svc"]
    assert [d.ci_id for d in upstream(graph, "svc")] == []


# --- relation types as data, cycles, determinism --------------------------------------------


def test_relation_types_decide_the_direction_of_a_failure():
    types = {
        **DEFAULT_RELATION_TYPES,
        "peer_of": RelationType("peer_of", "peer of", "peer of", Propagation.BOTH),
        "documents": RelationType("documents", "documents", "documented by", Propagation.NONE),
    }
    graph = build_graph(
        [ci("a"), ci("b"), ci("wiki", "software")],
        [("a", "b", "peer_of"), ("wiki", "a", "documents")],
        types,
    )
    assert [x.ci_id for x in impact(graph, ["a"]).affected] == ["a", "b"]
    assert [x.ci_id for x in impact(graph, ["b"]).affected] == ["b", "a"]
    assert [x.ci_id for x in impact(graph, ["wiki"]).affected] == ["wiki"]


def test_cycles_terminate_and_answers_do_not_depend_on_input_order():
    cis = [ci("svc", "business_service", users=5), ci("a"), ci("b"), ci("c"), ci("d")]
    relations = [
        ("svc", "a", "depends_on"),
        ("a", "b", "depends_on"),
        ("b", "c", "depends_on"),
        ("c", "a", "depends_on"),
        ("a", "d", "depends_on"),
        ("b", "d", "depends_on"),
    ]
    graph = build_graph(cis, relations)
    result = impact(graph, ["d"])
    assert {a.ci_id: a.depth for a in result.affected} == {"d": 0, "a": 1, "b": 1, "c": 2, "svc": 2}
    assert result.services[0].path.ci_ids == ("d", "a", "svc")
    rng = random.Random(5)
    for _ in range(5):
        rng.shuffle(cis)
        rng.shuffle(relations)
        again = impact(build_graph(cis, relations), ["d"])
        assert again == result
        assert again.services[0].path == result.services[0].path


# --- network and people ---------------------------------------------------------------------


def test_a_core_switch_cuts_off_servers_and_workstations_but_a_server_does_not_hit_the_switch():
    graph = switch_estate()
    result = impact(graph, ["sw-core"])
    assert {s.ci_id for s in result.services} == {"payroll", "hr-portal", "intranet"}
    assert {a.ci_id for a in result.affected if a.ci_class == "workstation"} == {"ws-1", "ws-2"}
    # 40 + 25 bare counts, plus alice, carol (intranet) and bob (ws-2); alice counted once.
    assert result.people.affected == 68
    assert result.people.cut_off == 68
    assert result.people.exact is False
    leaf = impact(graph, ["srv-1"])
    assert [a.ci_id for a in leaf.affected] == ["srv-1", "app-1", "payroll"]
    assert leaf.people.affected == 40
    assert leaf.people.exact is True


def test_people_are_de_duplicated_across_services_when_ids_are_known():
    graph = web_farm()
    whole = impact(graph, ["db-01"])
    assert {s.ci_id: s.state for s in whole.services} == {"banking": "down", "broker": "down"}
    assert (whole.people.affected, whole.people.cut_off, whole.people.exact) == (8, 8, True)
    one = impact(graph, ["web-2"])
    assert one.get("lb-01").state is State.DEGRADED
    assert (one.people.affected, one.people.cut_off) == (8, 0)
    two = what_if(graph, ["web-1", "web-3"])
    assert two.get("lb-01").state is State.DOWN
    assert two.services[0].decisions[0].describe() == (
        "load_balancer lb-01: 2 of 3 members down, needs 2 up (at least 2 up) → down"
    )


# --- upstream and root causes ---------------------------------------------------------------


def test_upstream_lists_what_a_service_needs_nearest_first_with_relation_names():
    graph = hosting_estate()
    needs = {d.ci_id: (d.depth, d.needed_by, d.relation) for d in upstream(graph, "web-shop")}
    assert needs == {
        "shop-app": (1, "web-shop", "provided by"),
        "vm-7": (2, "shop-app", "runs on"),
        "esx-cluster": (3, "vm-7", "runs on"),
        "esx-01": (4, "esx-cluster", "contains"),
        "esx-02": (4, "esx-cluster", "contains"),
        "esx-03": (4, "esx-cluster", "contains"),
        "san-01": (5, "esx-01", "depends on"),
    }


def test_root_cause_candidates_shared_by_all_come_first_nearest_first_with_evidence():
    graph = hosting_estate()
    candidates = root_cause_candidates(graph, ["shop-app", "crm-app"])
    assert [c.ci_id for c in candidates[:5]] == [
        "esx-cluster",
        "esx-01",
        "esx-02",
        "esx-03",
        "san-01",
    ]
    assert all(c.score == 1.0 for c in candidates[:5])
    assert [c.distance for c in candidates[:5]] == [2, 3, 3, 3, 4]
    assert {c.ci_id for c in candidates[5:]} == {"shop-app", "crm-app", "vm-7", "vm-8"}
    assert all(c.score == 0.5 for c in candidates[5:])
    cluster = candidates[0]
    assert [p.describe() for p in cluster.evidence] == [
        "esx-cluster -(hosts)-> vm-7 -(hosts)-> shop-app",
        "esx-cluster -(hosts)-> vm-8 -(hosts)-> crm-app",
    ]


def test_root_cause_candidates_explaining_most_incidents_carry_a_score():
    graph = build_graph(
        [ci("a"), ci("b"), ci("c"), ci("db", "database"), ci("dns")],
        [("a", "db", "depends_on"), ("b", "db", "depends_on"), ("c", "dns", "depends_on")],
    )
    (best,) = root_cause_candidates(graph, ["a", "b", "c"], min_score=0.6)
    assert (best.ci_id, best.explains, best.unexplained) == ("db", ("a", "b"), ("c",))
    assert best.score == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="min_score"):
        root_cause_candidates(graph, ["a"], min_score=0)


# --- golden tests on real dependency graphs -------------------------------------------------


def load_real(name: str) -> tuple[nx.DiGraph, nx.DiGraph]:
    path = GRAPHS / f"{name}.graphml"
    if not path.exists():
        pytest.skip(f"real test data missing: {path}")
    raw = nx.read_graphml(path)
    cis = [CI(id=n, name=n, ci_class="application") for n in raw.nodes]
    return raw, build_graph(cis, [(s, t, "depends_on") for s, t in raw.edges])


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_impact_equals_networkx_ancestors_with_real_paths(name):
    raw, graph = load_real(name)
    for failing in raw.nodes:
        result = impact(graph, [failing])
        assert {a.ci_id for a in result.affected} - {failing} == nx.ancestors(raw, failing)
        assert all(a.state is State.DOWN for a in result.affected)
        for a in result.affected:
            assert a.depth == nx.shortest_path_length(raw, a.ci_id, failing)
            dependent_first = list(reversed(result.chain(a.ci_id)))
            assert dependent_first[-1] == failing
            assert nx.is_path(raw, dependent_first)


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_upstream_equals_networkx_descendants(name):
    raw, graph = load_real(name)
    for node in raw.nodes:
        needs = {d.ci_id: d.depth for d in upstream(graph, node)}
        assert needs == {
            d: nx.shortest_path_length(raw, node, d) for d in nx.descendants(raw, node)
        }


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_what_if_and_root_causes(name):
    raw, graph = load_real(name)
    rng = random.Random(name)
    nodes = sorted(raw.nodes)
    for _ in range(10):
        picked = rng.sample(nodes, 3)
        expected = set(picked).union(*(nx.ancestors(raw, p) for p in picked))
        assert {a.ci_id for a in what_if(graph, picked).affected} == expected
        shared = set.intersection(*({p} | nx.descendants(raw, p) for p in picked))
        found = root_cause_candidates(graph, picked, min_score=1.0, limit=len(nodes))
        assert {c.ci_id for c in found} == shared
        distances = [c.distance for c in found]
        assert distances == sorted(distances)


@pytest.mark.parametrize("seed", range(5))
def test_random_cyclic_estates_match_networkx(seed):
    rng = random.Random(seed)
    raw = nx.gnp_random_graph(60, 0.05, seed=seed, directed=True)  # cycles included
    assert not nx.is_directed_acyclic_graph(raw)
    graph = build_graph(
        [CI(n, f"ci-{n}", "application") for n in raw.nodes],
        [(s, t, "depends_on") for s, t in raw.edges],
    )
    for failing in rng.sample(sorted(raw.nodes), 10):
        result = impact(graph, [failing])
        assert {a.ci_id for a in result.affected} == nx.ancestors(raw, failing) | {failing}
        for a in result.affected:
            assert a.depth == nx.shortest_path_length(raw, a.ci_id, failing)
        assert_explained(graph, result)

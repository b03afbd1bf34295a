"""The paths of the vectorised walks that small random CMDBs rarely take, against the networkx
engine: many redundancy groups breaking at once, rules broken in a chain, members already down,
and questions asked from several threads at once (a search from several CIs writes them into
a shared matrix, and the explaining search blanks links in one, under a lock)."""

from __future__ import annotations

import random
import threading

from app.cmdb.graph.vocabulary import CI, ImpactOptions, Redundancy, Treatment, build_graph
from app.cmdb.impact import engine as fast
from app.cmdb.impact import reference
from app.cmdb.impact.index import build_compact
from tests.unit.test_cmdb_compact import assert_same_answers, both


def ci(ci_id, ci_class="application", **fields):
    return CI(ci_id, ci_id, ci_class, **fields)


def farms(count: int) -> tuple[list[CI], list[tuple[str, str, str]]]:
    """``count`` two-node farms (both nodes needed) on one storage array, each serving an
    application of a service, and a cluster of the farms that survives while half are up."""
    cis = [ci("array", "storage"), ci("svc", "business_service", users=10)]
    cis.append(ci("all-farms", "cluster", redundancy=Redundancy(min_up_percent=50)))
    relations = []
    for i in range(count):
        farm = f"farm-{i:02}"
        cis.append(ci(farm, "cluster", redundancy=Redundancy(min_up=2)))
        cis.append(ci(f"app-{i:02}"))
        relations += [
            (f"app-{i:02}", farm, "runs_on"),
            ("svc", f"app-{i:02}", "depends_on"),
            (farm, "all-farms", "member_of"),
        ]
        for node in ("a", "b"):
            cis.append(ci(f"{farm}-{node}", "server"))
            relations += [
                (f"{farm}-{node}", farm, "member_of"),
                (f"{farm}-{node}", "array", "depends_on"),
            ]
    cis.append(ci("reporting"))
    relations.append(("reporting", "all-farms", "runs_on"))
    return cis, relations


def test_many_groups_breaking_at_once_are_searched_from_together():
    cis, relations = farms(12)
    graph, compact = both(cis, relations)
    found = fast.impact(compact, ["array"])
    assert {s.ci_id for s in found.services} == {"svc"}
    assert found.get("all-farms").state.value == "down"  # every farm broke, so did the cluster
    assert found.get("reporting").state.value == "down"
    assert_same_answers(graph, compact, [["array"], ["farm-00-a"], ["farm-00-a", "farm-01-b"]])


def test_a_few_groups_breaking_one_of_which_breaks_the_next():
    cis, relations = farms(3)
    graph, compact = both(cis, relations)
    failing = [["array"], ["farm-00-a", "farm-00-b"], ["farm-00-a", "farm-01-a", "farm-02-b"]]
    assert_same_answers(graph, compact, failing)
    assert fast.impact(compact, ["farm-00-a", "farm-01-a"]).get("all-farms").state.value == ("down")


def test_members_in_maintenance_count_as_down_before_the_failure():
    cis, relations = farms(10)
    cis = [
        CI(c.id, c.name, c.ci_class, status="in_maintenance", redundancy=c.redundancy)
        if c.id.endswith("-b") and c.id < "farm-05"
        else c
        for c in cis
    ]
    graph, compact = both(cis, relations)
    for treatment in Treatment:
        options = ImpactOptions(in_maintenance=treatment)
        assert_same_answers(graph, compact, [["array"], ["farm-00-a"], ["farm-06-a"]], options)


def test_questions_from_several_threads_get_the_answers_asked_alone():
    from bench.cmdb_layered import layered_estate

    estate = layered_estate(2000, seed=5)
    compact = build_compact(estate.rows, estate.relations)
    rng = random.Random(5)
    questions = [[c] for kind in ("array", "rack", "host", "vm") for c in estate.by_kind[kind][:4]]
    questions += [rng.sample(estate.by_kind["vm"] + estate.by_kind["host"], 4) for _ in range(12)]
    alone = [fast.impact(compact, q) for q in questions]
    wrong: list[int] = []

    def ask(offset: int) -> None:
        for round_ in range(3):
            for i in range(len(questions)):
                at = (i + offset + round_) % len(questions)
                if fast.impact(compact, questions[at]) != alone[at]:
                    wrong.append(at)

    threads = [threading.Thread(target=ask, args=(k * 7,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    cis = [CI(*row[:3], status=row[3], redundancy=row[4], users=row[5]) for row in estate.rows]
    graph = build_graph(cis, estate.relations)
    for question, answer in zip(questions[::5], alone[::5], strict=True):
        assert answer == reference.impact(graph, question)

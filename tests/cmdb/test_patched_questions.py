"""Questions asked on every version of a patched graph, old and new in turn, answer as on a
fresh build: what the versions share (the groups' redundancy numbers counted as questions
weigh them, the stores of rows) never leaks a change into an older version, nor an older
count into a newer one.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cmdb.graph.vocabulary import CI, ImpactOptions, Lifecycle, Redundancy, build_graph
from app.cmdb.impact import engine as fast
from app.cmdb.impact import vector
from app.cmdb.impact.index import compact_from_cis
from app.cmdb.impact.patch import patch
from app.cmdb.impact.reference import State
from app.cmdb.impact.vector import vectors
from tests.cmdb.test_incremental_engine import columns_of, edited_cmdbs
from tests.unit.test_cmdb_compact import TYPES, assert_same_answers

OPTIONS = [ImpactOptions(), ImpactOptions(retired="normal"), ImpactOptions(planned="down")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_cmdbs(), st.data())
def test_old_and_new_versions_answer_in_turn_as_fresh_builds(history, data):
    states, relation_states, changes = history
    index = compact_from_cis(states[0], relation_states[0], TYPES)
    vectors(index)  # as loaded: patches carry the flags and share the numbers
    option = data.draw(st.sampled_from(OPTIONS))
    graphs = [build_graph(states[0], relation_states[0], TYPES)]
    versions = [index]

    def ask_every(version: int) -> None:
        ids = [c.id for c in states[version]]
        pairs = [ids[i : i + 2] for i in range(0, len(ids) - 1, 2)]
        assert_same_answers(graphs[version], versions[version], [[i] for i in ids] + pairs, option)

    ask_every(0)
    for step, (cis, relations, changed) in enumerate(
        zip(states[1:], relation_states[1:], changes, strict=True), 1
    ):
        by_id = {c.id: c for c in cis}
        touching = [r for r in relations if r[0] in changed or r[1] in changed]
        ready = [by_id[c] for c in sorted(changed) if c in by_id]
        patched = patch(versions[-1], columns_of(ready), touching, changed)
        assert patched is not None
        versions.append(patched)
        graphs.append(build_graph(cis, relations, TYPES))
        order = data.draw(st.permutations(range(step + 1)))  # newest first, oldest first...
        for version in order[: data.draw(st.integers(1, step + 1))]:
            ask_every(version)
    ask_every(len(versions) - 1)


def test_a_patch_counts_again_only_the_groups_it_touched(monkeypatch):
    cis = [CI(1, "cluster-a", "cluster", redundancy=Redundancy(min_up=1))]
    cis += [CI(2, "cluster-b", "cluster", redundancy=Redundancy(min_up=1))]
    cis += [CI(i, f"node-{i}", "server") for i in range(3, 9)]
    relations = [(i, 1 if i < 6 else 2, "member_of") for i in range(3, 9)]
    index = compact_from_cis(cis, relations, TYPES)
    vectors(index)
    counted: list[list[int]] = []
    count = vector.GroupNumbers._count

    def counting(self, groups):
        counted.append(groups.tolist())
        return count(self, groups)

    monkeypatch.setattr(vector.GroupNumbers, "_count", counting)
    for node in (3, 6):
        fast.impact(index, [node])
    assert counted == [[0], [1]]  # each cluster counted once on the loaded graph
    retired = CI(7, "node-7", "server", status=Lifecycle.RETIRED)
    patched = patch(index, columns_of([retired]), [(7, 2, "member_of")], {7})
    assert patched is not None
    counted.clear()
    assert fast.impact(patched, [3]).affected[-1].ci_id == 1  # cluster-a: shared, not counted
    assert counted == []
    down = fast.impact(patched, [6, 8])  # cluster-b lost a member: counted again on the patch
    assert counted == [[1]]
    assert [(a.ci_id, a.state) for a in down.affected][-1] == (2, State.DOWN)
    before = fast.impact(index, [6, 8]).affected[-1]  # the loaded graph: node-7 still up
    assert (before.ci_id, before.state) == (2, State.DEGRADED)

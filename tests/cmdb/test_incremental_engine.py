"""A patched compact index answers exactly as a fresh build of the same CMDB.

Random CMDBs get random sequences of edits (CIs added alone or with relations, changed in every
field the engine reads, relations added, removed and retyped); after each edit, or after a few
of them at once as a worker that fell behind patches them, the index patched from the previous
one must hold the same rows as an index built from scratch, and the last one must give the
networkx reference engine's answers to every question.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cmdb.graph.vocabulary import (
    CI,
    ImpactOptions,
    Lifecycle,
    Redundancy,
    build_graph,
    upstream,
)
from app.cmdb.impact import engine as fast
from app.cmdb.impact import rows as rows_module
from app.cmdb.impact.index import Columns, CompactGraph, compact_from_cis
from app.cmdb.impact.patch import patch
from app.cmdb.impact.vector import Vectors, vectors
from tests.unit.test_cmdb_compact import CLASSES, RULES, STATUS_WEIGHTS, TYPES, assert_same_answers

EDITS = ["add_ci", "change_ci", "relate", "relate", "unrelate", "unrelate", "add_related", "retype"]


def new_ci(draw: st.DrawFn, ci_id: int) -> CI:
    ci_class = draw(st.sampled_from(CLASSES))
    service = ci_class == "business_service"
    return CI(
        ci_id,
        draw(st.sampled_from(["web", "db", "Web", f"ci-{ci_id}"])),
        ci_class,
        status=draw(st.sampled_from(STATUS_WEIGHTS)),
        redundancy=draw(st.sampled_from(RULES)),
        users=draw(st.integers(0, 40)) if service else 0,
        user_ids=draw(st.none() | st.frozensets(st.sampled_from("abcdef"))) if service else None,
        assigned_user=draw(st.none() | st.sampled_from("adxyz")),
    )


def columns_of(cis: list[CI]) -> Columns:
    return Columns(
        ids=[c.id for c in cis],
        names=[c.name for c in cis],
        classes=[c.ci_class for c in cis],
        statuses=[c.status for c in cis],
        users=[c.users for c in cis],
        rules={c.id: c.redundancy for c in cis if c.redundancy is not None},
        assigned={c.id: c.assigned_user for c in cis if c.assigned_user is not None},
        user_ids={c.id: c.user_ids for c in cis if c.user_ids is not None},
    )


def rows(index: CompactGraph) -> dict[str, object]:
    """The index's facts with codes read back (labels and combinations are numbered in the
    order a build meets them, which a patch does not repeat)."""
    found: dict[str, object] = {
        name: getattr(index, name)
        for name in ("status", "rules", "users", "user_ids", "assigned", "services")
    }
    for name in ("ids", "names", "classes"):
        found[name] = list(getattr(index, name))
    found["index"] = {ci_id: index.index[ci_id] for ci_id in index.ids}
    for side in ("out", "in_"):
        table = getattr(index, side)
        found[side] = [
            [
                (nb, kind, index.labels[label])
                for nb, kind, label in zip(
                    table.row("nb", u), table.row("kind", u), table.row("label", u), strict=True
                )
            ]
            for u in range(len(index))
        ]
    out_nb = index.out.column("nb")
    found["in_to_out"] = [  # each in entry's link read from its other end
        [(nb, int(out_nb[o])) for nb, o in zip(index.in_.row("nb", u),
                                               index.in_.row("to_out", u), strict=True)]
        for u in range(len(index))
    ]  # fmt: skip
    found["pairs"] = [
        [(t, index.combos[c]) for t, c in zip(*index.pair_row(u), strict=True)]
        for u in range(len(index))
    ]
    found["pairs_in"] = [
        [(s, index.combos[c]) for s, c in zip(index.pairs_in.row("nb", u),
                                              index.pairs_in.row("combo", u), strict=True)]
        for u in range(len(index))
    ]  # fmt: skip
    found["relations"] = sorted(index.relations(), key=str)
    sources, targets, combos = (a.tolist() for a in index.pair_arrays())
    found["pair_arrays"] = [  # what code reading every relation sees
        (s, t, index.combos[c]) for s, t, c in zip(sources, targets, combos, strict=True)
    ]
    return found


@st.composite
def edited_cmdbs(draw: st.DrawFn) -> tuple[list[list[CI]], list[list[tuple]], list[set[int]]]:
    """A CMDB with int ids, then the states after each of a few random edits, and the CIs each
    edit changed."""
    size = draw(st.integers(1, 12))
    cis = {i: new_ci(draw, i) for i in range(1, size + 1)}
    relations: set[tuple[int, int, str]] = set()
    for _ in range(draw(st.integers(0, 2 * size))):
        s, t = draw(st.sampled_from(sorted(cis))), draw(st.sampled_from(sorted(cis)))
        if s != t:
            relations.add((s, t, draw(st.sampled_from(sorted(TYPES)))))
    states, relation_states, changes = [list(cis.values())], [sorted(relations)], []
    for _ in range(draw(st.integers(1, 8))):
        edit = draw(st.sampled_from(EDITS))
        changed: set[int] = set()
        if edit == "add_ci":
            ci_id = max(cis) + draw(st.integers(1, 3))
            cis[ci_id] = new_ci(draw, ci_id)
            changed.add(ci_id)
        elif edit == "change_ci":
            ci_id = draw(st.sampled_from(sorted(cis)))
            fresh = new_ci(draw, ci_id)
            field = draw(st.sampled_from(["name", "ci_class", "status", "redundancy", "users",
                                          "user_ids", "assigned_user", "all"]))  # fmt: skip
            if field == "all":
                cis[ci_id] = fresh
            elif field in ("users", "user_ids") and cis[ci_id].ci_class != "business_service":
                cis[ci_id] = replace(fresh, ci_class="business_service")
            else:
                cis[ci_id] = replace(cis[ci_id], **{field: getattr(fresh, field)})
            changed.add(ci_id)
        elif edit == "relate" and len(cis) > 1:
            s, t = draw(st.sampled_from(sorted(cis))), draw(st.sampled_from(sorted(cis)))
            kind = draw(st.sampled_from(sorted(TYPES)))
            if s != t and (s, t, kind) not in relations:
                relations.add((s, t, kind))
                changed |= {s, t}
        elif edit == "unrelate" and relations:
            s, t, kind = draw(st.sampled_from(sorted(relations)))
            relations.discard((s, t, kind))
            changed |= {s, t}
        elif edit == "add_related":  # a new CI related to others at once (a new VM on a host)
            ci_id = max(cis) + draw(st.integers(1, 3))
            others = draw(st.lists(st.sampled_from(sorted(cis)), max_size=3, unique=True))
            cis[ci_id] = new_ci(draw, ci_id)
            changed.add(ci_id)
            for other in others:
                pair = (ci_id, other) if draw(st.booleans()) else (other, ci_id)
                relations.add((*pair, draw(st.sampled_from(sorted(TYPES)))))
                changed.add(other)
        elif edit == "retype" and relations:  # a relation's type changed
            s, t, kind = draw(st.sampled_from(sorted(relations)))
            other = draw(st.sampled_from(sorted(TYPES)))
            if (s, t, other) not in relations:
                relations.discard((s, t, kind))
                relations.add((s, t, other))
                changed |= {s, t}
        states.append(list(cis.values()))
        relation_states.append(sorted(relations))
        changes.append(changed)
    return states, relation_states, changes


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_cmdbs(), st.data())
def test_a_patched_index_answers_as_a_fresh_build_after_random_edits(history, data):
    states, relation_states, changes = history
    index = compact_from_cis(states[0], relation_states[0], TYPES)
    if data.draw(st.booleans()):  # a loaded graph has its search flags: patches carry them
        vectors(index)
    # A worker behind by several edits patches them at once: the CIs they changed together.
    behind = data.draw(st.lists(st.booleans(), min_size=len(changes), max_size=len(changes)))
    pending: set[int] = set()
    versions = []
    steps = zip(states[1:], relation_states[1:], changes, behind, strict=True)
    for step, (cis, relations, changed, wait) in enumerate(steps, 1):
        pending |= changed
        if wait and step < len(changes):
            continue
        by_id = {c.id: c for c in cis}
        touching = [r for r in relations if r[0] in pending or r[1] in pending]
        ready = [by_id[c] for c in sorted(pending) if c in by_id]
        patched = patch(index, columns_of(ready), touching, pending)
        assert patched is not None
        fresh = compact_from_cis(cis, relations, TYPES)
        assert rows(patched) == rows(fresh)
        if index.vectors is not None:
            assert patched.vectors.flags.tolist() == Vectors.of(fresh).flags.tolist()
        versions.append((patched, fresh))
        index, pending = patched, set()
    for patched, fresh in versions:  # later patches share the stores: earlier versions hold
        assert rows(patched) == rows(fresh)
    graph = build_graph(states[-1], relation_states[-1], TYPES)
    ids = [c.id for c in states[-1]]
    groups = data.draw(st.lists(st.lists(st.sampled_from(ids), min_size=2, max_size=4), max_size=3))
    option = data.draw(st.sampled_from([ImpactOptions(), ImpactOptions(retired="normal")]))
    assert_same_answers(graph, index, [[i] for i in ids] + groups, option)
    for ci_id in ids:
        assert fast.upstream(index, ci_id, option) == upstream(graph, ci_id, option)


def test_what_a_patch_cannot_keep_in_order_is_left_to_a_rebuild():
    cis = [CI(1, "db", "server"), CI(5, "app", "application")]
    index = compact_from_cis(cis, [(5, 1, "runs_on")])
    removed = patch(index, columns_of([]), [], {5})
    below = patch(index, columns_of([CI(3, "web", "application")]), [], {3})
    assert removed is None
    assert below is None
    gone_since = patch(index, columns_of([]), [], {9})  # made and removed since: nothing to do
    assert gone_since is not None
    assert rows(gone_since) == rows(index)
    above = patch(index, columns_of([CI(7, "web", "application")]), [(7, 5, "depends_on")], {7})
    assert above is not None
    assert [s.name for s in fast.impact(above, [1]).affected] == ["db", "app", "web"]


def test_a_patch_refuses_bad_rows_as_a_build_does():
    index = compact_from_cis([CI(1, "db", "server")], [])
    bad = [
        (columns_of([CI(2, "x", "server")])._replace(statuses=["broken"]), [], "not a valid"),
        (columns_of([CI(2, "x", "server")]), [(2, 9, "runs_on")], "no CI 9"),
        (columns_of([CI(2, "x", "server")]), [(2, 1, "nonsense")], "unknown relation type"),
    ]
    for columns, relations, message in bad:
        with pytest.raises(ValueError, match=message):
            patch(index, columns, relations, {2})


def test_an_unchanged_index_is_not_touched():
    cis = [CI(1, "db", "server", redundancy=Redundancy(min_up=1)), CI(2, "x", "server")]
    index = compact_from_cis(cis, [(2, 1, "member_of")])
    patched = patch(index, columns_of([CI(2, "x", "server", status=Lifecycle.RETIRED)]),
                    [(2, 1, "member_of")], {2})  # fmt: skip
    assert patched is not None
    assert patched is not index
    assert index.status == bytes([0, 0])  # the old index still answers as before
    assert fast.impact(index, [2]).affected[-1].ci_id == 1


def test_a_patch_that_does_not_fit_the_spare_rows_is_left_to_a_rebuild(monkeypatch):
    monkeypatch.setattr(rows_module, "SPARE", 0.0)
    monkeypatch.setattr(rows_module, "SPARE_MIN", 3)
    cis = [CI(1, "db", "server"), CI(2, "app", "application"), CI(3, "web", "application")]
    index = compact_from_cis(cis, [(2, 1, "runs_on")])
    small = patch(index, columns_of([cis[2]]), [(3, 1, "runs_on")], {3})
    assert small is not None
    assert [a.name for a in fast.impact(small, [1]).affected] == ["db", "app", "web"]
    full = patch(small, columns_of(cis[1:]), [(2, 1, "runs_on"), (3, 2, "depends_on")], {2, 3})
    assert full is None
    assert [a.name for a in fast.impact(small, [1]).affected] == ["db", "app", "web"]


def test_rows_folded_into_new_windows_read_as_before(monkeypatch):
    monkeypatch.setattr(rows_module, "FOLD_AT", 0.0)
    monkeypatch.setattr(rows_module, "FOLD_MIN", 0)
    cis = [CI(1, "db", "server"), CI(2, "app", "application"), CI(3, "web", "application")]
    relations = [(2, 1, "runs_on")]
    index = compact_from_cis(cis, relations)
    edits = [
        ({3}, [(3, 1, "runs_on")]),
        ({1}, [CI(1, "db", "server", redundancy=Redundancy(min_up=1))]),
        ({4, 2}, [CI(4, "api", "application"), (4, 2, "depends_on")]),
    ]
    for changed, edit in edits:
        fresh: dict[int, CI] = {e.id: e for e in edit if isinstance(e, CI)}
        cis = [c for c in cis if c.id not in fresh] + list(fresh.values())
        cis.sort(key=lambda c: c.id)
        relations += [e for e in edit if isinstance(e, tuple)]
        by_id = {c.id: c for c in cis}
        touching = [r for r in relations if r[0] in changed or r[1] in changed]
        patched = patch(index, columns_of([by_id[c] for c in sorted(changed)]), touching, changed)
        assert patched is not None
        assert not len(patched.out.moved[0])  # folded into dense windows
        assert rows(patched) == rows(compact_from_cis(cis, relations))
        index = patched
    assert [a.name for a in fast.impact(index, [1]).affected] == ["db", "app", "web", "api"]

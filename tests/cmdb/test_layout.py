"""The neighbourhood layout is pure, deterministic, bounded and keeps nodes apart."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cmdb.graph.layout import neighbourhood
from app.cmdb.graph.vocabulary import CI, build_graph
from app.cmdb.impact.reference import impact

ROOT = Path(__file__).resolve().parents[2]


def star(n: int):
    cis = [CI("hub", "hub", "cluster")] + [CI(f"n{i:03d}", f"n{i:03d}", "server") for i in range(n)]
    relations = [(f"n{i:03d}", "hub", "member_of") for i in range(n)]
    relations += [(f"n{i:03d}", f"n{i + 1:03d}", "depends_on") for i in range(n - 1)]
    return build_graph(cis, relations)


def test_layout_module_imports_neither_flask_nor_sqlalchemy():
    probe = (
        "import importlib, json, sys; sys.path.insert(0, sys.argv[1]); "
        "importlib.import_module('app.cmdb.graph.layout'); print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(ROOT)], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    assert not [m for m in loaded if m.split(".")[0] in ("flask", "sqlalchemy")]


def test_depth_bounds_and_truncation():
    graph = star(100)
    one = neighbourhood(graph, "n050", 1)
    assert {n.ci_id for n in one.nodes} == {"n050", "hub", "n049", "n051"}
    big = neighbourhood(graph, "hub", 2, max_nodes=30)
    assert len(big.nodes) == 30
    assert big.truncated
    with pytest.raises(ValueError, match="depth"):
        neighbourhood(graph, "hub", 4)
    with pytest.raises(ValueError, match="no CI"):
        neighbourhood(graph, "nobody", 1)


def test_nodes_do_not_overlap_and_the_picture_is_deterministic():
    graph = star(40)
    picture = neighbourhood(graph, "hub", 2)
    assert picture == neighbourhood(graph, "hub", 2)
    for a, b in itertools.combinations(picture.nodes, 2):
        assert abs(a.x - b.x) >= 124 or abs(a.y - b.y) >= 40, (a.name, b.name)
    assert all(0 <= n.x <= picture.width and 0 <= n.y <= picture.height for n in picture.nodes)


def test_impact_states_colour_the_nodes_and_edges():
    graph = star(3)
    result = impact(graph, ["n000", "n001", "n002"])
    states = {a.ci_id: a.state.value for a in result.affected}
    picture = neighbourhood(graph, "hub", 1, states)
    by_id = {n.ci_id: n for n in picture.nodes}
    assert by_id["hub"].state == "down"
    assert by_id["hub"].fill == "#fde3e3"
    assert all(e.hot for e in picture.edges if e.target == "hub")


def test_what_a_ci_needs_is_left_what_it_hits_right_and_peers_beside_it():
    cis = [CI(n, n, "server") for n in ("app", "vm", "host", "other-vm", "switch")]
    relations = [
        ("app", "vm", "runs_on"),
        ("vm", "host", "runs_on"),
        ("other-vm", "host", "runs_on"),
        ("host", "switch", "connected_to"),
    ]
    picture = neighbourhood(build_graph(cis, relations), "vm", 2)
    x = {n.ci_id: n.x for n in picture.nodes}
    assert x["switch"] < x["host"] < x["vm"] < x["app"]
    assert x["other-vm"] == x["vm"]  # a peer: another user of the same host

"""Pure cores stay pure: importing them must not load Flask or SQLAlchemy (STYLE.md, rule 4).

Each module is imported in a fresh interpreter, the ordinary way (``app/__init__.py`` is kept
light for this: the Flask factory lives in ``app.factory``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_MODULES = [
    "app.auth.directory",
    "app.auth.directory_entries",
    "app.auth.directory_settings",
    "app.auth.directory_write",
    "app.sla.calendar",
    "app.sla.clock",
    "app.sla.clock_inputs",
    "app.cmdb.graph",
    "app.cmdb.impact",
    "app.cmdb.impact_groups",
    "app.cmdb.compact",
    "app.cmdb.compact_build",
    "app.cmdb.compact_impact",
    "app.cmdb.compact_result",
    "app.cmdb.compact_lazy",
    "app.cmdb.compact_vector",
    "app.cmdb.layout",
    "app.cmdb.neighbourhood",
    "app.cmdb.transfer_format",
    "app.cmdb.graph_data",
    "app.cmdb.demo_estate.applications",  # its package imports every part of the estate
    "app.tickets.priority",
    "app.incidents.workflow",
    "app.tickets.holds",
    "app.requests.approval_rules",
    "app.requests.patterns",
    "app.requests.problems",
    "app.requests.stages",
    "app.requests.states",
    "app.requests.variables",
]
FORBIDDEN = ("flask", "sqlalchemy")

PROBE = """
import importlib, json, sys
sys.path.insert(0, sys.argv[1])
importlib.import_module(sys.argv[2])
print(json.dumps(sorted(sys.modules)))
"""


def _source(name: str) -> Path:
    return ROOT.joinpath(*name.split(".")).with_suffix(".py")


@pytest.mark.parametrize("name", PURE_MODULES)
def test_pure_module_imports_neither_flask_nor_sqlalchemy(name):
    if not _source(name).exists():
        pytest.skip(f"{name} does not exist yet")
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT), name],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert probe.returncode == 0, f"importing {name} failed:\n{probe.stderr}"
    loaded = json.loads(probe.stdout.strip().splitlines()[-1])
    assert name in loaded
    offenders = [m for m in loaded if m.split(".")[0].startswith(FORBIDDEN)]
    assert not offenders, f"{name} pulled in {offenders[:5]}"


def test_the_probe_detects_a_module_that_imports_flask(tmp_path):
    """The check can fail: a throwaway module importing flask is caught."""
    (tmp_path / "impure").mkdir()
    (tmp_path / "impure" / "mod.py").write_text("import flask\n")
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path), "impure.mod"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    loaded = json.loads(probe.stdout.strip().splitlines()[-1])
    assert "flask" in loaded

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
# Folders whose every module is pure: a new file there is checked without being listed.
PURE_PACKAGES = [
    "app.cmdb.impact",  # the compact engine and the networkx reference engine
    "app.cmdb.graph",  # the CMDB's vocabulary, layout, neighbourhoods as plain data
    "app.mail.parsing",  # messages read into plain data: text, replies, bounces, loops
]
# Pure modules that live in a package with impure neighbours.
PURE_SINGLES = [
    "app.i18n.languages",
    "app.i18n.stored",
    "app.auth.directory.adapter",
    "app.auth.directory.entries",
    "app.auth.directory.settings",
    "app.auth.directory.write",
    "app.sla.calendar",
    "app.sla.clock",
    "app.sla.clock_inputs",
    "app.cmdb.transfer.format",
    "app.imports.estates.model",
    "app.imports.netbox.mapping",
    "app.imports.netbox.source",
    "app.imports.netbox.reader",
    "app.imports.netbox.redundancy",  # links that back each other up, as groups
    "app.imports.itop.mapping",  # iTop classes and links onto CI classes and relation types
    "app.imports.itop.reader",  # iTop XML/CSV exports read into an estate
    "app.imports.sheets.reading",  # CSV and XLSX read strictly into a header and rows
    "app.imports.sheets.fields",  # each kind's fields, the mapping guess, value parsers
    "app.imports.servicenow.source",
    "app.imports.servicenow.summary",
    "app.cmdb.demo_estate.applications",  # its package imports every part of the estate
    "app.tickets.priority",
    "app.incidents.workflow",
    "app.tickets.holds",
    "app.tickets.wording",
    "app.requests.approvals.rules",
    "app.requests.catalog.patterns",
    "app.requests.problems",
    "app.requests.fulfilment.stages",
    "app.kb.rendering",  # article Markdown to safe HTML, version diffs
    "app.requests.states",
    "app.requests.catalog.variables",
    "app.mail.imap",  # the IMAP client: no Flask, no database
    "app.mail.outgoing.compose",
    "app.mail.outgoing.smtp",
    "app.notifications.rules",
    "app.surveys.sampling",
    "app.search.text",
    "app.alerts.parsing",  # Alertmanager and generic alert payloads to plain data
    "app.alerts.grouping",  # alerting CIs to roots and children over the compact index
    "app.webhooks.signing",  # signing a delivery and checking it as a receiver does
    "app.webhooks.vocabulary",  # the events and the subscriptions' filters
    "app.webhooks.addresses",  # which URLs a webhook may go to
    "app.webhooks.sealing",  # webhook secrets sealed at rest (Fernet)
    "app.auth.references",  # how the API and webhooks refer to a person
    "app.reports.subscriptions.weeks",  # the desk's weeks of the weekly report mail
    "app.sla.forecast.survival",  # the breach forecast's Kaplan–Meier estimator
    "app.sla.forecast.backtest",  # its scores: Brier, calibration by decile
    "app.reports.rollups.durations",  # a ticket's report durations from plain values
    "app.reports.rollups.buckets",  # logarithmic duration buckets and their percentiles
]


def modules_in(package: str) -> list[str]:
    """Every module under a package's folder (its ``__init__`` included), as dotted names."""
    folder = ROOT.joinpath(*package.split("."))
    names = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


PURE_MODULES = [name for package in PURE_PACKAGES for name in modules_in(package)] + PURE_SINGLES
FORBIDDEN = ("flask", "sqlalchemy")

PROBE = """
import importlib, json, sys
sys.path.insert(0, sys.argv[1])
importlib.import_module(sys.argv[2])
print(json.dumps(sorted(sys.modules)))
"""


def _source(name: str) -> Path:
    path = ROOT.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


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


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_a_pure_folder_lists_every_file_in_it(package):
    """A module added to a pure folder is checked without anyone listing it."""
    folder = ROOT.joinpath(*package.split("."))
    files = list(folder.rglob("*.py"))
    assert (folder / "__init__.py").exists(), f"{package} is not a package"
    assert len(files) > 1
    assert len(modules_in(package)) == len(files)
    assert package in PURE_MODULES
    assert all(name in PURE_MODULES for name in modules_in(package))


def test_modules_in_finds_a_new_file(tmp_path, monkeypatch):
    """The folder walk names a file it was never told about, nested packages included."""
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    for name in ("pkg/__init__.py", "pkg/new.py", "pkg/sub/__init__.py", "pkg/sub/deep.py"):
        (tmp_path / name).write_text("")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert modules_in("pkg") == ["pkg", "pkg.new", "pkg.sub", "pkg.sub.deep"]

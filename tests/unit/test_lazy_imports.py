"""An idle worker stays small (issue 20): building the application loads no heavy library that
only some requests need. Each one loads on first use instead (the CMDB's impact engines and
the alert grouping: numpy, networkx; the SLA forecast: numpy; an XLSX export:
XlsxWriter; a calendar: holidays; the directory: ldap3; webhooks: requests and cryptography;
articles: markdown-it and nh3; migrations: Flask-Migrate and Alembic).

Each check builds the application in a fresh interpreter, as a worker does, and lists what it
imported; the tests of each domain (``tests/cmdb``, ``tests/alerts``, ``tests/sla``,
``tests/reports``, ``tests/ldap``, ``tests/webhooks``, ``tests/kb``) show that the first use
still works.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Libraries an idle worker must not hold: the module that loads each one names it.
LAZY = (
    "numpy",  # app.cmdb.cache, app.sla.forecast
    "networkx",  # app.cmdb.graph.vocabulary.build_graph, the reference engine
    "xlsxwriter",  # app.exports.write_xlsx
    "holidays",  # app.sla.calendar, for a calendar with a country
    "ldap3",  # app.auth.directory, with a directory configured
    "requests",  # app.webhooks.delivery.post
    "cryptography",  # app.webhooks.sealing
    "markdown_it",  # app.kb.rendering.render
    "nh3",  # app.kb.rendering.render, app.mail.parsing.text
    "flask_migrate",  # app.extensions.LazyMigrate: `flask db`, flask_migrate.upgrade(), doctor
    "alembic",
)

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from app import create_app

app = create_app(json.loads(sys.argv[2]), instance_path=sys.argv[3])
with app.test_client() as client:
    assert client.get("/healthz/live").status_code == 200
for name in sys.argv[4:]:
    __import__(name)
print(json.dumps(sorted(sys.modules)))
"""


def environ_of(tmp_path: Path) -> dict[str, str]:
    return {
        "DESKGRAPH_ENV": "testing",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'idle.db'}",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "DESKGRAPH_LOG_LEVEL": "WARNING",
    }


def loaded_after_start(tmp_path: Path, *also: str) -> set[str]:
    """Top-level packages a freshly built application has imported after one request (and
    after importing ``also``)."""
    environ = json.dumps(environ_of(tmp_path))
    command = [sys.executable, "-c", PROBE, str(ROOT), environ, str(tmp_path)]
    probe = subprocess.run([*command, *also], capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, f"building the application failed:\n{probe.stderr}"
    return {m.split(".")[0] for m in json.loads(probe.stdout.strip().splitlines()[-1])}


def test_an_idle_worker_loads_no_heavy_library(tmp_path: Path) -> None:
    loaded = loaded_after_start(tmp_path)
    assert "flask" in loaded  # the probe did build the application
    assert not [name for name in LAZY if name in loaded]


def test_the_probe_sees_what_a_first_use_loads(tmp_path: Path) -> None:
    """The check can fail: importing the graph cache, as the first impact question does,
    loads numpy, and the probe sees it."""
    loaded = loaded_after_start(tmp_path, "app.cmdb.cache")
    assert "numpy" in loaded


def test_flask_db_loads_flask_migrate_and_migrates(tmp_path: Path) -> None:
    """``flask db`` still runs Flask-Migrate's commands, its own options included, and the
    application's migration settings reach it."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from app import create_app
    from app.extensions import db

    app = create_app(environ_of(tmp_path), instance_path=tmp_path)
    runner = app.test_cli_runner()
    upgrade = runner.invoke(args=["db", "-d", str(ROOT / "migrations"), "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    with app.app_context():
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert app.extensions["migrate"].directory == str(ROOT / "migrations")
    assert version == ScriptDirectory(str(ROOT / "migrations")).get_current_head()

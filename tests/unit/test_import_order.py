"""Importing a module must not configure the ORM's mappers: a relationship named by a string
(``Incident.cis`` names ``ConfigurationItem``) resolves only once every model module is
imported, so a module that touched a relationship at import time (a loader option built at
module level) broke any import order that reached it before the CMDB's models, e.g. a test
file importing the incidents' models and then the mail intake (which imports the sessions).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_incident_models_then_the_mail_intake_import_in_a_fresh_interpreter() -> None:
    code = "import app.incidents.models, app.mail.incoming.intake, app.auth.sessions"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]

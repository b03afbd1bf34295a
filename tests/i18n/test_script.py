"""``scripts/i18n``, run on a desk of one domain in a temporary folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADER = """msgid ""
msgstr ""
"Project-Id-Version: Deskgraph\\n"
"POT-Creation-Date: 2020-01-01 00:00+0000\\n"
"Language: sv\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"""


def _update(desk: Path) -> None:
    subprocess.run(
        [str(desk / "scripts" / "i18n"), "update"],
        check=True,
        capture_output=True,
        env={**os.environ, "PYBABEL": str(Path(sys.executable).parent / "pybabel")},
    )


def test_update_leaves_a_catalog_whose_messages_did_not_change_untouched(tmp_path):
    """Only the header's POT-Creation-Date would change: a diff of every .po on every run."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "i18n", tmp_path / "scripts" / "i18n")
    shutil.copy(ROOT / "babel.cfg", tmp_path / "babel.cfg")
    app = tmp_path / "app"
    (app / "templates").mkdir(parents=True)
    (app / "main.py").write_text("")
    (app / "translations" / "sv" / "LC_MESSAGES").mkdir(parents=True)
    (app / "translations" / "sv" / "LC_MESSAGES" / "messages.po").write_text(HEADER)
    (app / "greet").mkdir()
    (app / "greet" / "__init__.py").write_text('from flask_babel import gettext as _\n_("Hello")\n')
    _update(tmp_path)
    po = app / "greet" / "translations" / "sv" / "LC_MESSAGES" / "messages.po"
    text = po.read_text().replace('msgstr ""\n\n', 'msgstr "Hej"\n\n', 1)
    text = text.replace('msgid "Hello"\nmsgstr ""', 'msgid "Hello"\nmsgstr "Hej"')
    old = "\n".join(
        '"POT-Creation-Date: 2020-01-01 00:00+0000\\n"' if "POT-Creation-Date" in line else line
        for line in text.splitlines()
    )
    po.write_text(old + "\n")

    _update(tmp_path)

    assert po.read_text() == old + "\n"
    assert 'msgstr "Hej"' in po.read_text()

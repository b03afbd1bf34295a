"""Every string people read is marked, in its domain's catalog, and translated into every
language the desk speaks (Swedish today); ``scripts/i18n update`` and a translator fix a
failure here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment

from app.i18n import catalogs
from tests.i18n import lint

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [""] + sorted(
    p.name for p in lint.APP.iterdir() if (p / "__init__.py").exists() and p.name != "static"
)
# Domains whose strings are not all marked yet (none today; a domain being built, or a new one,
# may wait here until its templates and messages are marked and translated).
PENDING: frozenset[str] = frozenset()


def _id(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def po_files() -> list[Path]:
    return sorted(p for d in catalogs.directories() for p in d.glob("*/LC_MESSAGES/messages.po"))


@pytest.mark.parametrize("po", po_files(), ids=lambda p: str(p.relative_to(ROOT / "app")))
def test_every_message_is_translated(po):
    with po.open("rb") as source:
        catalog = read_po(source)
    untranslated = [
        _id(m)
        for m in catalog
        if m.id and not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    fuzzy = [_id(m) for m in catalog if m.id and m.fuzzy]
    broken = [(_id(m), [str(e) for e in errors]) for m, errors in catalog.check() if errors]
    assert untranslated == []
    assert fuzzy == []
    assert broken == []


def test_every_marked_string_is_in_its_catalog(tmp_path):
    subprocess.run(
        [str(ROOT / "scripts" / "i18n"), "extract"],
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "I18N_POT_DIR": str(tmp_path),
            "PYBABEL": str(Path(os.sys.executable).parent / "pybabel"),
        },
    )
    missing = {}
    for pot in sorted(tmp_path.rglob("messages.pot")):
        folder = ROOT / "app" / pot.parent.relative_to(tmp_path)
        with pot.open("rb") as source:
            wanted = {_id(m) for m in read_po(source) if m.id}
        for po in folder.glob("*/LC_MESSAGES/messages.po"):
            with po.open("rb") as source:
                have = {_id(m) for m in read_po(source) if m.id}
            if wanted - have:
                missing[str(po.relative_to(ROOT))] = sorted(wanted - have)
        if not list(folder.glob("*/LC_MESSAGES/messages.po")):
            missing[str(folder.relative_to(ROOT))] = ["no catalog: run scripts/i18n update"]
    assert missing == {}


@pytest.mark.parametrize(
    "package", [p for p in PACKAGES if p not in PENDING], ids=lambda p: p or "shell"
)
def test_templates_mark_every_string(package):
    env = Environment(extensions=["jinja2.ext.i18n"])
    found = {}
    for path in lint.templates(package):
        problems = lint.template_problems(path.read_text(encoding="utf-8"), env)
        if problems:
            found[str(path.relative_to(lint.APP))] = problems
    assert found == {}


@pytest.mark.parametrize(
    "package", [p for p in PACKAGES if p not in PENDING], ids=lambda p: p or "shell"
)
def test_python_marks_every_message(package):
    found = {}
    for path in lint.python_files(package):
        problems = lint.python_problems(path)
        if problems:
            found[str(path.relative_to(lint.APP))] = problems
    assert found == {}


def test_one_english_message_has_one_translation_across_the_catalogs():
    """The desk merges every domain's catalog into one per language (a later one wins), so a
    message translated two ways would read one way on every page, whichever catalog loads last."""
    seen: dict[tuple[str, str | None, str], dict[str, set[str]]] = {}
    for po in po_files():
        with po.open("rb") as source:
            catalog = read_po(source)
        language = po.parent.parent.name
        for message in catalog:
            if message.id and message.string:
                key = (language, message.context, _id(message))
                text = str(message.string)
                seen.setdefault(key, {}).setdefault(text, set()).add(po.parts[-5])
    clashes = {key: found for key, found in seen.items() if len(found) > 1}
    assert clashes == {}

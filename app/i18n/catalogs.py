"""The translation catalogs: one per domain, in ``app/<domain>/translations/<lang>/LC_MESSAGES/
messages.po`` (the shell's in ``app/translations``), compiled to ``.mo`` next to it when the
``.po`` is newer. ``scripts/i18n`` extracts, updates and compiles them with ``pybabel``.

Babel reads and writes the files; nothing here parses them by hand."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

APP_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def directories(root: Path = APP_ROOT) -> list[Path]:
    """Every ``translations`` folder: the shell's first, then each domain's, by name."""
    found = [root / "translations"] if (root / "translations").is_dir() else []
    found += sorted(p for p in root.glob("*/translations") if p.is_dir())
    return found


def languages(folders: Iterable[Path]) -> set[str]:
    """The languages that have a catalog in some folder."""
    return {
        po.parent.parent.name
        for folder in folders
        for po in folder.glob("*/LC_MESSAGES/messages.po")
    }


def compile_stale(folders: Iterable[Path]) -> list[Path]:
    """Compile each ``.po`` whose ``.mo`` is missing or older; written to a temporary file and
    renamed, so that processes starting together never read half a file. Returns what was
    compiled. A read-only install logs a warning and keeps its compiled files."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = []
    for folder in folders:
        for po in folder.glob("*/LC_MESSAGES/messages.po"):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            try:
                with po.open("rb") as source:
                    catalog = read_po(source, locale=po.parent.parent.name)
                handle, temporary = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
                with os.fdopen(handle, "wb") as target:
                    write_mo(target, catalog, use_fuzzy=False)
                os.replace(temporary, mo)
            except OSError as error:
                log.warning("cannot compile %s: %s", po, error)
                continue
            compiled.append(mo)
    return compiled

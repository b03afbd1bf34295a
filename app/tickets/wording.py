"""Marking words for translation in pure modules (pure: no Flask), which cannot call
Flask-Babel: ``N_`` marks a literal for ``scripts/i18n`` (Babel extracts ``N_`` calls) and
returns it unchanged; the page translates it where it shows it (``_(state.label)``).
A pure function that words a message takes a ``Translate`` (Flask-Babel's ``gettext`` from a
service, :func:`english` by default), so the message is one translatable sentence."""

from __future__ import annotations

from collections.abc import Callable

Translate = Callable[..., str]


def english(text: str, **values: object) -> str:
    """``text`` with its ``%(name)s`` placeholders filled, untranslated (as gettext does)."""
    return text % values if values else text

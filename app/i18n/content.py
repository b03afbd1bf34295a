"""Content people name (categories, catalog items…) in several languages: the English value
stays in its column, the other languages' values in a ``translations`` JSON column shaped
``{"sv": {"name": "Nätverk"}}``. :func:`translated` reads the one for the page's language and
falls back to the column; :func:`with_translation` writes one (for forms)."""

from __future__ import annotations

from typing import Any

from app.i18n.formats import locale


def translated(obj: Any, field: str, language: str | None = None) -> str:
    """``obj.<field>`` in ``language`` (the page's by default) when ``obj.translations`` has it,
    else the English column's value."""
    original = getattr(obj, field)
    language = language or str(locale().language)
    values = (getattr(obj, "translations", None) or {}).get(language) or {}
    text = values.get(field)
    return text if isinstance(text, str) and text.strip() else original


def with_translation(
    translations: dict[str, dict[str, str]] | None, language: str, field: str, text: str | None
) -> dict[str, dict[str, str]]:
    """A new ``translations`` value with ``field`` in ``language`` set to ``text`` (removed when
    empty). A new dict, so that SQLAlchemy sees the JSON column change."""
    result = {lang: dict(values) for lang, values in (translations or {}).items()}
    values = result.setdefault(language, {})
    if text and text.strip():
        values[field] = text.strip()
    else:
        values.pop(field, None)
    if not values:
        del result[language]
    return result

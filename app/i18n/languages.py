"""Language tags, as people and directories write them, to the languages the desk speaks.
Pure: no Flask, no database."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


def normalise(tag: str | None, available: Iterable[str]) -> str | None:
    """A language the desk speaks for one tag (``sv-SE``, ``sv_FI``, ``SV`` → ``sv``), or
    ``None`` when the tag is empty, malformed or a language the desk does not have."""
    if not tag:
        return None
    tag = tag.strip()
    if not _TAG.match(tag):
        return None
    parts = re.split(r"[-_]", tag)
    known = {language.lower(): language for language in available}
    for length in range(len(parts), 0, -1):
        candidate = "_".join(parts[:length]).lower()
        if candidate in known:
            return known[candidate]
    return None


def ranked_tags(value: str | None) -> list[str]:
    """The tags of an RFC 2798 ``preferredLanguage`` (or ``Accept-Language``) value, by
    descending quality, then in their order: ``"en;q=0.8, sv-SE"`` → ``["sv-SE", "en"]``."""
    if not value:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(value.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                continue
        if quality > 0 and _TAG.match(tag):
            ranked.append((-quality, position, tag))
    return [tag for _quality, _position, tag in sorted(ranked)]


def directory_language(value: str | None) -> str | None:
    """What the desk keeps of a directory's ``preferredLanguage``: the preferred tag's
    language, lower-case (``"sv-SE, en;q=0.8"`` → ``sv``), whatever the desk speaks today."""
    tags = ranked_tags(value)
    return re.split(r"[-_]", tags[0])[0].lower()[:16] if tags else None


def choose(
    own: str | None,
    directory: str | None,
    browser: str | None,
    default: str,
    available: Sequence[str],
) -> str:
    """The language a person reads: their own choice in their settings, else the directory's
    ``preferredLanguage``, else their browser's, else the desk's default (each only when the
    desk speaks it)."""
    for candidate in (own, directory, browser):
        language = normalise(candidate, available)
        if language:
            return language
    return normalise(default, available) or available[0]

"""Token scopes: read or write per area of the desk (pure: no Flask, no SQLAlchemy).

A scope is ``AREA:read`` or ``AREA:write``; ``write`` includes ``read``, and ``*`` stands for
every area (``*:read`` is a read-only token for everything). Scopes only narrow what a token
may do: the person's roles and the policy module still decide every call, so a scope never
grants what the person could not do in the pages.

Areas are registered by the API resources (:func:`add_area`), so a new resource module adds
its area next to its operations.
"""

from __future__ import annotations

from collections.abc import Iterable

READ = "read"
WRITE = "write"
LEVELS = (READ, WRITE)
EVERY_AREA = "*"

#: area → what it covers, in the order the settings page lists them.
AREAS: dict[str, str] = {}


def add_area(name: str, description: str) -> str:
    """Register an area of scopes (idempotent); returns its name."""
    AREAS.setdefault(name, description)
    return name


def all_scopes() -> list[str]:
    """Every scope a token may hold, wildcards first."""
    return [f"{EVERY_AREA}:{level}" for level in LEVELS] + [
        f"{area}:{level}" for area in AREAS for level in LEVELS
    ]


def scope_problems(scopes: Iterable[str]) -> list[str]:
    """The scopes in ``scopes`` that are not understood (empty when all are)."""
    known = set(all_scopes())
    return [s for s in scopes if s not in known]


def normalise(scopes: Iterable[str]) -> list[str]:
    """Stripped, lower-case, unique scopes in a stable order."""
    seen = dict.fromkeys(s.strip().lower() for s in scopes if s and s.strip())
    return sorted(seen)


def allows(granted: Iterable[str], needed: str) -> bool:
    """Does a token holding ``granted`` have ``needed`` (``AREA:LEVEL``)?"""
    area, _, level = needed.partition(":")
    levels = (READ, WRITE) if level == READ else (WRITE,)
    held = set(granted)
    return any(f"{a}:{lv}" in held for a in (area, EVERY_AREA) for lv in levels)

"""The builder the demo estate's sections write into: CI specs and relations in the format of
``demo/cmdb.json``, with globally unique names, seeded randomness and a size knob."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

LYON = "Lyon head office"
SERVER_ROOM = f"{LYON}, server room"
RTM = "Rotterdam depot"
RTM_CLOSET = f"{RTM}, IT closet"
MAN = "Manchester office"
MAN_CLOSET = f"{MAN}, comms room"
PAR = "Paris colocation (PA3)"
SITE_CODES = {LYON: "lyon", RTM: "rtm", MAN: "man"}

TODAY = date(2026, 11, 1)
"""Warranty ends are drawn around this day, not the wall clock: the estate is the same every run."""

DATA_CENTRE = {"environment": "production", "support_group": "Infrastructure"}
NETWORK = {"environment": "production", "support_group": "Network"}
DESK = {"environment": "production", "support_group": "Service Desk"}
APPS = {"environment": "production", "support_group": "Applications"}


class Estate:
    """CIs and relations under construction.

    ``known`` holds the names (lower-cased) the sections may refer to without creating them: the
    hand-written core of ``demo/cmdb.json``. ``scale`` sizes the populations (endpoints, vehicles,
    test copies); the skeleton (services, clusters, hosts, storage) is always whole.
    """

    def __init__(self, known: Iterable[str], *, scale: float, seed: int) -> None:
        if not 0 < scale <= 1:
            raise ValueError(f"scale must be in (0, 1], not {scale}")
        self.rng = random.Random(seed)
        self.scale = scale
        self.known = {name.lower() for name in known}
        self.cis: list[dict[str, Any]] = []
        self.relations: list[list[str]] = []
        self._names: set[str] = set()
        self._tags: dict[str, int] = {}

    def count(self, full: int) -> int:
        """How many of a population of ``full`` at this scale (at least one)."""
        return max(1, round(full * self.scale))

    def ci(self, name: str, ci_class: str, **fields: Any) -> str:
        """Add a CI; ``fields`` use the keys of ``demo/cmdb.json`` (``users``, ``owner``,
        ``assigned_to``, ``serial``, ``attributes`` …). :raise ValueError: name taken."""
        key = name.lower()
        if key in self._names or key in self.known:
            raise ValueError(f"the demo estate names {name!r} twice")
        self._names.add(key)
        self.cis.append({"name": name, "class": ci_class, **fields})
        return name

    def rel(self, source: str, type_name: str, target: str) -> None:
        """Relate two CIs of the estate or the core. :raise ValueError: an unknown name."""
        for end in (source, target):
            if end.lower() not in self._names and end.lower() not in self.known:
                raise ValueError(f"the demo estate relates unknown CI {end!r}")
        self.relations.append([source, type_name, target])

    def group(
        self, name: str, members: Iterable[str], *, min_up: int | None = None, **fields: Any
    ) -> str:
        """A redundancy group (class cluster) and its ``member_of`` relations."""
        self.ci(name, "cluster", min_up=min_up, **fields)
        for member in members:
            self.rel(member, "member_of", name)
        return name

    def vm(self, name: str, cluster: str, os: str, cpu: int, ram: int, **fields: Any) -> str:
        """A virtual machine running on ``cluster`` (production, Infrastructure by default)."""
        self.ci(
            name,
            "virtual_machine",
            **{**DATA_CENTRE, **fields},
            attributes={"os": os, "cpu_count": cpu, "ram_gb": ram},
        )
        self.rel(name, "runs_on", cluster)
        return name

    def hardware(self, prefix: str, model: str, *, years: tuple[int, int] = (-1, 4)) -> dict:
        """Asset fields of a new piece of hardware: a sequential tag, a serial, a warranty end."""
        self._tags[prefix] = self._tags.get(prefix, 500) + 1
        serial = "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10))
        days = self.rng.randint(years[0] * 365, years[1] * 365)
        return {
            "asset_tag": f"KF-{prefix}-{self._tags[prefix]:04d}",
            "serial": serial,
            "model": model,
            "warranty_end": (TODAY + timedelta(days=days)).isoformat(),
        }

    def pick(self, options: list[Any]) -> Any:
        return self.rng.choice(options)

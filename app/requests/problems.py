"""The error the pure request modules raise when their input breaks rules (a pure core)."""

from __future__ import annotations

from collections.abc import Mapping


class Problems(ValueError):
    """Input that breaks rules; ``problems`` maps where (a field, or ``<list>.<i>.<field>``)
    to a message a person can act on. Services turn it into ``Invalid``."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(self.problems.values()))

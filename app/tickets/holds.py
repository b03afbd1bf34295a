"""Why a ticket waits (pure): the hold reasons incidents and catalog tasks share, and that SLA
policies name as the reasons that pause a clock."""

from __future__ import annotations

import enum


class HoldReason(enum.StrEnum):
    AWAITING_CALLER = "awaiting_caller"
    AWAITING_VENDOR = "awaiting_vendor"
    AWAITING_CHANGE = "awaiting_change"
    AWAITING_PROBLEM = "awaiting_problem"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

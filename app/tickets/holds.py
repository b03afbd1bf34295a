"""Why a ticket waits (pure): the hold reasons incidents and catalog tasks share, and that SLA
policies name as the reasons that pause a clock."""

from __future__ import annotations

import enum

from app.i18n import N_


class HoldReason(enum.StrEnum):
    AWAITING_CALLER = "awaiting_caller"
    AWAITING_VENDOR = "awaiting_vendor"
    AWAITING_CHANGE = "awaiting_change"
    AWAITING_PROBLEM = "awaiting_problem"

    @property
    def label(self) -> str:
        """The reason in English; pages show ``_(reason.label)``."""
        return HOLD_LABELS[self]


HOLD_LABELS = {
    HoldReason.AWAITING_CALLER: N_("Awaiting caller"),
    HoldReason.AWAITING_VENDOR: N_("Awaiting vendor"),
    HoldReason.AWAITING_CHANGE: N_("Awaiting change"),
    HoldReason.AWAITING_PROBLEM: N_("Awaiting problem"),
}

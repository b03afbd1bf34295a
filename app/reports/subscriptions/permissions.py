"""Who may receive the weekly report mail (see ``app.policy``): the IT staff who read reports.
Subscriptions are personal: services find them by their person."""

from __future__ import annotations

from typing import Any

from app.policy import rule
from app.reports.saved.permissions import REPORT_READERS


@rule("reports.weekly_mail")
def may_receive_weekly_mail(user: Any, obj: Any) -> bool:
    return bool(user.has_role(*REPORT_READERS))

"""Whether a resolved ticket's caller is asked for a survey, and the survey's windows (a pure
module: plain facts in, plain answers out).

The draw is seeded by the ticket: :func:`draw` hashes the ticket's id, so the same ticket always
draws the same number and a test can say which tickets a percentage picks. The decision is
recorded on the survey row; a re-run reads it instead of drawing again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.i18n import N_

SCORES = (1, 2, 3, 4, 5)
FACES = {1: "😠", 2: "🙁", 3: "😐", 4: "🙂", 5: "😀"}
# The same faces as Bootstrap Icons, for pages (no emoji font needed).
ICONS = {
    1: "emoji-angry",
    2: "emoji-frown",
    3: "emoji-neutral",
    4: "emoji-smile",
    5: "emoji-laughing",
}
LABELS = {
    1: N_("Very unhappy"),
    2: N_("Unhappy"),
    3: N_("Neutral"),
    4: N_("Happy"),
    5: N_("Very happy"),
}
MAX_COMMENT = 2000

# Why a survey was or was not sent (stored on the row, shown in the report).
DRAWN = "drawn"
SAMPLING_OFF = "sampling_off"
NOT_DRAWN = "not_drawn"
ASKED_RECENTLY = "asked_recently"
NOT_ASKED = {  # why not, as the report and the ticket's panel say it
    NOT_DRAWN: N_("not in the sample"),
    ASKED_RECENTLY: N_("the caller was asked recently"),
    SAMPLING_OFF: N_("surveys are off"),
}


@dataclass(frozen=True)
class Decision:
    sampled: bool
    reason: str
    draw: int  # 0..99: sampled when below the percentage


def draw(ticket_id: int) -> int:
    """A number in 0..99 fixed by the ticket (the same ticket always draws the same)."""
    digest = hashlib.sha256(f"deskgraph-survey:{ticket_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def decide(
    *,
    ticket_id: int,
    percentage: int,
    now: datetime,
    last_asked_at: datetime | None,
    once_per_days: int,
) -> Decision:
    """Ask this ticket's caller? Sampled when the ticket's draw falls below ``percentage`` and
    the caller was not asked in the last ``once_per_days`` days (0: no limit)."""
    number = draw(ticket_id)
    if percentage <= 0:
        return Decision(False, SAMPLING_OFF, number)
    if number >= percentage:
        return Decision(False, NOT_DRAWN, number)
    recent = last_asked_at is not None and now - last_asked_at < timedelta(days=once_per_days)
    if once_per_days > 0 and recent:
        return Decision(False, ASKED_RECENTLY, number)
    return Decision(True, DRAWN, number)


def due_at(resolved_at: datetime, delay_hours: int) -> datetime:
    """When the survey is shown and mailed: ``delay_hours`` after the resolution."""
    return resolved_at + timedelta(hours=max(delay_hours, 0))


def is_low(score: int | None, threshold: int) -> bool:
    """A score the group's manager hears of (``threshold`` included)."""
    return score is not None and score <= threshold


def may_edit(answered_at: datetime | None, now: datetime, edit_days: int) -> bool:
    """Whether an answer may still be given or changed: no answer yet, or within
    ``edit_days`` of the first one."""
    return answered_at is None or now - answered_at <= timedelta(days=edit_days)


def parse_score(value: object) -> int | None:
    """The score a form sent (``"1"``..``"5"``), or None when it is anything else (ASCII
    digits only: ``"²"`` or ``"٣"`` are digits to Python but no score)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in SCORES else None
    if isinstance(value, str) and value.strip() in _SCORE_TEXT:
        return int(value.strip())
    return None


_SCORE_TEXT = frozenset(str(n) for n in SCORES)

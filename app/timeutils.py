"""Time: the single reader of the wall clock. Pure code takes ``now`` as an argument."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def to_zone(value: datetime | None, zone: str) -> datetime | None:
    """Convert an aware datetime to the viewer's time zone for display."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone))

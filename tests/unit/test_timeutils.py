"""The UTC column type refuses naive datetimes and always hands back aware UTC values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from app.db import UTCDateTime
from app.timeutils import to_zone, utc_now


def test_utc_now_is_aware_utc():
    assert utc_now().tzinfo is UTC


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1, 12, 0), sqlite.dialect())


def test_offsets_are_converted_to_utc_before_storage():
    paris_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    stored = UTCDateTime().process_bind_param(paris_noon, sqlite.dialect())
    assert stored == datetime(2026, 7, 1, 10, 0)  # SQLite keeps the UTC wall time
    assert UTCDateTime().process_bind_param(paris_noon, postgresql.dialect()).tzinfo is UTC


def test_values_read_back_are_aware_utc():
    naive = datetime(2026, 7, 1, 10, 0)
    assert UTCDateTime().process_result_value(naive, sqlite.dialect()).tzinfo is UTC
    offset = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert UTCDateTime().process_result_value(offset, postgresql.dialect()) == datetime(
        2026, 7, 1, 10, 0, tzinfo=UTC
    )


def test_display_conversion_follows_daylight_saving():
    winter = to_zone(datetime(2026, 1, 15, 12, 0, tzinfo=UTC), "Europe/Paris")
    summer = to_zone(datetime(2026, 7, 15, 12, 0, tzinfo=UTC), "Europe/Paris")
    assert (winter.hour, summer.hour) == (13, 14)

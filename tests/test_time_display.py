"""Every time a person reads is in their zone, in one format, with the zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask_login import login_user

from app.ui import format_datetime, format_range, time_tag

TEMPLATES = sorted(Path(__file__).parent.parent.joinpath("app").rglob("templates/**/*.html"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p).split("app/", 1)[-1])
def test_no_template_formats_a_time_itself(path):
    """Templates go through the ``datetime``/``time_tag`` filters (the viewer's zone), never
    ``isoformat()`` or ``strftime()``, which print UTC or leave the zone out."""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\.(isoformat|strftime)\(", text)


def test_times_are_in_the_persons_zone_else_the_desks(app, make_user):
    winter = datetime(2026, 12, 6, 6, 58, tzinfo=UTC)
    summer = datetime(2026, 6, 2, 16, 0, tzinfo=UTC)
    nobody = make_user()
    stockholm = make_user(timezone="Europe/Stockholm")
    with app.test_request_context():
        assert app.config["DESKGRAPH_TIMEZONE"] == "UTC"
        login_user(nobody)
        assert format_datetime(winter) == "6 Dec 2026 06:58 UTC"
        login_user(stockholm)
        assert format_datetime(winter) == "6 Dec 2026 07:58 CET"
        assert format_datetime(summer) == "2 Jun 2026 18:00 CEST"
        assert format_datetime(winter, "short") == "6 Dec 07:58 CET"
        assert format_datetime(None) == "—"
        assert (
            format_range(winter, winter.replace(hour=8, minute=0)) == "6 Dec 2026 07:58–09:00 CET"
        )
        assert format_range(winter, winter.replace(day=7)) == (
            "6 Dec 2026 07:58 CET – 7 Dec 2026 07:58 CET"
        )
        assert time_tag(winter) == (
            '<time datetime="2026-12-06T06:58:00Z">6 Dec 2026 07:58 CET</time>'
        )

"""Dates and times written from month names looked up once (``app.i18n.formats``) read as
Babel writes their patterns, in every language the desk speaks; the scripts' strings worded
once per catalog are the ones each page worded."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from babel import dates as babel_dates
from flask import current_app
from flask_babel import force_locale

from app.i18n import formats
from app.i18n.locale import JS_MESSAGES_KEY, available, js_messages

INSTANTS = [
    datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))
    for year in (999, 2026)
    for month in range(1, 13)
    for day in (1, 9, 28)
    for hour, minute in ((0, 0), (9, 5), (23, 59))
    for zone in ("UTC", "Europe/Stockholm", "America/New_York")
]


@pytest.mark.parametrize("language", ["en", "sv"])
def test_dates_and_times_read_as_babel_writes_their_patterns(app, language):
    with app.test_request_context(headers={"Accept-Language": language}):
        locale = formats.locale()
        assert str(locale) == language
        for local in INSTANTS:
            zone = local.strftime("%Z")
            for short, pattern in ((False, "d MMM y HH:mm"), (True, "d MMM HH:mm")):
                babel = babel_dates.format_datetime(local, pattern, locale=locale)
                assert formats.datetime_text(local, short) == f"{babel} {zone}"
            babel = babel_dates.format_time(local, "HH:mm", locale=locale)
            assert formats.time_text(local) == f"{babel} {zone}"
            day = local.date()
            for year, pattern in ((True, "d MMM y"), (False, "d MMM")):
                expected = babel_dates.format_date(day, pattern, locale=locale)
                assert formats.day_text(day, year) == expected
                assert formats.day_text(local, year) == expected
    assert formats.day_text(date(2026, 12, 6)) == "6 Dec 2026"  # outside a request: English


def test_the_scripts_strings_follow_the_pages_language(app):
    with app.app_context():
        languages = available()
    for language in languages:
        with app.test_request_context(headers={"Accept-Language": language}):
            messages = current_app.extensions[JS_MESSAGES_KEY]
            expected = {key: str(text) for key, text in messages.items()}
            assert js_messages() == expected
            assert js_messages() == expected
            for other in languages:
                with force_locale(other):
                    assert js_messages() == {key: str(text) for key, text in messages.items()}
            assert js_messages() == expected
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        swedish = js_messages()
        assert swedish["cmdb.graph.no_service"] == "Ingen verksamhetstjänst berörs. "
        with force_locale("en"):
            assert js_messages()["cmdb.graph.no_service"] == "No business service is affected. "

"""Dates, times, numbers and durations as the reader's language writes them, through Babel's
locale data: ``6 Dec 2026 07:58 CET`` in English, ``6 dec. 2026 07:58 CET`` in Swedish;
``1,234.5`` and ``1 234,5``; weeks start on the locale's first day, and report weeks are ISO
weeks (``2026-W49``) in every language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Any, Literal

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask_babel import get_locale
from flask_babel import gettext as _

from app.i18n.words import babel_state

_ENGLISH = Locale.parse("en")


def locale() -> Locale:
    """The locale of what is being rendered (English outside any application): the one
    Flask-Babel chose for this request, read where it keeps it once chosen."""
    state = babel_state()
    chosen = state.__dict__.get("babel_locale") if state is not None else None
    if chosen is not None:
        return chosen
    try:
        return get_locale() or _ENGLISH
    except RuntimeError:
        return _ENGLISH


@cache
def month_abbreviations(locale: Locale) -> dict[int, str]:
    """The abbreviated month names Babel writes for ``MMM`` (``Dec``, ``dec.``), by month."""
    names = babel_dates.get_month_names("abbreviated", context="format", locale=locale)
    return {month: str(names[month]) for month in range(1, 13)}


def datetime_text(local: datetime, short: bool = False) -> str:
    """A local instant: day, abbreviated month, (year,) 24-hour time and the zone's abbreviation
    (``CET``), which reads the same in every language. Babel's ``d MMM y HH:mm`` (``d MMM
    HH:mm``), written from the month names once looked up."""
    month = month_abbreviations(locale())[local.month]
    year = "" if short else f" {local.year}"
    text = f"{local.day} {month}{year} {local:%H:%M}"
    zone = local.strftime("%Z")
    return f"{text} {zone}" if zone else text


def time_text(local: datetime) -> str:
    """Babel's ``HH:mm`` and the zone's abbreviation."""
    zone = local.strftime("%Z")
    text = f"{local:%H:%M}"
    return f"{text} {zone}" if zone else text


def day_text(value: date, year: bool = True) -> str:
    """A calendar day: ``6 Dec 2026`` / ``6 dec. 2026`` (``6 Dec`` without the year): Babel's
    ``d MMM y`` (``d MMM``)."""
    month = month_abbreviations(locale())[value.month]
    return f"{value.day} {month} {value.year}" if year else f"{value.day} {month}"


def weekday_name(
    index: int, width: Literal["abbreviated", "narrow", "short", "wide"] = "wide"
) -> str:
    """Monday is 0, as in Python's ``date.weekday()``."""
    return str(babel_dates.get_day_names(width, locale=locale())[index])


def month_name(month: int, width: Literal["abbreviated", "narrow", "wide"] = "wide") -> str:
    return str(babel_dates.get_month_names(width, locale=locale())[month])


def first_weekday() -> int:
    """The first day of the week in the reader's locale (Monday is 0)."""
    return int(locale().first_week_day)


def iso_week(value: date) -> str:
    """The ISO week of a day, ``2026-W49``: reports use ISO weeks in every language."""
    year, week, _day = value.isocalendar()
    return f"{year}-W{week:02d}"


def number(value: float | int | None, digits: int | None = None) -> str:
    """A number with the locale's grouping and decimal sign (``—`` for none)."""
    if value is None:
        return "—"
    if digits is None:
        return babel_numbers.format_decimal(value, locale=locale())
    return babel_numbers.format_decimal(
        value, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=locale()
    )


def percent(value: float | None, digits: int = 0) -> str:
    """A share (0.953) as a percentage in the locale's pattern (``95%``, ``95 %``)."""
    if value is None:
        return "—"
    pattern = locale().percent_formats[None].pattern
    if digits:
        head, zero, tail = pattern.rpartition("0")
        pattern = f"{head}{zero}.{'0' * digits}{tail}"
    return babel_numbers.format_percent(value, format=pattern, locale=locale())


def duration(seconds: float | None) -> str:
    """A length of time as a desk reads it: ``45 min``, ``2 h 05 min``, ``3 d 4 h``
    (``—`` for none)."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(days)s d %(hours)s h", days=number(days), hours=hours)
    if hours:
        padded = f"{mins:02d}"
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=padded)
    return _("%(minutes)s min", minutes=mins)


def utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def install(filters: dict[str, Any]) -> None:
    """The number filters every template uses."""
    filters["number"] = number
    filters["percent"] = percent
    filters["duration"] = duration
    filters["iso_week"] = iso_week

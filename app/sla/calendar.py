"""Business calendars: which instants count as working time, and how much of it lies between two.

This module is a pure core (see STYLE.md, "Pure cores stay pure"): it imports only the standard
library, ``zoneinfo`` and ``holidays``, never reads the wall clock, and takes and returns
timezone-aware UTC datetimes. A service layer builds a :class:`BusinessCalendar` from database rows
(time zone, weekly hours, country/subdivision, custom holidays, exceptions) and hands it to
:mod:`app.sla.clock`.

Wall-clock semantics. Working hours are local wall-clock times in the calendar's IANA zone. A
segment runs from the *first* instant the local clock shows its start to the first instant it
shows its end, so across DST changes it lasts what the people working it experience: 01:00–03:00
is one hour on the spring-forward day in Europe/Paris and three hours on the fall-back day. A start
or end that falls into a spring-forward gap begins at the transition. ``Segment.end ==
time(0)`` means 24:00 (the end of the day), so ``00:00–00:00`` is a whole day and a 24×7 calendar
counts exactly the elapsed time, DST or not.

Precedence for a local date: an :class:`DateException` wins over everything; otherwise a public
holiday (``holidays`` package) or a custom closed date closes the day; otherwise the weekly hours.

Efficiency. Per-date UTC intervals and totals are computed once and cached on the calendar (the
cache is bounded); long spans skip whole weeks, so a target of weeks costs a few dozen steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:  # holidays loads when a calendar with a country is built (issue 20)
    import holidays

__all__ = ["BusinessCalendar", "DateException", "Segment", "ensure_utc"]

ZERO = timedelta(0)
_DAY = timedelta(days=1)
_MIDNIGHT = time(0)
_MAX_DAYS = 366 * 100  # how far a search may look ahead before declaring the calendar closed
_CACHE_LIMIT = 50_000  # cached dates per calendar before the cache is cleared

Interval = tuple[datetime, datetime]


def ensure_utc(value: datetime, name: str = "instant") -> datetime:
    """Return ``value`` converted to UTC.

    :raise ValueError: ``value`` is naive (no time zone): business arithmetic on a naive datetime
        would silently depend on the server's zone.
    """
    if value.__class__ is datetime and value.tzinfo is UTC:
        return value  # the common case, kept cheap: the clock calls this on every span
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _parse_time(value: time | str) -> time:
    if isinstance(value, time):
        return value
    if value == "24:00":
        return _MIDNIGHT
    return time.fromisoformat(value)


@dataclass(frozen=True)
class Segment:
    """A working period within a day, in local wall-clock time: ``start`` ≤ t < ``end``.

    ``end == time(0)`` means 24:00. Strings such as ``"08:00"`` and ``"24:00"`` are accepted.

    :raise ValueError: the segment is empty or reversed, or carries a time zone.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _parse_time(self.start))
        object.__setattr__(self, "end", _parse_time(self.end))
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("segment times are local wall-clock times; drop the tzinfo")
        if self.end != _MIDNIGHT and self.end <= self.start:
            raise ValueError(f"empty or reversed segment {self}: the end must be after the start")

    @property
    def end_minutes(self) -> float:
        """Minutes from midnight to the end (1440 for 24:00), for ordering checks."""
        if self.end == _MIDNIGHT:
            return 1440.0
        return self.end.hour * 60 + self.end.minute + self.end.second / 60

    def __str__(self) -> str:
        end = "24:00" if self.end == _MIDNIGHT else self.end.isoformat("minutes")
        return f"{self.start.isoformat('minutes')}–{end}"


def _segments(value: Iterable[Segment | tuple[time | str, time | str]]) -> tuple[Segment, ...]:
    """Normalise and validate one day's segments: sorted, non-overlapping.

    :raise ValueError: two segments overlap.
    """
    result = tuple(
        sorted((s if isinstance(s, Segment) else Segment(*s) for s in value), key=lambda s: s.start)
    )
    for before, after in zip(result, result[1:], strict=False):
        start = after.start.hour * 60 + after.start.minute + after.start.second / 60
        if before.end == _MIDNIGHT or before.end_minutes > start:
            raise ValueError(f"overlapping segments {before} and {after}")
    return result


@dataclass(frozen=True)
class DateException:
    """A local date whose hours replace everything else: closed (no segments) or specially worked.

    Use it for a Saturday worked to catch up, a half day on Christmas Eve, or to open on a public
    holiday the desk does not observe.
    """

    day: date
    segments: tuple[Segment, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", _segments(self.segments))


@dataclass(frozen=True)
class BusinessCalendar:
    """Working time in an IANA time zone: weekly hours, holidays and exceptions.

    ``week`` has seven entries, Monday first, each a tuple of :class:`Segment` (empty: closed).
    ``country``/``subdivision`` select public holidays from the ``holidays`` package (e.g. ``"FR"``,
    ``"GB"``/``"SCT"``); ``include_eves`` also closes the country's de facto holidays, the eves
    most organisations close (in Sweden midsommarafton, julafton and nyårsafton);
    ``closed_dates`` adds custom holidays; ``exceptions`` override a date.

    Invariants: every segment is non-empty and a day's segments do not overlap; the week has some
    working time. Instances are immutable and safe to share; the only mutable part is a private
    per-date cache that never changes results.

    :raise ValueError: unknown time zone, country or subdivision; eves asked of a country that
        has none (or of no country); a malformed week; no working time in the week.
    """

    zone: str
    week: tuple[tuple[Segment, ...], ...]
    country: str | None = None
    subdivision: str | None = None
    closed_dates: frozenset[date] = frozenset()
    exceptions: tuple[DateException, ...] = ()
    include_eves: bool = False
    _tz: ZoneInfo | None = field(init=False, repr=False, compare=False, default=None)
    _holidays: holidays.HolidayBase | None = field(
        init=False, repr=False, compare=False, default=None
    )
    _by_date: dict[date, tuple[Segment, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _days: dict[int, tuple[tuple[Interval, ...], timedelta]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _weeks: dict[int, timedelta] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _always: bool = field(init=False, repr=False, compare=False, default=False)

    def __post_init__(self) -> None:
        try:
            tz = ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.zone!r}") from exc
        week = tuple(_segments(day) for day in self.week)
        if len(week) != 7:
            raise ValueError(f"week must have 7 days (Monday first), got {len(week)}")
        if not any(week):
            raise ValueError("calendar has no working hours in the week")
        calendar_holidays = None
        if self.country:
            import holidays

            try:
                calendar_holidays = holidays.country_holidays(self.country, subdiv=self.subdivision)
            except NotImplementedError as exc:
                raise ValueError(
                    f"unknown holiday country/subdivision {self.country!r}/{self.subdivision!r}"
                ) from exc
            if self.include_eves:
                if holidays.DE_FACTO not in calendar_holidays.supported_categories:
                    raise ValueError(f"holiday country {self.country!r} has no eves to include")
                calendar_holidays = holidays.country_holidays(
                    self.country,
                    subdiv=self.subdivision,
                    categories=(holidays.PUBLIC, holidays.DE_FACTO),
                )
        elif self.subdivision:
            raise ValueError("a holiday subdivision needs a country")
        elif self.include_eves:
            raise ValueError("holiday eves need a holiday country")
        full_day = (Segment(_MIDNIGHT, _MIDNIGHT),)
        always = (
            all(day == full_day for day in week)
            and not self.country
            and not self.closed_dates
            and not self.exceptions
        )
        object.__setattr__(self, "week", week)
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        object.__setattr__(self, "exceptions", tuple(self.exceptions))
        object.__setattr__(self, "_tz", tz)
        object.__setattr__(self, "_holidays", calendar_holidays)
        object.__setattr__(self, "_always", always)
        self._by_date.update((e.day, e.segments) for e in self.exceptions)

    # -- construction helpers ------------------------------------------------------------------

    @classmethod
    def always_open(cls, zone: str = "UTC") -> BusinessCalendar:
        """A 24×7 calendar: business time equals elapsed time."""
        return cls(zone, ((Segment(_MIDNIGHT, _MIDNIGHT),),) * 7)

    @classmethod
    def weekly(
        cls,
        zone: str,
        hours: Mapping[int, Iterable[Segment | tuple[time | str, time | str]]],
        **options: object,
    ) -> BusinessCalendar:
        """Build from ``{weekday: segments}`` (0 = Monday); missing weekdays are closed.

        ``options`` are the remaining fields (``country``, ``subdivision``, ``closed_dates``,
        ``exceptions``). Example: ``weekly("Europe/Paris", {d: [("08:00", "18:00")] for d in
        range(5)}, country="FR")``.
        """
        week = tuple(_segments(hours.get(day, ())) for day in range(7))
        return cls(zone, week, **options)  # type: ignore[arg-type]

    @property
    def tz(self) -> ZoneInfo:
        """The calendar's time zone."""
        return self._tz

    # -- per-date data (cached) ----------------------------------------------------------------

    def _to_utc(self, day: date, wall: time) -> datetime:
        """First instant at which the local clock on ``day`` shows ``wall`` or later."""
        local = datetime.combine(day, wall, tzinfo=self._tz)
        instant = local.astimezone(UTC)
        if instant.astimezone(self._tz).replace(tzinfo=None) == local.replace(tzinfo=None):
            return instant  # fold=0: the first of two readings when the clock falls back
        # In a spring-forward gap: find the transition instant by bisection (rare path).
        low = local.replace(fold=1).astimezone(UTC)  # before the transition
        high = instant  # after the transition
        while high - low > timedelta(microseconds=1):
            middle = low + (high - low) / 2
            if middle.astimezone(self._tz).replace(tzinfo=None) >= local.replace(tzinfo=None):
                high = middle
            else:
                low = middle
        return high

    def segments_on(self, day: date) -> tuple[Segment, ...]:
        """The local working segments of ``day`` after holidays and exceptions."""
        if day in self._by_date:
            return self._by_date[day]
        if day in self.closed_dates or (self._holidays is not None and day in self._holidays):
            return ()
        return self.week[day.weekday()]

    def _day(self, ordinal: int) -> tuple[tuple[Interval, ...], timedelta]:
        cached = self._days.get(ordinal)
        if cached is not None:
            return cached
        if len(self._days) > _CACHE_LIMIT:
            self._days.clear()
            self._weeks.clear()
        day = date.fromordinal(ordinal)
        intervals = []
        for segment in self.segments_on(day):
            start = self._to_utc(day, segment.start)
            if segment.end == _MIDNIGHT:
                end = self._to_utc(day + _DAY, _MIDNIGHT)
            else:
                end = self._to_utc(day, segment.end)
            if end > start:
                intervals.append((start, end))
        result = (tuple(intervals), sum((e - s for s, e in intervals), ZERO))
        self._days[ordinal] = result
        return result

    def _week_total(self, monday: int) -> timedelta:
        total = self._weeks.get(monday)
        if total is None:
            total = sum((self._day(monday + i)[1] for i in range(7)), ZERO)
            self._weeks[monday] = total
        return total

    def _ordinal(self, instant: datetime) -> int:
        return instant.astimezone(self._tz).toordinal()

    # -- public arithmetic -----------------------------------------------------------------------

    def intervals(self, start: datetime, end: datetime) -> Iterator[Interval]:
        """Yield the working intervals within ``[start, end)``, clipped, in order (UTC)."""
        start, end = ensure_utc(start, "start"), ensure_utc(end, "end")
        if end <= start:
            return
        if self._always:
            yield start, end
            return
        for ordinal in range(self._ordinal(start) - 1, self._ordinal(end) + 1):
            for s, e in self._day(ordinal)[0]:
                s, e = max(s, start), min(e, end)
                if e > s:
                    yield s, e

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants.

        Invariants: ``0 ≤ business_time(a, b) ≤ b - a``; additive:
        ``business_time(a, c) == business_time(a, b) + business_time(b, c)`` for a ≤ b ≤ c.

        :raise ValueError: a naive datetime, or ``end`` before ``start``.
        """
        start, end = ensure_utc(start, "start"), ensure_utc(end, "end")
        if end < start:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        if self._always or end == start:
            return end - start
        first, last = self._ordinal(start), self._ordinal(end)
        if last - first < 5:
            return self._clipped(range(first - 1, last + 1), start, end)
        # Clip the edge days; sum the whole days (and weeks) in between from the cache.
        total = self._clipped(range(first - 1, first + 2), start, end)
        total += self._clipped(range(last - 1, last + 1), start, end)
        ordinal = first + 2
        while ordinal < last - 1:
            if (ordinal - 1) % 7 == 0 and ordinal + 7 <= last - 1:  # a Monday and a whole week
                total += self._week_total(ordinal)
                ordinal += 7
            else:
                total += self._day(ordinal)[1]
                ordinal += 1
        return total

    def _clipped(self, ordinals: range, start: datetime, end: datetime) -> timedelta:
        total = ZERO
        for ordinal in ordinals:
            for s, e in self._day(ordinal)[0]:
                if e > start and s < end:
                    total += min(e, end) - max(s, start)
        return total

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant ``t ≥ start`` with ``business_time(start, t) == duration``.

        This is the due time of a target of ``duration`` counted from ``start``. A target that
        ends exactly at the end of a segment is due at that end, not at the next opening.

        :raise ValueError: a naive datetime, a negative duration, or no working time in the next
            hundred years (a calendar closed forever by its exceptions).
        """
        start = ensure_utc(start, "start")
        if duration < ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        if duration == ZERO:
            return start
        if self._always:
            return start + duration
        remaining = duration
        first = self._ordinal(start)
        ordinal = first - 1
        while ordinal <= first + _MAX_DAYS:
            whole = ordinal >= first + 2  # every interval of this day is after start
            if whole and (ordinal - 1) % 7 == 0:
                week = self._week_total(ordinal)
                if week < remaining:
                    remaining -= week
                    ordinal += 7
                    continue
            intervals, total = self._day(ordinal)
            if whole and total < remaining:
                remaining -= total
            else:
                for s, e in intervals:
                    s = max(s, start)
                    if e <= s:
                        continue
                    if e - s >= remaining:
                        return s + remaining
                    remaining -= e - s
            ordinal += 1
        raise ValueError("the calendar has no working time in the next hundred years")

    def is_business_time(self, instant: datetime) -> bool:
        """Whether ``instant`` lies within a working segment (start inclusive, end exclusive)."""
        instant = ensure_utc(instant)
        if self._always:
            return True
        ordinal = self._ordinal(instant)
        return any(s <= instant < e for day in (ordinal - 1, ordinal) for s, e in self._day(day)[0])

    def next_business_instant(self, instant: datetime) -> datetime:
        """``instant`` itself if it is working time, else the start of the next segment.

        :raise ValueError: a naive datetime, or no working time in the next hundred years.
        """
        instant = ensure_utc(instant)
        if self._always:
            return instant
        first = self._ordinal(instant)
        for ordinal in range(first - 1, first + _MAX_DAYS):
            for s, e in self._day(ordinal)[0]:
                if e > instant:
                    return max(s, instant)
        raise ValueError("the calendar has no working time in the next hundred years")

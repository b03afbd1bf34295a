"""SLA admin forms: the business calendar and the SLA policy editors.

The forms own the shape of the input: text lengths, choices, ``HH:MM-HH:MM`` day hours, ISO
dates, percentages and target minutes. They hand typed values (:class:`CalendarInput`,
:class:`PolicyInput`) to :mod:`app.sla.definitions`, which checks the rules that need the
database or the calendar engine (a taken name, an unknown zone or calendar, overlapping hours).
A field that cannot be read keeps what was typed, so the page shows it back with its error.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from app.forms import MultiCheckboxField
from app.sla.definitions import (
    DAYS,
    MAX_TARGET_MINUTES,
    CalendarInput,
    PolicyInput,
    format_day,
    ticket_kind_choices,
)
from app.sla.models import Escalation, SlaCalendar, SlaKind, SlaPolicy, SlaScope
from app.tickets.holds import HoldReason


def _text(limit: int, required: bool = True) -> list[Any]:
    checks: list[Any] = [
        Length(
            max=limit,
            message=_l(
                "Keep it under %(limit)s characters, without control characters.", limit=limit
            ),
        )
    ]
    return [DataRequired(_l("This field is required.")), *checks] if required else checks


class ParsedField(StringField):
    """A text input read into a value by :meth:`parse`; what was typed is shown back as is,
    and a piece that cannot be read is the field's error."""

    limit = 300

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = str(valuelist[0] if valuelist else "")[: self.limit]
        self.data = None
        self.data = self.parse(self.raw)  # a ValueError is the field's error

    def _value(self) -> str:
        if getattr(self, "raw", None) is not None:
            return self.raw
        return self.format(self.data) if self.data is not None else ""

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def format(self, value: Any) -> str:
        raise NotImplementedError


class DayHoursField(ParsedField):
    """A day's working hours: ``"08:00-12:00, 13:00-17:00"``; empty is a closed day."""

    def parse(self, text: str) -> list[list[str]]:
        segments = []
        for piece in text.replace(";", ",").split(","):
            piece = piece.strip().replace("–", "-")
            if not piece:
                continue
            start, sep, end = piece.partition("-")
            start, end = start.strip(), end.strip()
            if not sep or not _is_hhmm(start) or not _is_hhmm(end):
                raise ValueError(f"“{piece[:40]}” is not a range such as 08:00-12:00.")
            segments.append([start, end])
        return segments

    def format(self, value: list[list[str]]) -> str:
        return format_day(value)


def _is_hhmm(value: str) -> bool:
    hours, sep, minutes = value.partition(":")
    if not (sep and hours.isdecimal() and minutes.isdecimal() and len(minutes) == 2):
        return False
    return (int(hours) < 24 and int(minutes) < 60) or value == "24:00"


class DateListField(ParsedField):
    """Dates such as ``2026-12-24``, one a line (commas also separate them)."""

    limit = 5000
    widget = TextAreaField.widget

    def parse(self, text: str) -> list[date]:
        dates = set()
        for piece in text.replace(",", "\n").split():
            try:
                dates.add(date.fromisoformat(piece.strip()))
            except ValueError:
                raise ValueError(f"“{piece[:20]}” is not a date such as 2026-12-24.") from None
        return sorted(dates)

    def format(self, value: list[date]) -> str:
        return "\n".join(d.isoformat() for d in value)


class PercentListField(ParsedField):
    """Warning thresholds: ``"50, 75"`` (a trailing ``%`` is allowed)."""

    limit = 100

    def parse(self, text: str) -> list[int]:
        numbers = set()
        for piece in text.replace(";", ",").split(","):
            piece = piece.strip().rstrip("%")
            if not piece:
                continue
            if not (piece.isdecimal() and 0 < int(piece) < 100):
                raise ValueError("Warnings are percentages between 1 and 99, e.g. 50, 75.")
            numbers.add(int(piece))
        return sorted(numbers)

    def format(self, value: list[int]) -> str:
        return ", ".join(str(w) for w in value)


class MinutesField(ParsedField):
    """A target in whole minutes of business time, 1 to :data:`MAX_TARGET_MINUTES`."""

    limit = 50

    def parse(self, text: str) -> int:
        text = text.strip()
        if not (text.isdecimal() and len(text) < 10 and 0 < int(text) <= MAX_TARGET_MINUTES):
            raise ValueError(
                f"Give priority {self.short_name} a target of 1 to {MAX_TARGET_MINUTES} minutes."
            )
        return int(text)

    def format(self, value: int) -> str:
        return str(value)


class IdField(SelectField):
    """A choice of row by id, as a ``<select>`` the page fills; empty is None. The service
    says which rows may be chosen; an id that cannot be read is ``unreadable``'s error, or
    None when the field has no message for it."""

    def __init__(self, *args: Any, unreadable: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, validate_choice=False, coerce=_id_or_none, **kwargs)
        self.unreadable = unreadable

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = _id_or_none(text)
        if text and self.data is None and self.unreadable:
            raise ValueError(self.unreadable)

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


def _id_or_none(value: Any) -> int | None:
    text = "" if value is None else str(value).strip()
    return int(text) if text.isdecimal() and len(text) < 10 else None


def errors_by_name(form: FlaskForm) -> dict[str, list[str]]:
    """Field name → messages, as the templates' ``field_error`` reads them: a sub-form's fields
    under their full names (``target-3``)."""
    return {
        inner.name: list(inner.errors)
        for field in form
        for inner in (field if isinstance(field, FormField) else [field])
        if inner.errors
    }


def _enum_field(label: str, values: type[StrEnum], default: StrEnum) -> SelectField:
    """A choice of one of ``values``; anything else is “Choose one of: …”."""
    allowed = [v.value for v in values]
    return SelectField(
        label,
        choices=[SelectChoice(v.value, getattr(v, "label", v.value)) for v in values],
        default=default.value,
        validate_choice=False,
        validators=[
            AnyOf(allowed, message=_l("Choose one of: %(join)s.", join=", ".join(allowed)))
        ],
    )


class CalendarForm(FlaskForm):
    """A business calendar: zone, holidays, the hours of each weekday (``mon`` … ``sun``)."""

    version = HiddenField()
    name = StringField(_l("Name"), validators=_text(100))
    zone = StringField(_l("Time zone (IANA, e.g. Europe/Paris)"), validators=_text(64))
    country = StringField(_l("Holiday country (e.g. FR, GB)"), validators=_text(8, required=False))
    subdivision = StringField(_l("Subdivision (e.g. ENG)"), validators=_text(16, required=False))
    closed_dates = DateListField(_l("Other closed dates (one per line, 2026-12-24)"), default=[])
    include_eves = BooleanField(
        _l(
            "Also close on the eves many organisations treat as holidays (Sweden: midsommarafton, "
            "julafton, nyårsafton)"
        )
    )

    @classmethod
    def showing(cls, row: SlaCalendar | None) -> CalendarForm:
        """The editor filled with ``row`` (None: a new calendar in UTC, office hours on
        weekdays)."""
        if row is None:
            office = [[["08:00", "18:00"]]] * 5 + [[], []]
            return cls(formdata=None, data={"zone": "UTC", **dict(zip(DAYS, office, strict=True))})
        data = {
            "version": row.version,
            "name": row.name,
            "zone": row.zone,
            "country": row.country or "",
            "subdivision": row.subdivision or "",
            "closed_dates": [date.fromisoformat(d) for d in row.closed_dates or []],
            "include_eves": row.include_eves,
            **dict(zip(DAYS, row.week, strict=False)),
        }
        return cls(formdata=None, data=data)

    def values(self) -> CalendarInput:
        return CalendarInput(
            name=self.name.data.strip(),
            zone=self.zone.data.strip(),
            country=(self.country.data or "").strip().upper() or None,
            subdivision=(self.subdivision.data or "").strip().upper() or None,
            week=[self[day].data for day in DAYS],
            closed_dates=self.closed_dates.data,
            include_eves=bool(self.include_eves.data),
        )


DAY_LABELS = {
    "mon": _l("Monday"),
    "tue": _l("Tuesday"),
    "wed": _l("Wednesday"),
    "thu": _l("Thursday"),
    "fri": _l("Friday"),
    "sat": _l("Saturday"),
    "sun": _l("Sunday"),
}
for _day in DAYS:
    setattr(CalendarForm, _day, DayHoursField(DAY_LABELS[_day], default=[]))


def targets_form(levels: Iterable[int]) -> type[Form]:
    """The targets of a policy, one input per priority level of the matrix: named
    ``target-1`` … once inside :class:`PolicyForm`."""
    fields = {str(level): MinutesField(_("P%(level)s", level=level)) for level in levels}
    return type("TargetsForm", (Form,), fields)


class PolicyForm(FlaskForm):
    """An SLA policy of a queue. Build it with :meth:`for_levels` (the targets and start
    priorities follow the priority matrix); the page fills the calendar, catalog item and
    queue choices."""

    version = HiddenField()
    name = StringField(_l("Name"), validators=_text(100))
    kind = _enum_field(_l("Measures"), SlaKind, SlaKind.RESOLUTION)
    scope = _enum_field(_l("Scope"), SlaScope, SlaScope.GROUP)
    escalation = _enum_field(_l("On breach"), Escalation, Escalation.NONE)
    ticket_kind = SelectField(_l("Tickets"), default="", validate_choice=False)
    catalog_item = IdField(
        _l("Catalog item"), unreadable=_l("Choose a catalog item from the list.")
    )
    calendar = IdField(_l("Business calendar"), unreadable=_l("Choose a business calendar."))
    escalation_group = IdField(_l("Reassign to (on breach)"))
    pause_reasons = MultiCheckboxField(
        _l("Pause while on hold"),
        choices=[SelectChoice(r.value, r.label) for r in HoldReason],
        default=["awaiting_caller", "awaiting_vendor"],
        validate_choice=False,
    )
    start_priorities = MultiCheckboxField(
        _l("Start only at priority (none: always)"), default=[], validate_choice=False
    )
    warnings = PercentListField(_l("Warnings (percent of the target)"), default=[50, 75])
    retroactive_start = BooleanField(_l("Retroactive start (count from the opening)"))
    is_active = BooleanField(_l("Active"), default=True)

    @classmethod
    def for_levels(cls, levels: Iterable[int], **kwargs: Any) -> PolicyForm:
        """A form whose targets and start priorities are ``levels``."""
        levels = sorted(levels)
        form_class = type(
            "PolicyForm", (cls,), {"target": FormField(targets_form(levels), separator="-")}
        )
        form = form_class(**kwargs)
        form.ticket_kind.choices = [SelectChoice("", _("Every kind"))] + [
            SelectChoice(value, label) for value, label in ticket_kind_choices()
        ]
        form.start_priorities.choices = [SelectChoice(str(v), f"P{v}") for v in levels]
        return form

    @classmethod
    def showing(cls, row: SlaPolicy | None, levels: Iterable[int]) -> PolicyForm:
        """The editor filled with ``row`` (None: a new policy's defaults)."""
        if row is None:
            return cls.for_levels(levels, formdata=None)
        data = {
            "version": row.version,
            "name": row.name,
            "kind": row.kind.value,
            "scope": row.scope.value,
            "ticket_kind": row.ticket_kind or "",
            "catalog_item": row.catalog_item_id,
            "calendar": row.calendar_id,
            "escalation": row.escalation.value,
            "escalation_group": row.escalation_group_id,
            "pause_reasons": list(row.pause_reasons or []),
            "start_priorities": [str(p) for p in row.start_priorities or []],
            "warnings": list(row.warnings or []),
            "target": dict(row.targets or {}),
            "retroactive_start": row.retroactive_start,
            "is_active": row.is_active,
        }
        return cls.for_levels(levels, formdata=None, data=data)

    def validate_ticket_kind(self, field: Field) -> None:
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError(_("Choose a kind of ticket from the list."))

    def validate_pause_reasons(self, field: Field) -> None:
        field.data = (field.data or [])[:20]
        if set(field.data) - {r.value for r in HoldReason}:
            raise ValidationError(_("Choose hold reasons from the list."))

    def validate_start_priorities(self, field: Field) -> None:
        field.data = (field.data or [])[:20]
        if set(field.data) - {c.value for c in field.choices}:
            raise ValidationError(_("Choose priorities from the list."))

    def values(self) -> PolicyInput:
        return PolicyInput(
            name=self.name.data.strip(),
            kind=SlaKind(self.kind.data),
            scope=SlaScope(self.scope.data),
            ticket_kind=self.ticket_kind.data or None,
            catalog_item_id=self.catalog_item.data,
            calendar_id=self.calendar.data,
            targets={int(level): field.data for level, field in self.target.form._fields.items()},
            pause_reasons=sorted(set(self.pause_reasons.data)),
            start_priorities=sorted({int(p) for p in self.start_priorities.data}),
            retroactive_start=self.retroactive_start.data,
            warnings=self.warnings.data,
            escalation=Escalation(self.escalation.data),
            escalation_group_id=self.escalation_group.data,
            is_active=self.is_active.data,
        )

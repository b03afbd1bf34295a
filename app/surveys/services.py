"""Surveys: start one when a ticket is resolved, send those that are due, answer (from the
portal or a mail link), the settings and the report. Services flush, never commit.

A survey speaks to people through ticket events that the notifications read:
``survey_sent`` (the caller is asked) and ``survey_low_score`` (the group's manager is told).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import String, case, func, literal, select, tuple_, union_all

from app.auth.models import Group, User
from app.db import is_postgresql
from app.errors import Conflict, Forbidden, Invalid, NotFound, check_version
from app.extensions import db
from app.surveys import sampling
from app.surveys.models import Survey, SurveySettings
from app.tickets import services as tickets
from app.tickets.models import Ticket, TicketKind
from app.timeutils import utc_now

SENT = "survey_sent"
LOW_SCORE = "survey_low_score"
# The states in which a ticket counts as done (a survey may be answered); any other state
# means it was reopened since.
DONE_STATES = {
    TicketKind.INCIDENT: frozenset({"resolved", "closed"}),
    TicketKind.REQUEST_ITEM: frozenset({"closed"}),
}
SETTING_LIMITS = {
    "percentage": (0, 100),
    "once_per_days": (0, 365),
    "delay_hours": (0, 720),
    "low_score": (1, 4),
    "edit_days": (0, 30),
}


def resolves(ticket: Ticket, new_state: str | None, data: Mapping[str, Any]) -> bool:
    """Whether a change of state resolves the ticket (an incident resolved, a request item
    closed complete): the moment its caller may be asked."""
    if ticket.kind == TicketKind.INCIDENT:
        return new_state == "resolved"
    if ticket.kind == TicketKind.REQUEST_ITEM:
        return new_state == "closed" and data.get("close_code") == "complete"
    return False


def settings() -> SurveySettings:
    """The settings row (not added to the session until saved: the defaults until then)."""
    row = db.session.get(SurveySettings, 1)
    if row is None:
        row = SurveySettings(
            id=1, percentage=100, once_per_days=0, delay_hours=0, low_score=2, edit_days=3
        )
    return row


def save_settings(values: Mapping[str, Any], version: Any = None) -> SurveySettings:
    """Store the administrators' choice.

    :raise Invalid: a value that is not a whole number in its range.
    :raise Conflict: someone saved the settings since ``version``.
    """
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for name, (low, high) in SETTING_LIMITS.items():
        raw = values.get(name)
        text = str(raw).strip() if raw is not None else ""
        if (
            not (text.isascii() and text.isdigit() and len(text) <= 4)
            or not low <= int(text) <= high
        ):
            errors[name] = f"Enter a whole number from {low} to {high}."
        else:
            numbers[name] = int(text)
    if errors:
        raise Invalid(errors)
    row = settings()
    if row in db.session and version not in (None, ""):
        check_version(row, version, "The survey settings")
    for name, number in numbers.items():
        setattr(row, name, number)
    db.session.add(row)
    db.session.flush()
    return row


def _pending(ticket_id: int) -> bool:
    return any(isinstance(o, Survey) and o.ticket_id == ticket_id for o in db.session.new)


def start(ticket: Ticket, now: datetime) -> Survey | None:
    """Record the sampling decision for a ticket just resolved, and send the survey now when
    there is no delay. A ticket gets one survey row ever: resolved again after a reopen, its
    first decision stands (``None`` is returned). Safe to call inside a flush (no autoflush).
    """
    with db.session.no_autoflush:
        if _pending(ticket.id) or db.session.scalar(
            select(Survey.id).where(Survey.ticket_id == ticket.id)
        ):
            return None
        config = settings()
        last = db.session.scalar(
            select(func.max(Survey.created_at)).where(
                Survey.caller_id == ticket.caller_id, Survey.sampled.is_(True)
            )
        )
        last = max(
            [last]
            + [
                o.created_at
                for o in db.session.new
                if isinstance(o, Survey) and o.caller_id == ticket.caller_id and o.sampled
            ],
            key=lambda when: when or datetime.min.replace(tzinfo=now.tzinfo),
        )
        decision = sampling.decide(
            ticket_id=ticket.id,
            percentage=config.percentage,
            now=now,
            last_asked_at=last,
            once_per_days=config.once_per_days,
        )
        survey = Survey(
            ticket_id=ticket.id,
            caller_id=ticket.caller_id,
            sampled=decision.sampled,
            draw=decision.draw,
            reason=decision.reason,
            created_at=now,
            due_at=sampling.due_at(now, config.delay_hours),
            group_id=ticket.assignment_group_id,
            agent_id=ticket.assignee_id,
            service=_service_of(ticket),
            category=_category_of(ticket),
            comment="",
        )
        db.session.add(survey)
        if decision.sampled and survey.due_at <= now:
            _send(survey, ticket, now)
    return survey


def _service_of(ticket: Ticket) -> str | None:
    if ticket.kind == TicketKind.INCIDENT:
        return getattr(ticket, "affected_service", None)
    item = getattr(ticket, "catalog_item", None)
    return item.name[:200] if item is not None else None


def _category_of(ticket: Ticket) -> str | None:
    if ticket.kind == TicketKind.INCIDENT:
        return getattr(ticket, "category", None)
    item = getattr(ticket, "catalog_item", None)
    category = item.category if item is not None else None
    return category.name[:80] if category is not None else None


def _send(survey: Survey, ticket: Ticket, now: datetime) -> None:
    survey.sent_at = now
    tickets.record_event(ticket, SENT, None, at=now)


def send_due(now: datetime | None = None) -> list[str]:
    """Send the sampled surveys whose delay has passed and whose ticket is still done (run
    from cron with ``flask surveys send``); returns the tickets' numbers. Run twice, it sends
    nothing more."""
    now = now or utc_now()
    due = db.session.scalars(
        select(Survey)
        .where(Survey.sampled.is_(True), Survey.sent_at.is_(None), Survey.due_at <= now)
        .order_by(Survey.id)
    ).all()
    numbers = []
    for survey in due:
        if is_done(survey.ticket):
            _send(survey, survey.ticket, now)
            numbers.append(survey.ticket.number)
    db.session.flush()
    return numbers


def is_done(ticket: Ticket) -> bool:
    return ticket.state in DONE_STATES.get(ticket.kind, frozenset())


def survey_of(ticket: Ticket) -> Survey | None:
    return db.session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))


def open_until(survey: Survey) -> datetime:
    """The last moment a first answer is taken: as long as the mail's link is valid
    (``SURVEY_LINK_DAYS`` after the survey is due, 14 unless set)."""
    return survey.due_at + timedelta(days=int(current_app.config.get("SURVEY_LINK_DAYS", 14)))


def open_for_caller(survey: Survey | None, now: datetime) -> bool:
    """Whether the caller is shown the survey: sampled, due, the ticket still done, and
    answered already or still taking answers."""
    return (
        survey is not None
        and survey.sampled
        and survey.due_at <= now
        and is_done(survey.ticket)
        and (survey.answered or now <= open_until(survey))
    )


def get_for_caller(survey_id: int, user: Any) -> Survey:
    """A survey its caller may answer.

    :raise NotFound: no such survey, or not one that was asked.
    :raise Forbidden: the survey of someone else's ticket.
    """
    survey = db.session.get(Survey, survey_id)
    if survey is None or not survey.sampled:
        raise NotFound(_("There is no such survey."))
    if survey.caller_id != getattr(user, "id", None):
        raise Forbidden(_("This survey was sent to someone else."))
    return survey


def answer(
    survey: Survey,
    *,
    score: Any,
    comment: Any,
    by: User,
    via: str,
    version: Any = None,
    now: datetime | None = None,
) -> Survey:
    """Give or change the answer of ``survey``, as its caller ``by``. A low score (the
    setting) tells the group's manager once.

    :raise Invalid: a score that is not 1..5, a comment too long.
    :raise Forbidden: ``by`` is not the caller.
    :raise Conflict: not due yet, the ticket was reopened since, no answer given while the
        survey was open, the edit window has passed, or the answer was changed since
        ``version``.
    """
    now = now or utc_now()
    if survey.caller_id != by.id:
        raise Forbidden(_("This survey was sent to someone else."))
    number = sampling.parse_score(score)
    errors = {}
    if number is None:
        errors["score"] = _("Choose one of the five faces (1 to 5).")
    text = str(comment or "").replace("\x00", "").strip()
    if len(text) > sampling.MAX_COMMENT:
        errors["comment"] = _("Keep it under %(limit)s characters.", limit=sampling.MAX_COMMENT)
    if errors:
        raise Invalid(errors)
    if not survey.sampled or survey.due_at > now:
        raise Conflict(_("This survey is not open yet."))
    if not is_done(survey.ticket):
        raise Conflict(
            _(
                "%(number)s was reopened since: we will ask again when it is solved.",
                number=survey.ticket.number,
            )
        )
    if not survey.answered and now > open_until(survey):
        raise Conflict(_("This survey is closed: it took answers for its first days only."))
    config = settings()
    if not sampling.may_edit(survey.answered_at, now, config.edit_days):
        raise Conflict(
            _(
                "Answers can be changed for %(days)s days; this one can no longer be.",
                days=config.edit_days,
            )
        )
    if version not in (None, ""):
        check_version(survey, version, _("This answer"))
    survey.score = number
    survey.comment = text
    survey.answered_at = survey.answered_at or now
    survey.updated_at = now
    survey.answered_via = via
    if sampling.is_low(number, config.low_score) and survey.low_notified_at is None:
        survey.low_notified_at = now
        tickets.record_event(survey.ticket, LOW_SCORE, by, at=now, score=number)
    db.session.flush()
    return survey


def may_edit(survey: Survey, now: datetime | None = None) -> bool:
    return sampling.may_edit(survey.answered_at, now or utc_now(), settings().edit_days)


def is_low(survey: Survey) -> bool:
    return sampling.is_low(survey.score, settings().low_score)


# The report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    sent: int
    answered: int
    average: float | None
    satisfied: int  # scores 4 and 5
    low: int

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.sent * 100 if self.sent else None

    @property
    def csat(self) -> float | None:
        """The share of answers that are 4 or 5, in percent (the usual CSAT figure)."""
        return self.satisfied / self.answered * 100 if self.answered else None


DIMENSIONS = ("agent", "group", "service", "category")


def report(days: int, now: datetime | None = None) -> dict[str, list[Row]]:
    """Per agent, group, service and category, over the surveys sent in the last ``days``
    days: sent, answered, average score, CSAT, low scores, plus ``"total"``; one statement
    (see :func:`_report_rows`)."""
    now = now or utc_now()
    since = now - timedelta(days=days)
    found: dict[str, list[Row]] = {name: [] for name in (*DIMENSIONS, "total")}
    for name, *values in _report_rows(since, settings().low_score):
        found[name].append(_row(values))
    for name in DIMENSIONS:
        found[name].sort(key=lambda r: (-r.answered, r.label))
    everything = _("All")
    if not found["total"]:
        found["total"] = [_row((everything, 0, 0, None, 0, 0))]
    found["total"][0] = replace(found["total"][0], label=everything)
    return found


def _report_rows(since: datetime, low: int) -> list[Any]:
    """(dimension, label, sent, answered, average, satisfied, low) per agent, group, service,
    category and in total: on PostgreSQL one pass over the surveys grouped by ``GROUPING
    SETS``, elsewhere the five groupings in one ``UNION ALL`` statement. Agents and groups
    are told apart by id (two people may share a name)."""
    figures = (
        func.count(Survey.id),
        func.count(Survey.score),
        func.avg(Survey.score),
        func.sum(case((Survey.score >= 4, 1), else_=0)),
        func.sum(case((Survey.score <= low, 1), else_=0)),
    )
    sets: dict[str, tuple[Any, ...]] = {
        "agent": (Survey.agent_id, User.display_name),
        "group": (Survey.group_id, Group.name),
        "service": (Survey.service,),
        "category": (Survey.category,),
        "total": (),
    }
    surveys = (
        select()
        .select_from(Survey)
        .outerjoin(User, Survey.agent_id == User.id)
        .outerjoin(Group, Survey.group_id == Group.id)
        .where(Survey.sent_at.is_not(None), Survey.sent_at >= since)
    )
    if is_postgresql(db.session):
        # GROUPING(agent, group, service, category): a bit set per column left out of a set.
        keys = (Survey.agent_id, Survey.group_id, Survey.service, Survey.category)
        bits = {"agent": 0b0111, "group": 0b1011, "service": 0b1101, "category": 0b1110}
        dimension = case(
            *((func.grouping(*keys) == b, name) for name, b in bits.items()), else_="total"
        )
        label = func.coalesce(User.display_name, Group.name, Survey.service, Survey.category)
        query = surveys.add_columns(dimension, label, *figures).group_by(
            func.grouping_sets(*(tuple_(*columns) for columns in sets.values()))
        )
        return list(db.session.execute(query))
    branches = [
        surveys.add_columns(
            literal(name), columns[-1] if columns else literal(None, String), *figures
        ).group_by(*columns)
        for name, columns in sets.items()
    ]
    return list(db.session.execute(union_all(*branches)))


def _row(values: Any) -> Row:
    label, sent, answered, average, satisfied, low = values
    return Row(
        label=label or "(none)",
        sent=int(sent or 0),
        answered=int(answered or 0),
        average=float(average) if average is not None else None,
        satisfied=int(satisfied or 0),
        low=int(low or 0),
    )


def recent_answers(limit: int = 20) -> list[Survey]:
    """The latest answers, newest first (the report's comments)."""
    return list(
        db.session.scalars(
            select(Survey)
            .where(Survey.updated_at.is_not(None))  # answered (skips the index's NULLs)
            .order_by(Survey.updated_at.desc(), Survey.id.desc())
            .limit(limit)
        )
    )

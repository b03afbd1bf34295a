"""Customer satisfaction (surveys) and knowledge deflection (definitions in docs/metrics.md)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, func, select

from app.extensions import db
from app.kb.models import AttemptOutcome, DeflectionAttempt
from app.reports.measures.base import (
    Figure,
    Point,
    as_date,
    fold_weeks,
    in_scope,
    ratio,
    report_date,
)
from app.reports.scope import Scope
from app.surveys.models import Survey


def survey_where(scope: Scope) -> list[ColumnElement[bool]]:
    """Surveys sent in the range, of tickets the scope's filters keep."""
    return in_scope(Survey.sent_at, Survey.ticket_id, scope)


def csat(scope: Scope, *, by: str | None = None) -> Figure:
    """Mean score (1..5) of the surveys sent in the range and answered; ``extra`` has the
    distribution of scores and the response rate (answered / sent)."""
    where = survey_where(scope)
    distribution = dict.fromkeys(range(1, 6), 0)
    sent = 0  # one statement: the surveys per score (None: not answered)
    for score, n in db.session.execute(
        select(Survey.score, func.count()).where(*where).group_by(Survey.score)
    ):
        sent += int(n)
        if score is not None:
            distribution[int(score)] = int(n)
    answered = sum(distribution.values())
    mean = sum(s * n for s, n in distribution.items()) / answered if answered else None
    series: tuple[Point, ...] = ()
    if by in ("day", "week"):
        day = report_date(Survey.sent_at, scope)
        rows = [
            (as_date(d), float(total or 0), int(n))
            for d, total, n in db.session.execute(
                select(day, func.sum(Survey.score), func.count(Survey.score))
                .where(*where)
                .group_by(day)
                .order_by(day)
            )
        ]
        if by == "week":
            rows = fold_weeks(rows)
        series = tuple(Point(k, round(t / n, 2) if n else None, n) for k, t, n in rows)
    elif by == "score":
        series = tuple(Point(s, float(n), n) for s, n in distribution.items())
    stats = {"response_rate": ratio(answered, sent), "sent": float(sent)}
    value = round(float(mean), 2) if mean is not None else None
    return Figure(
        "csat", value, int(answered), "score", stats, series, by,
        {"distribution": distribution},
    )  # fmt: skip


def csat_tickets(scope: Scope, *, score: int | None = None, answered: bool = True) -> Select:
    """The tickets whose surveys the CSAT figure counts (``score``: one bar of the
    distribution; ``answered=False``: every survey sent, the response rate's base)."""
    where = survey_where(scope)
    if answered or score is not None:
        where.append(Survey.score.is_not(None))
    if score is not None:
        where.append(Survey.score == score)
    return select(Survey.ticket_id).where(*where)


def kb_deflection(scope: Scope) -> Figure:
    """Deflection rate: of the report-form attempts started in the range that ended, the
    share ended by "This solved my problem" rather than by sending the report. Attempts are
    not tickets and have no queue: the figure is desk-wide and has no ticket drill-down."""
    rows = dict(
        db.session.execute(
            select(DeflectionAttempt.outcome, func.count())
            .where(
                DeflectionAttempt.started_at >= scope.since,
                DeflectionAttempt.started_at < scope.until,
            )
            .group_by(DeflectionAttempt.outcome)
        ).all()
    )
    solved = int(rows.get(AttemptOutcome.SOLVED, 0))
    sent = int(rows.get(AttemptOutcome.TICKET, 0))
    still_open = int(rows.get(AttemptOutcome.OPEN, 0))
    stats = {"solved": float(solved), "ticket": float(sent), "open": float(still_open)}
    return Figure("kb_deflection", ratio(solved, solved + sent), solved + sent, "percent", stats)

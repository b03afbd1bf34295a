"""What the ticket pages show of a survey, as template helpers (the incident and request
pages call them by name, so that nothing imports this package): the caller's question in the
portal, the score and comment for IT staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, render_template, url_for
from flask_login import current_user
from markupsafe import Markup

from app.incidents import services as incidents
from app.policy import can
from app.surveys import labels, sampling, services
from app.surveys.forms import AnswerForm
from app.surveys.models import Survey
from app.tickets.models import Ticket, TicketKind
from app.timeutils import utc_now


def ticket_url(ticket: Ticket) -> str:
    """The ticket's page (a request item's is its request's)."""
    if ticket.kind == TicketKind.REQUEST_ITEM:
        return url_for("requests.detail", number=ticket.request.number)  # type: ignore[attr-defined]
    return url_for("incidents.detail", number=ticket.number)


def reopen_offer(survey: Survey, now: datetime) -> str | None:
    """After a low score, where the caller may reopen the ticket (the incident page's reopen
    form), while the reopen window lasts; None otherwise."""
    ticket = survey.ticket
    if not services.is_low(survey) or ticket.kind != TicketKind.INCIDENT:
        return None
    if not incidents.can_reopen(ticket, now, incidents.reopen_window(current_app.config)):
        return None
    return url_for("incidents.detail", number=ticket.number, _anchor="resolved-title")


def _ever_resolved(ticket: Ticket) -> bool:
    """Whether ``ticket`` can have a survey: it is resolved, or was before a reopen (a ticket
    never resolved has none, and its page need not ask)."""
    return ticket.resolved_at is not None or bool(ticket.reopen_count)


def caller_panel(ticket: Ticket) -> Markup:
    """The survey on the caller's ticket page, when it is open to them."""
    if not current_user.is_authenticated or current_user.id != ticket.caller_id:
        return Markup("")
    if not _ever_resolved(ticket):
        return Markup("")
    survey = services.survey_of(ticket)
    now = utc_now()
    if survey is None or not services.open_for_caller(survey, now):
        return Markup("")
    form = AnswerForm(formdata=None)
    form.score.data = str(survey.score) if survey.score else None
    form.comment.data = survey.comment
    form.version.data = str(survey.version)
    return Markup(
        render_template(
            "surveys/_caller_panel.html",
            survey=survey,
            form=form,
            faces=sampling.ICONS,
            labels=labels.LABELS,
            not_asked=labels.NOT_ASKED,
            may_edit=services.may_edit(survey, now),
            reopen=reopen_offer(survey, now),
        )
    )


def staff_panel(ticket: Ticket) -> Markup:
    """The survey's score and comment for IT staff (nothing for anyone else)."""
    if not current_user.is_authenticated or not can(current_user, "surveys.read_scores"):
        return Markup("")
    if not _ever_resolved(ticket):
        return Markup("")
    survey = services.survey_of(ticket)
    if survey is None:
        return Markup("")
    return Markup(
        render_template(
            "surveys/_staff_panel.html",
            survey=survey,
            faces=sampling.ICONS,
            labels=labels.LABELS,
            not_asked=labels.NOT_ASKED,
            low=services.is_low(survey),
        )
    )


def globals_() -> dict[str, Any]:
    return {"survey_caller_panel": caller_panel, "survey_staff_panel": staff_panel}

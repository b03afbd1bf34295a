"""The forecast's pages on the ``sla`` blueprint: the at-risk list with the month's projected
compliance, and the explanation fragment a ticket's SLA panel loads."""

from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from app.auth.models import Group
from app.extensions import db
from app.filtering import FilterForm, ignored_note
from app.policy import can, require
from app.sla.permissions import forecast_groups
from app.sla.views import bp
from app.timeutils import utc_now

PRIORITIES = [SelectChoice(str(p), f"P{p}") for p in range(1, 6)]


class RiskFilterForm(FilterForm):
    """The at-risk list's filters: one of the reader's queues, a priority."""

    queue = SelectField(_l("Queue"), choices=[], default="", validate_choice=True)
    priority = SelectField(
        _l("Priority"), choices=[SelectChoice("", "Any priority"), *PRIORITIES], default=""
    )


def reader_queues() -> list[Group]:
    query = select(Group).where(Group.is_assignment_group).order_by(Group.name)
    return list(db.session.scalars(forecast_groups(current_user, query)).unique())


def ticket_url(kind: str, number: str) -> str | None:
    """The ticket's own page (by endpoint name: sla imports neither incidents nor requests);
    a request item's SLAs show on the SLA drill-down, for those who may read reports."""
    if kind == "catalog_task":
        return url_for("requests.task", number=number)
    if kind == "incident":
        return url_for("incidents.detail", number=number)
    if can(current_user, "sla.reports"):
        return url_for("sla.ticket_slas", number=number)
    return None


@bp.get("/at-risk")
@require("sla.at_risk")
def at_risk() -> ResponseReturnValue:
    queues = reader_queues()
    form = RiskFilterForm(request.args)
    form.queue.choices = [SelectChoice("", _("All my queues"))] + [
        SelectChoice(str(g.id), g.name) for g in queues
    ]
    if ignored := form.clean():
        flash(ignored_note(ignored), "warning")
    ids = [int(form.queue.data)] if form.queue.data else [g.id for g in queues]
    priority = int(form.priority.data) if form.priority.data else None
    from app.sla.forecast import services  # here: it imports numpy (issue 20)

    now = utc_now()
    found = services.risks(ids, now, priority=priority)
    open_ = [r for r in found if not r.breached]
    names = {g.id: g.name for g in queues}
    return render_template(
        "sla/at_risk.html",
        form=form,
        queues=queues,
        risks=open_[: services.SHOWN],
        total=len(open_),
        projections=services.projections(ids, names, found, now, priority=priority),
        ticket_url=ticket_url,
        month=now.strftime("%B %Y"),
    )


@bp.get("/forecast/<int:record_id>")
@require("sla.at_risk")
def forecast_panel(record_id: int) -> ResponseReturnValue:
    """The explanation a ticket's SLA panel loads for one running clock (an HTML fragment)."""
    from app.sla.forecast import services  # here: it imports numpy (issue 20)

    risk = services.record_risk(record_id, utc_now())
    if risk is None or not can(current_user, "sla.at_risk", risk.group_id):
        abort(404)
    return render_template("sla/_forecast.html", risk=risk)

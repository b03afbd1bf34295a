"""Employee pages: report a problem, my tickets, confirm a resolution or reopen, watch.

These routes belong to the incidents blueprint; ``create_app`` imports this module before
registering it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from app.cmdb.models import ConfigurationItem
from app.errors import Invalid
from app.extensions import db
from app.forms import apply_errors, refused, saved
from app.incidents import cis, pages, services, signals
from app.incidents.forms import ConfirmForm, ReopenForm, ReportForm, WatchForm
from app.incidents.models import Incident
from app.incidents.queue_rows import own_rows
from app.incidents.views import bp, get_incident
from app.policy import require
from app.postgres import prepared
from app.tickets import attachments
from app.tickets import services as tickets
from app.tickets.models import Channel
from app.tickets.paging import RowPagination
from app.tickets.visibility import visible_tickets
from app.ui import page_args


@bp.route("/report", methods=["GET", "POST"])
@prepared
@require("incidents.use")
def report() -> ResponseReturnValue:
    form = ReportForm()
    # A report that names no service ("I don't know") needs no list of services to be checked:
    # the list is read for the form shown, and for a post that names a service.
    posted_blank = form.is_submitted() and not form.service.data
    offered = unknown_service(form) if posted_blank else service_choices(form, current_user)
    if form.validate_on_submit():
        service = offered.get(form.service.data or "")
        try:
            form.consume(done=url_for("incidents.mine"))
            incident = services.open_incident(
                caller=current_user,
                opened_by=current_user,
                short_description=form.short_description.data,
                description=form.description.data or "",
                channel=Channel.PORTAL,
                impact=3,
                urgency=int(form.urgency.data),
                affected_service=service.name if service else None,
                ci_ids=[service.id] if service else [],
            )
            if form.attachment.data:
                attachments.store(
                    incident, form.attachment.data, uploader=current_user, internal=False
                )
            signals.reported.send(incident, user=current_user)
        except Invalid as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            number = incident.number  # read before the commit expires it (no reload after)
            db.session.commit()
            flash(
                _(
                    "Thank you. Your problem is registered as %(number)s; "
                    "we will get back to you here.",
                    number=number,
                ),
                "success",
            )
            return redirect(url_for("incidents.detail", number=number))
    if posted_blank:
        service_choices(form, current_user)  # the form is shown again: every choice
    status = 422 if form.is_submitted() else 200
    return render_template("incidents/report.html", form=form), status


def unknown_service(form: ReportForm) -> dict[str, ConfigurationItem]:
    """The service choice "I don't know" alone; no service is offered."""
    form.service.choices = [SelectChoice("", _("I don't know"))]
    return {}


def service_choices(form: ReportForm, user: Any) -> dict[str, ConfigurationItem]:
    """Fill the form's service choice ("I don't know", the services the person uses, the
    others); returns the offered services by their option value."""
    theirs, others = cis.services_for(user)
    unknown_service(form)
    choices = list(form.service.choices or ())
    if theirs:
        choices += [SelectChoice(str(c.id), c.name, optgroup=_("Services you use")) for c in theirs]
        choices += [SelectChoice(str(c.id), c.name, optgroup=_("Other services")) for c in others]
    else:
        choices += [SelectChoice(str(c.id), c.name) for c in others]
    form.service.choices = choices
    return {str(c.id): c for c in theirs + others}


@bp.get("/mine")
@require("incidents.use")
def mine() -> ResponseReturnValue:
    page, per_page = page_args()
    # The columns a row shows: no people, so none of their roles either.
    shown = (Incident.number, Incident.short_description, Incident.state, Incident.hold_reason)
    query = visible_tickets(current_user, select(*shown, Incident.opened_at)).order_by(
        Incident.opened_at.desc(), Incident.id.desc()
    )
    pagination = RowPagination(query, page=page, per_page=per_page)
    return render_template(
        "incidents/mine.html", pagination=pagination, rows=own_rows(pagination.items)
    )


@bp.post("/<number>/confirm")
@require("incidents.use")
def confirm(number: str) -> ResponseReturnValue:
    incident = get_incident(number, "incident.confirm")
    if not ConfirmForm().validate_on_submit():
        return pages.render_detail(incident, status=400)
    try:
        services.confirm_resolution(incident, actor=current_user)
    except Invalid as error:
        return refused(
            error,
            lambda: get_incident(number),
            lambda incident, status: pages.render_detail(incident, status=status),
        )
    return saved(
        _("Thank you for confirming. The incident is closed."),
        url_for("incidents.detail", number=incident.number),
    )


@bp.post("/<number>/reopen")
@require("incidents.use")
def reopen(number: str) -> ResponseReturnValue:
    incident = get_incident(number, "incident.confirm")
    form = ReopenForm()
    if not form.validate_on_submit():
        return pages.render_detail(incident, status=422, reopen_form=form)
    try:
        services.reopen_incident(
            incident,
            actor=current_user,
            reason=form.reason.data,
            window=services.reopen_window(current_app.config),
        )
    except Invalid as error:
        db.session.rollback()
        incident = get_incident(number)
        apply_errors(form, error)
        return pages.render_detail(incident, status=422, reopen_form=form)
    return saved(
        _("The incident is open again; the team has been told."),
        url_for("incidents.detail", number=incident.number),
    )


@bp.post("/<number>/watch")
@require("incidents.use")
def watch(number: str) -> ResponseReturnValue:
    incident = get_incident(number)
    if WatchForm().validate_on_submit():
        if current_user in incident.watchers:
            tickets.unwatch(incident, current_user)
            message = _("You no longer follow this incident.")
        else:
            tickets.watch(incident, current_user)
            message = _("You now follow this incident.")
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("incidents.detail", number=incident.number))

"""Alert pages: the recent alerts (IT staff) and the sources' settings (administrators)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from app.alerts import permissions  # noqa: F401  (registers the rules)
from app.alerts import sources as alert_sources
from app.alerts.forms import SourceForm
from app.alerts.models import AlertSource
from app.errors import Conflict, NotFound
from app.extensions import db
from app.forms import commit_or_errors, refused
from app.incidents.models import Incident
from app.policy import require

bp = Blueprint("alerts", __name__, template_folder="templates")

RECENT = 200


@bp.get("/")
@require("alerts.view")
def recent() -> ResponseReturnValue:
    chosen = request.args.get("source", type=int)
    number = (request.args.get("incident") or "").strip().upper()[:40]
    incident = None
    if number:
        incident = db.session.scalar(select(Incident).where(Incident.number == number))
        if incident is None:
            raise NotFound(_("There is no incident with this number."))
    return render_template(
        "alerts/recent.html",
        alerts=alert_sources.recent_alerts(RECENT, chosen, incident.id if incident else None),
        sources=alert_sources.sources(),
        chosen=chosen,
        incident=incident,
    )


@bp.get("/sources")
@require("alerts.admin")
def sources() -> ResponseReturnValue:
    return render_template("alerts/sources.html", sources=alert_sources.sources())


def _get_source(source_id: int) -> AlertSource:
    found = db.session.get(AlertSource, source_id)
    if found is None:
        raise NotFound(_("There is no such alert source."))
    return found


def _stored_form(source: AlertSource) -> SourceForm:
    form = SourceForm(obj=source, formdata=None)
    form.version.data = str(source.version)
    return form


def _render(source: AlertSource, form: SourceForm, status: int) -> ResponseReturnValue:
    return render_template("alerts/source.html", source=source, form=form), status


@bp.route("/sources/<int:source_id>", methods=["GET", "POST"])
@require("alerts.admin")
def edit_source(source_id: int) -> ResponseReturnValue:
    """Edit a source; an edit of an older version is refused (409) with the stored values."""
    source = _get_source(source_id)
    if request.method == "GET":
        return _render(source, _stored_form(source), 200)
    form = SourceForm()
    if form.validate_on_submit():
        try:
            if commit_or_errors(
                form,
                lambda: alert_sources.update_source(
                    source,
                    ci_label=form.ci_label.data,
                    auto_resolve=bool(form.auto_resolve.data),
                    damping_seconds=int(form.damping_seconds.data or 0),
                    group_window_seconds=int(form.group_window_seconds.data or 0),
                    group_wait_seconds=int(form.group_wait_seconds.data or 0),
                    expected_version=form.version.data,
                ),
            ):
                flash(_("Alert source %(name)s saved.", name=source.name), "success")
                return redirect(url_for("alerts.sources"))
        except Conflict as error:
            return refused(
                error,
                lambda: _get_source(source_id),
                lambda stored, status: _render(stored, _stored_form(stored), status),
            )
    return _render(source, form, 422)

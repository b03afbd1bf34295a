"""The CI picker of the agent's incident page: a typeahead over the CMDB, add and remove.

These routes belong to the incidents blueprint; ``create_app`` imports this module before
registering it. The page includes ``incidents/_cis.html`` (the CIs and the picker); the
typeahead fills ``incidents/_ci_options.html``. Adding or removing a CI posts a plain form with
the incident's version (a stale one is a 409) and comes back to the page, whose impact panel
reads the incident's CIs again. Only those who may work the incident reach these routes:
employees never see the CMDB's hosts through them.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired

from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.incidents import cis, pages
from app.incidents.models import Incident
from app.incidents.views import bp, get_incident
from app.policy import require


class CIChangeForm(FlaskForm):
    """Add (``ci`` from the typeahead) or remove a CI, with the version the page showed."""

    ci = HiddenField(validators=[DataRequired(_l("Pick a configuration item."))])
    version = HiddenField(validators=[DataRequired(_l("The form's version marker is missing."))])


@bp.get("/<number>/cis/options")
@require("incidents.console")
def ci_options(number: str) -> ResponseReturnValue:
    """The typeahead's results: CIs whose name contains the words typed, each with "Add"."""
    incident = get_incident(number, "incident.work")
    text = (request.args.get("q") or "")[:200]
    found = cis.search(text)
    linked = set(cis.ci_ids_of(incident))
    version = request.args.get("version", "")
    return render_template(
        "incidents/_ci_options.html",
        incident=incident,
        found=[ci for ci in found if ci.id not in linked],
        q=text,
        version=version if version.isdecimal() else incident.version,
    )


@bp.post("/<number>/cis")
@require("incidents.console")
def add_ci(number: str) -> ResponseReturnValue:
    incident = get_incident(number, "incident.work")
    return _change(
        incident,
        cis.add_ci,
        _l("%(ci)s added to %(number)s."),
        _l("%(ci)s was already linked to %(number)s."),
    )


@bp.post("/<number>/cis/remove")
@require("incidents.console")
def remove_ci(number: str) -> ResponseReturnValue:
    incident = get_incident(number, "incident.work")
    return _change(
        incident,
        cis.remove_ci,
        _l("%(ci)s removed from %(number)s."),
        _l("%(ci)s was not linked to %(number)s."),
    )


def _change(
    incident: Incident, service: Any, done: LazyString, unchanged: LazyString
) -> ResponseReturnValue:
    form = CIChangeForm()
    try:
        if not form.validate_on_submit():
            raise Invalid({k: " ".join(map(str, v)) for k, v in form.errors.items()})
        ci = cis.get_ci(form.ci.data)
        changed = service(incident, ci, actor=current_user, expected_version=form.version.data)
    except (Conflict, Invalid, NotFound) as error:
        db.session.rollback()
        status = {Conflict: 409, Invalid: 422, NotFound: 422}[type(error)]
        flash(error.message, "danger")
        return pages.render_detail(get_incident(incident.number), status=status)
    db.session.commit()
    message = str(done if changed else unchanged) % {"ci": ci.name, "number": incident.number}
    flash(message, "success" if changed else "info")
    return redirect(url_for("incidents.detail", number=incident.number) + "#incident-cis")

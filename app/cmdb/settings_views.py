"""Administrators' CMDB settings page: how impact analysis treats planned, in-maintenance and
retired CIs. Routes belong to the cmdb blueprint (imported in ``create_app``)."""

from __future__ import annotations

from flask import render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.cmdb import settings
from app.cmdb.forms import ImpactSettingsForm
from app.cmdb.models import LIFECYCLE_LABELS
from app.cmdb.views import bp
from app.errors import Conflict, Invalid
from app.extensions import db
from app.forms import apply_errors, refused, saved
from app.policy import require


def _filled() -> ImpactSettingsForm:
    row = settings.current_settings()
    form = ImpactSettingsForm(formdata=None)
    form.version.data = str(row.version)
    for status in settings.CONFIGURABLE:
        form[status.value].data = str(getattr(row, status.value).value)
    return form


def _render(form: ImpactSettingsForm, status: int = 200) -> ResponseReturnValue:
    page = render_template(
        "cmdb/settings.html",
        form=form,
        statuses=[(s, LIFECYCLE_LABELS[s]) for s in settings.CONFIGURABLE],
        treatments=settings.TREATMENT_LABELS,
        treatment_help=settings.TREATMENT_HELP,
    )
    return page, status


@bp.get("/settings")
@require("cmdb.manage")
def settings_page() -> ResponseReturnValue:
    return _render(_filled())


@bp.post("/settings")
@require("cmdb.manage")
def save_settings() -> ResponseReturnValue:
    form = ImpactSettingsForm()
    if not form.validate_on_submit():
        return _render(form, 422)
    try:
        changes = settings.save_settings(
            actor=current_user,
            treatments={s.value: form[s.value].data for s in settings.CONFIGURABLE},
            expected_version=form.version.data,
        )
    except Conflict as error:
        return refused(error, _filled, _render)
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render(form, 422)
    return saved(
        _("Settings saved.") if changes else _("Nothing changed."), url_for("cmdb.settings_page")
    )

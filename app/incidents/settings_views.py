"""Administrators' incident settings: the priority matrix (any size), routing rules and the
workflow choices (see ``app.incidents.settings``).

The matrix form is a grid of plain fields (``impact-1``, ``urgency-2``, ``level-3``,
``cell-1-2``); the page can propose a grid of another size, which is only saved once the
administrator reviews it. Routes belong to the incidents blueprint (see ``create_app``).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, HiddenField

from app.auth.models import Group
from app.errors import Conflict, Invalid
from app.extensions import db
from app.forms import refused, saved
from app.i18n.locale import SOURCE_LANGUAGE, available
from app.incidents import cis
from app.incidents import settings as incident_settings
from app.incidents.models import RoutingRule
from app.incidents.views import bp
from app.policy import require
from app.tickets.matrix import load_matrix, save_matrix
from app.tickets.priority import PriorityMatrix

MAX_SIZE = 9


class PlainForm(FlaskForm):
    """Only the CSRF token: the grid's fields are read by name."""


class WorkflowForm(FlaskForm):
    version = HiddenField()
    assignment_starts_work = BooleanField(
        _l("Assigning a new incident to a person moves it to In progress"),
        description=_l("Off: the incident stays New until someone changes its state."),
    )


def _workflow_form() -> WorkflowForm:
    row = incident_settings.current_settings()
    form = WorkflowForm(formdata=None)
    form.version.data = str(row.version)
    form.assignment_starts_work.data = bool(row.assignment_starts_work)
    return form


def proposal(impacts: int, urgencies: int, levels: int) -> PriorityMatrix:
    """A starting grid of the given size: priority grows with impact and urgency."""
    span = max(impacts + urgencies - 2, 1)
    cells = {
        (i, u): 1 + round((i + u - 2) * (levels - 1) / span)
        for i in range(1, impacts + 1)
        for u in range(1, urgencies + 1)
    }
    return PriorityMatrix(
        impacts={i: f"Impact {i}" for i in range(1, impacts + 1)},
        urgencies={u: f"Urgency {u}" for u in range(1, urgencies + 1)},
        levels={p: f"P{p}" for p in range(1, levels + 1)},
        cells=cells,
    )


def _read_grid(form: dict[str, str]) -> tuple[dict, dict, dict, dict, list[str]]:
    def labels(prefix: str) -> dict[int, str]:
        found = {}
        for key, value in form.items():
            if key.startswith(prefix + "-") and key[len(prefix) + 1 :].isdecimal():
                found[int(key[len(prefix) + 1 :])] = value.strip()[:50]
        return dict(sorted(found.items()))

    impacts, urgencies, levels = labels("impact"), labels("urgency"), labels("level")
    problems = [
        message
        for message, values in (
            (_("Give every impact a label."), impacts),
            (_("Give every urgency a label."), urgencies),
            (_("Give every priority level a label."), levels),
        )
        if not values or not all(values.values())
    ]
    cells: dict[tuple[int, int], int] = {}
    for i in impacts:
        for u in urgencies:
            raw = form.get(f"cell-{i}-{u}", "")
            if raw.isdecimal():
                cells[(i, u)] = int(raw)
    return impacts, urgencies, levels, cells, problems


def _render(
    matrix: PriorityMatrix,
    status: int = 200,
    proposed: bool = False,
    workflow: WorkflowForm | None = None,
) -> tuple[str, int]:
    rules = db.session.scalars(select(RoutingRule).order_by(RoutingRule.position)).all()
    groups = db.session.scalars(
        select(Group).where(Group.is_assignment_group).order_by(Group.name)
    ).all()
    page = render_template(
        "incidents/settings.html",
        matrix=matrix,
        proposed=proposed,
        form=PlainForm(),
        rules=rules,
        groups=groups,
        max_size=MAX_SIZE,
        workflow=workflow or _workflow_form(),
        categories=incident_settings.categories(),
        other_languages=[lang for lang in available() if lang != SOURCE_LANGUAGE],
    )
    return page, status


@bp.get("/settings")
@require("incidents.admin")
def settings() -> ResponseReturnValue:
    return _render(load_matrix())


@bp.post("/settings/matrix/size")
@require("incidents.admin")
def propose_size() -> ResponseReturnValue:
    if not PlainForm().validate_on_submit():
        return _render(load_matrix(), 400)
    sizes = [request.form.get(k, "") for k in ("impacts", "urgencies", "levels")]
    if not all(s.isdecimal() and 1 <= int(s) <= MAX_SIZE for s in sizes):
        flash(_("Each size must be a whole number from 1 to %(size)s.", size=MAX_SIZE), "danger")
        return _render(load_matrix(), 422)
    flash(
        _("Here is a starting grid of that size. Adjust it and save; nothing changed yet."), "info"
    )
    return _render(proposal(*(int(s) for s in sizes)), proposed=True)


@bp.post("/settings/matrix")
@require("incidents.admin")
def save_priority_matrix() -> ResponseReturnValue:
    if not PlainForm().validate_on_submit():
        return _render(load_matrix(), 400)
    impacts, urgencies, levels, cells, problems = _read_grid(request.form.to_dict())
    try:
        if problems:
            raise Invalid({"matrix": problems})
        save_matrix(
            impacts=impacts, urgencies=urgencies, levels=levels, cells=cells, actor=current_user
        )
    except Invalid as error:
        db.session.rollback()
        for message in error.field_errors["matrix"]:
            flash(message, "danger")
        return _render(load_matrix(), 422)
    return saved(
        _("Priority matrix saved. New and edited incidents use it."), url_for("incidents.settings")
    )


@bp.post("/settings/workflow")
@require("incidents.admin")
def save_workflow_settings() -> ResponseReturnValue:
    form = WorkflowForm()
    if not form.validate_on_submit():
        return _render(load_matrix(), 400)
    try:
        changes = incident_settings.save_settings(
            actor=current_user,
            assignment_starts_work=form.assignment_starts_work.data,
            expected_version=form.version.data,
        )
    except (Conflict, Invalid) as error:
        return refused(error, load_matrix, _render)
    return saved(
        _("Workflow settings saved.") if changes else _("Nothing changed."),
        url_for("incidents.settings"),
    )


@bp.post("/settings/routing")
@require("incidents.admin")
def add_routing_rule() -> ResponseReturnValue:
    form = PlainForm()
    group_id = request.form.get("group", "")
    group = db.session.get(Group, int(group_id)) if group_id.isdecimal() else None
    if not form.validate_on_submit() or group is None or not group.is_assignment_group:
        flash(_("Choose the assignment group the rule sends incidents to."), "danger")
        return _render(load_matrix(), 422)
    values: dict[str, Any] = {
        k: (request.form.get(k) or "").strip()[:200] or None
        for k in ("category", "subcategory", "affected_service")
    }
    try:  # a name shared by CIs of several classes: one rule for each
        ci_ids: list[int | None] = list(cis.ids_named([request.form.get("ci_name") or ""]))
    except Invalid as error:
        flash(" ".join(error.field_errors["cis"]), "danger")
        return _render(load_matrix(), 422)
    incident_settings.add_routing_rules(group, ci_ids, **values)
    return saved(_("Routing rule added at the end of the list."), url_for("incidents.settings"))


@bp.post("/settings/routing/<int:rule_id>/delete")
@require("incidents.admin")
def delete_routing_rule(rule_id: int) -> ResponseReturnValue:
    if PlainForm().validate_on_submit():
        deleted = incident_settings.delete_routing_rule(rule_id)
        return saved(
            _("Rule removed.") if deleted else _("That rule was already gone."),
            url_for("incidents.settings"),
        )
    return redirect(url_for("incidents.settings"))


@bp.post("/settings/categories/<int:category_id>")
@require("incidents.admin")
def name_category(category_id: int) -> ResponseReturnValue:
    """Save a category's names in the languages other than English."""
    if not PlainForm().validate_on_submit():
        return _render(load_matrix(), 400)
    names = {
        lang: request.form.get(f"name-{lang}", "")
        for lang in available()
        if lang != SOURCE_LANGUAGE and f"name-{lang}" in request.form
    }
    try:
        changed = incident_settings.name_category(category_id, names, actor=current_user)
    except Invalid as error:
        flash(" ".join(m for ms in error.field_errors.values() for m in ms), "danger")
        return _render(load_matrix(), 422)
    return saved(
        _("Category names saved.") if changed else _("Nothing changed."),
        url_for("incidents.settings") + "#categories-title",
    )

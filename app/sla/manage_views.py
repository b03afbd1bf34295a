"""Business calendars (administrators) and SLA policies per queue (the queue's manager or an
administrator). The forms (``app.sla.forms``) read the input, refused with status 422;
``app.sla.definitions`` checks the rules and raises ``Invalid`` (shown on the form with status
422) or ``Conflict`` (409, someone saved first).
Routes belong to the ``sla`` blueprint (see ``create_app``)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import Group
from app.errors import Conflict, Invalid
from app.extensions import db
from app.policy import authorize, require
from app.sla.definitions import (
    DAYS,
    catalog_item_choices,
    format_day,
    narrowing,
    save_calendar,
    save_policy,
)
from app.sla.forms import CalendarForm, PolicyForm, errors_by_name
from app.sla.models import SlaCalendar, SlaPolicy
from app.sla.views import bp
from app.tickets.matrix import load_matrix

MAX_ID = 2**31 - 1


def _get(model: Any, ident: int) -> Any:
    row = db.session.get(model, ident) if 0 < ident <= MAX_ID else None
    if row is None:
        abort(404)
    return row


# -- calendars ---------------------------------------------------------------------------------


def _errors(form: FlaskForm, refused: Invalid | None = None) -> dict[str, list[str]]:
    """The form's field errors, then the service's, by field name for the templates."""
    return errors_by_name(form) | (refused.field_errors if refused else {})


def _calendar_page(
    row: SlaCalendar | None, form: CalendarForm, errors: dict, status: int = 200
) -> tuple[str, int]:
    page = render_template(
        "sla/calendar_form.html", calendar=row, form=form, errors=errors, days=DAYS
    )
    return page, status


@bp.get("/calendars")
@require("sla.calendars")
def calendars() -> ResponseReturnValue:
    rows = db.session.scalars(select(SlaCalendar).order_by(SlaCalendar.name)).all()
    return render_template("sla/calendars.html", calendars=rows, format_day=format_day)


@bp.route("/calendars/new", methods=["GET", "POST"])
@require("sla.calendars")
def new_calendar() -> ResponseReturnValue:
    return _save_calendar(None)


@bp.route("/calendars/<int:calendar_id>", methods=["GET", "POST"])
@require("sla.calendars")
def edit_calendar(calendar_id: int) -> ResponseReturnValue:
    return _save_calendar(_get(SlaCalendar, calendar_id))


def _save_calendar(row: SlaCalendar | None) -> ResponseReturnValue:
    if request.method == "GET":
        return _calendar_page(row, CalendarForm.showing(row), {})
    form = CalendarForm()
    if not form.validate_on_submit():  # CSRFProtect refused a bad token already (400)
        return _calendar_page(row, form, _errors(form), 422)
    try:
        saved = save_calendar(row, form.values(), actor=current_user, version=form.version.data)
    except Invalid as error:
        db.session.rollback()
        return _calendar_page(row, form, _errors(form, error), 422)
    except Conflict as error:
        db.session.rollback()
        current = CalendarForm.showing(row)
        return _calendar_page(row, current, {"form": [error.message]}, 409)
    db.session.commit()
    flash(_("Calendar %(name)s saved.", name=saved.name), "success")
    return redirect(url_for("sla.calendars"))


# -- policies ----------------------------------------------------------------------------------


def _queue(group_id: int) -> Group:
    group = _get(Group, group_id)
    if not group.is_assignment_group:
        abort(404)
    authorize(current_user, "sla.manage", group)
    return group


@bp.get("/queues/<int:group_id>/policies")
@require("sla.manage")
def policies(group_id: int) -> ResponseReturnValue:
    group = _queue(group_id)
    rows = (
        db.session.scalars(
            select(SlaPolicy)
            .where(SlaPolicy.group_id == group.id)
            .options(selectinload(SlaPolicy.catalog_item))
            .order_by(SlaPolicy.name)
        )
        .unique()
        .all()
    )
    return render_template("sla/policies.html", group=group, policies=rows, narrowing=narrowing)


def _policy_page(
    group: Group, row: SlaPolicy | None, form: PolicyForm, errors: dict, status: int = 200
) -> tuple[str, int]:
    page = render_template(
        "sla/policy_form.html",
        group=group,
        policy=row,
        form=form,
        errors=errors,
        levels=sorted(load_matrix().levels.items()),
        calendars=db.session.scalars(select(SlaCalendar).order_by(SlaCalendar.name)).all(),
        queues=db.session.scalars(
            select(Group)
            .where(Group.is_assignment_group, Group.id != group.id)
            .order_by(Group.name)
        )
        .unique()
        .all(),
        catalog_items=catalog_item_choices(row.catalog_item_id if row else None),
        narrowing=narrowing(row) if row else None,
    )
    return page, status


@bp.route("/queues/<int:group_id>/policies/new", methods=["GET", "POST"])
@require("sla.manage")
def new_policy(group_id: int) -> ResponseReturnValue:
    group = _queue(group_id)
    return _save_policy(group, None)


@bp.route("/policies/<int:policy_id>", methods=["GET", "POST"])
@require("sla.manage")
def edit_policy(policy_id: int) -> ResponseReturnValue:
    row = _get(SlaPolicy, policy_id)
    group = _queue(row.group_id)
    return _save_policy(group, row)


def _save_policy(group: Group, row: SlaPolicy | None) -> ResponseReturnValue:
    if request.method == "GET":
        return _policy_page(group, row, PolicyForm.showing(row, load_matrix().levels), {})
    form = PolicyForm.for_levels(load_matrix().levels)
    if not form.validate_on_submit():  # CSRFProtect refused a bad token already (400)
        return _policy_page(group, row, form, _errors(form), 422)
    try:
        saved = save_policy(
            row, form.values(), group=group, actor=current_user, version=form.version.data
        )
    except Invalid as error:
        db.session.rollback()
        return _policy_page(group, row, form, _errors(form, error), 422)
    except Conflict as error:
        db.session.rollback()
        current = PolicyForm.showing(row, load_matrix().levels)
        return _policy_page(group, row, current, {"form": [error.message]}, 409)
    db.session.commit()
    flash(
        _("Policy %(name)s saved; the queue's SLA records follow it.", name=saved.name), "success"
    )
    return redirect(url_for("sla.policies", group_id=group.id))

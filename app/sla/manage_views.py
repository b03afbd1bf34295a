"""Business calendars (administrators) and SLA policies per queue (the queue's manager or an
administrator). Forms are plain fields read by name; ``app.sla.definitions`` checks them and raises
``Invalid`` (shown on the form with status 422) or ``Conflict`` (409, someone saved first).
Routes belong to the ``sla`` blueprint (see ``create_app``)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import Group
from app.errors import Conflict, Invalid
from app.extensions import db
from app.incidents.matrix import load_matrix
from app.incidents.workflow import HoldReason
from app.policy import authorize, require
from app.sla import definitions
from app.sla.models import Escalation, SlaCalendar, SlaKind, SlaPolicy, SlaScope
from app.sla.views import bp

MAX_ID = 2**31 - 1


class PlainForm(FlaskForm):
    """Only the CSRF token: the fields are read by name."""


def _get(model: Any, ident: int) -> Any:
    row = db.session.get(model, ident) if 0 < ident <= MAX_ID else None
    if row is None:
        abort(404)
    return row


# -- calendars ---------------------------------------------------------------------------------


def _calendar_values(row: SlaCalendar | None) -> dict[str, Any]:
    if row is None:
        week = [[["08:00", "18:00"]]] * 5 + [[], []]
        return {
            "name": "",
            "zone": "UTC",
            "country": "",
            "subdivision": "",
            "closed_dates": "",
            "version": "",
            **{d: definitions.format_day(s) for d, s in zip(definitions.DAYS, week, strict=True)},
        }
    return {
        "name": row.name,
        "zone": row.zone,
        "country": row.country or "",
        "subdivision": row.subdivision or "",
        "closed_dates": "\n".join(row.closed_dates or []),
        "version": row.version,
        **{d: definitions.format_day(s) for d, s in zip(definitions.DAYS, row.week, strict=False)},
    }


def _calendar_form(row: SlaCalendar | None, values: dict, errors: dict, status: int = 200):
    page = render_template(
        "sla/calendar_form.html",
        calendar=row,
        values=values,
        errors=errors,
        form=PlainForm(),
        days=definitions.DAYS,
    )
    return page, status


@bp.get("/calendars")
@require("sla.calendars")
def calendars() -> ResponseReturnValue:
    rows = db.session.scalars(select(SlaCalendar).order_by(SlaCalendar.name)).all()
    return render_template("sla/calendars.html", calendars=rows, format_day=definitions.format_day)


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
        return _calendar_form(row, _calendar_values(row), {})
    values = {k: request.form.get(k, "")[:5000] for k in _calendar_values(None)}
    if not PlainForm().validate_on_submit():
        return _calendar_form(row, values, {"form": ["The form expired; submit it again."]}, 400)
    try:
        saved = definitions.save_calendar(row, values, actor=current_user)
    except Invalid as error:
        db.session.rollback()
        return _calendar_form(row, values, error.field_errors, 422)
    except Conflict as error:
        db.session.rollback()
        return _calendar_form(row, _calendar_values(row), {"form": [error.message]}, 409)
    db.session.commit()
    flash(f"Calendar {saved.name} saved.", "success")
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
    return render_template(
        "sla/policies.html", group=group, policies=rows, narrowing=definitions.narrowing
    )


def _policy_values(row: SlaPolicy | None) -> dict[str, Any]:
    if row is None:
        return {
            "name": "",
            "kind": "resolution",
            "scope": "group",
            "ticket_kind": "",
            "catalog_item": "",
            "calendar": "",
            "pause_reasons": ["awaiting_caller", "awaiting_vendor"],
            "start_priorities": [],
            "retroactive_start": "",
            "warnings": "50, 75",
            "escalation": "none",
            "escalation_group": "",
            "is_active": "on",
            "version": "",
        }
    values = {
        "name": row.name,
        "kind": row.kind.value,
        "scope": row.scope.value,
        "ticket_kind": row.ticket_kind or "",
        "catalog_item": str(row.catalog_item_id or ""),
        "calendar": str(row.calendar_id),
        "pause_reasons": list(row.pause_reasons or []),
        "start_priorities": [str(p) for p in row.start_priorities or []],
        "retroactive_start": "on" if row.retroactive_start else "",
        "warnings": ", ".join(str(w) for w in row.warnings or []),
        "escalation": row.escalation.value,
        "escalation_group": str(row.escalation_group_id or ""),
        "is_active": "on" if row.is_active else "",
        "version": row.version,
    }
    values.update({f"target-{p}": str(m) for p, m in (row.targets or {}).items()})
    return values


def _submitted() -> dict[str, Any]:
    values: dict[str, Any] = {k: v[:500] for k, v in request.form.items()}
    for key in ("pause_reasons", "start_priorities"):
        values[key] = [v[:50] for v in request.form.getlist(key)][:20]
    return values


class _Values(dict):
    """A dict that answers ``getlist`` like a form, for ``definitions.policy_values``."""

    def getlist(self, key: str) -> list[str]:
        value = self.get(key) or []
        return list(value) if isinstance(value, list) else [value]


def _policy_form(group: Group, row: SlaPolicy | None, values: dict, errors: dict, status=200):
    page = render_template(
        "sla/policy_form.html",
        group=group,
        policy=row,
        values=values,
        errors=errors,
        form=PlainForm(),
        levels=sorted(load_matrix().levels.items()),
        calendars=db.session.scalars(select(SlaCalendar).order_by(SlaCalendar.name)).all(),
        queues=db.session.scalars(
            select(Group)
            .where(Group.is_assignment_group, Group.id != group.id)
            .order_by(Group.name)
        )
        .unique()
        .all(),
        kinds=list(SlaKind),
        scopes=list(SlaScope),
        escalations=list(Escalation),
        reasons=list(HoldReason),
        ticket_kinds=definitions.ticket_kind_choices(),
        catalog_items=definitions.catalog_item_choices(row.catalog_item_id if row else None),
        narrowing=definitions.narrowing(row) if row else None,
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
        return _policy_form(group, row, _policy_values(row), {})
    values = _submitted()
    if not PlainForm().validate_on_submit():
        return _policy_form(
            group, row, values, {"form": ["The form expired; submit it again."]}, 400
        )
    try:
        saved = definitions.save_policy(row, _Values(values), group=group, actor=current_user)
    except Invalid as error:
        db.session.rollback()
        return _policy_form(group, row, values, error.field_errors, 422)
    except Conflict as error:
        db.session.rollback()
        return _policy_form(group, row, _policy_values(row), {"form": [error.message]}, 409)
    db.session.commit()
    flash(f"Policy {saved.name} saved; the queue's SLA records follow it.", "success")
    return redirect(url_for("sla.policies", group_id=group.id))

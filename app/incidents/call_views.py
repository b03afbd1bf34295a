"""The agent opens an incident for a caller in one form: a phone call ("Log a call" on the
console opens it with the channel phone), a mail or a visit at the desk; with the group and
person it goes to, and the resolution when it was solved on the call."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, bindparam
from sqlalchemy.orm import aliased

from app.auth import services as account_services
from app.auth.models import Group, User
from app.errors import Invalid
from app.extensions import db
from app.forms import apply_errors, row_id, saved
from app.incidents import calls, pages
from app.incidents.forms import AgentOpenForm
from app.incidents.views import bp
from app.policy import require
from app.postgres import prepared
from app.tickets.models import Channel


def _form() -> AgentOpenForm:
    form = AgentOpenForm()
    if not form.is_submitted():
        if request.args.get("channel") in {"phone", "email", "agent"}:
            form.channel.data = request.args["channel"]
        _choices(form)
    return form


def _choices(form: AgentOpenForm) -> None:
    """The form's choices, for the form shown, read in one statement. A post reads none:
    category, group and person are not checked against a list (``validate_choice=False``);
    the group and the person are read by id (:func:`_row`), and a refused post is shown
    again with every choice."""
    options = pages.form_options(row_id(form.group.data))
    form.category.choices = options.categories
    form.group.choices = options.groups
    form.assignee.choices = options.members


def _people(form: AgentOpenForm) -> tuple[User | None, Group | None, User | None]:
    """The person a call is for (by username), the group and the person it goes to (by id),
    read in one statement (:func:`_people_query`). Nothing is read without a caller (the call
    is refused); a group or person the form names but the statement does not find is None."""
    group_id, assignee_id = row_id(form.group.data), row_id(form.assignee.data)
    values: dict[str, Any] = {"username": account_services.normalise_username(form.caller.data)}
    if group_id is not None:
        values["group_id"] = group_id
    if assignee_id is not None:
        values["assignee_id"] = assignee_id
    query = _people_query(group_id is not None, assignee_id is not None)
    row = db.session.execute(query, values).first()
    if row is None:
        return None, None, None
    found = iter(row[1:])
    group = next(found) if group_id is not None else None
    return row[0], group, next(found) if assignee_id is not None else None


@cache
def _people_query(group: bool, assignee: bool) -> Select[Any]:
    """The caller, with the group and the assignee joined beside them when the form names
    them, built once per shape: without anyone's roles or manager, nor the group's manager
    (opening an incident reads none of them)."""
    query = account_services.by_username()
    if group:
        query = query.outerjoin_from(User, Group, Group.id == bindparam("group_id"))
        query = query.add_columns(Group)
    if assignee:
        person = aliased(User)
        query = query.outerjoin_from(User, person, person.id == bindparam("assignee_id"))
        query = query.add_columns(person)
    return query


def _check_chosen(raw: str | None, found: Group | User | None, field: str) -> None:
    """The group or person a select names; one that vanished since the page was shown is a
    field error, never a silent "unassigned"."""
    if raw and found is None:
        raise Invalid({field: _("Choose from the list.")})


@bp.route("/new", methods=["GET", "POST"])
@prepared
@require("incidents.console")
def new() -> ResponseReturnValue:
    form = _form()
    if form.validate_on_submit():
        caller, group, assignee = _people(form)
        resolved = form.resolved_on_call.data
        try:
            if caller is None or not caller.is_active:
                raise Invalid({"caller": _("No active person has this username.")})
            _check_chosen(form.group.data, group, "group")
            _check_chosen(form.assignee.data, assignee, "assignee")
            form.consume(done=url_for("incidents.console"))
            incident = calls.open_for_caller(
                caller=caller,
                agent=current_user,
                channel=Channel(form.channel.data),
                group=group,
                assignee=assignee,
                resolution=calls.Resolution(
                    form.resolution_code.data or "", form.resolution_notes.data or ""
                )
                if resolved
                else None,
                short_description=form.short_description.data,
                description=form.description.data or "",
                impact=int(form.impact.data),
                urgency=int(form.urgency.data),
                category=form.category.data or None,
                subcategory=form.subcategory.data or None,
                affected_service=form.affected_service.data or None,
                ci_names=(form.cis.data or "").split(","),
            )
        except Invalid as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            message = (
                _(
                    "%(number)s opened and resolved for %(name)s.",
                    number=incident.number,
                    name=caller.display_name,
                )
                if resolved
                else _(
                    "%(number)s opened for %(name)s.",
                    number=incident.number,
                    name=caller.display_name,
                )
            )
            return saved(
                message,
                url_for("incidents.detail", number=incident.number),
            )
    if form.is_submitted():
        _choices(form)  # the form is shown again: every choice
    status = 422 if form.is_submitted() else 200
    return render_template("incidents/new.html", form=form), status

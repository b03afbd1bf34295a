"""The agent opens an incident for a caller in one form: a phone call ("Log a call" on the
console opens it with the channel phone), a mail or a visit at the desk; with the group and
person it goes to, and the resolution when it was solved on the call."""

from __future__ import annotations

from typing import TypeVar

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import lazyload

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

T = TypeVar("T", Group, User)


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


def _caller(username: str) -> User | None:
    """The person a call is for, by username, without their roles or manager: opening an
    incident reads neither (a statement and a joined row fewer)."""
    query = select(User).where(User.username == account_services.normalise_username(username))
    return db.session.scalar(query.options(lazyload(User.role_grants), lazyload(User.manager)))


def _row(model: type[T], raw: str | None, field: str) -> T | None:
    """The group or person a select names; one that vanished since the page was shown is a
    field error, never a silent "unassigned"."""
    if not raw:
        return None
    # A group's manager (joined by default) is not needed to open an incident.
    unneeded = [lazyload(Group.manager)] if model is Group else []
    found = db.session.get(model, row_id(raw), options=unneeded) if row_id(raw) else None
    if found is None:
        raise Invalid({field: _("Choose from the list.")})
    return found


@bp.route("/new", methods=["GET", "POST"])
@prepared
@require("incidents.console")
def new() -> ResponseReturnValue:
    form = _form()
    if form.validate_on_submit():
        caller = _caller(form.caller.data)
        resolved = form.resolved_on_call.data
        try:
            if caller is None or not caller.is_active:
                raise Invalid({"caller": _("No active person has this username.")})
            group = _row(Group, form.group.data, "group")
            assignee = _row(User, form.assignee.data, "assignee")
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

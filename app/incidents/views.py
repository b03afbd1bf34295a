"""Agent pages: the queue console and the incident page with its actions (opening an incident
for a caller is in ``call_views``). Each view parses, loads and authorizes, calls one service,
commits, redirects."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import Select, String, bindparam, select
from sqlalchemy.orm import defaultload

from app.auth import services as account_services
from app.auth.models import Group, User
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.filtering import ignored_note
from app.forms import refused, saved
from app.i18n.stored import render
from app.incidents import (
    pages,
    permissions,  # noqa: F401  (registers the rules)
    services,
)
from app.incidents.filters import (
    KINDS,
    VIEWS,
    QueueFilterForm,
    queue_ids,
    queue_order,
    service_name,
)
from app.incidents.forms import (
    BulkForm,
    CommentForm,
    MajorDecisionForm,
    MajorForm,
    ParentForm,
    VersionForm,
    WatcherForm,
)
from app.incidents.models import Incident
from app.incidents.queue_rows import group_options, queue_rows
from app.incidents.workflow import State, Transition
from app.policy import authorize, require
from app.postgres import prepared
from app.sla.services import sla_summaries
from app.tickets import attachments
from app.tickets import pages as ticket_pages
from app.tickets import services as tickets
from app.tickets.holds import HoldReason
from app.tickets.paging import CappedPagination
from app.ui import page_args

bp = Blueprint("incidents", __name__, template_folder="templates")

# The page's own statement: the caller and assignee as the page shows them, the group without
# its manager; its parent and children, when the page reads them, named only (their people left
# to lazy loads the page never runs, as for the related incidents).
_SHOWN = (User.id, User.username, User.display_name, User.email, User.phone, User.is_active)
ON_THE_PAGE = (
    defaultload(Incident.caller).load_only(*_SHOWN),
    defaultload(Incident.assignee).load_only(*_SHOWN),
    *(defaultload(kin).lazyload("*") for kin in (Incident.parent, Incident.children)),
)


def get_incident(number: str, action: str = "incident.view") -> Incident:
    """Load an incident by number; one the user may not see is "not found" (no leak).

    :raise NotFound: no such incident, or not visible to the user.
    :raise Forbidden: visible, but ``action`` is not allowed.
    """
    return _visible(db.session.scalar(_by_number(number)), action)


def _by_number(number: str) -> Select[Incident]:
    return select(Incident).where(Incident.number == number.upper())


def _visible(incident: Incident | None, action: str) -> Incident:
    if incident is None or not permissions.may_view(current_user, incident):
        raise NotFound(_("There is no incident with this number that you can see."))
    authorize(current_user, action, incident)
    return incident


def _done(incident: Incident, message: str) -> ResponseReturnValue:
    return saved(message, url_for("incidents.detail", number=incident.number))


def _refused(
    incident_number: str,
    error: Invalid | Conflict,
    form: Any = None,
    form_name: str = "incident_form",
) -> ResponseReturnValue:
    """Answer a refused post with the page: 409 with the current values, or 422 with what was
    entered and the errors on ``form``. Nothing of the post was saved."""

    def render(incident: Incident, status: int) -> ResponseReturnValue:
        entered = {form_name: form} if form is not None and status == Invalid.status else {}
        return pages.render_detail(incident, status=status, **entered)

    return refused(
        error,
        lambda: get_incident(incident_number),
        render,
        *([form] if form is not None else []),
        conflict_note=lambda incident: ticket_pages.latest_change_by_someone_else(
            incident, current_user
        ),
    )


@bp.get("/")
@require("incidents.console")
def console() -> ResponseReturnValue:
    form = QueueFilterForm(request.args)
    if ignored := form.clean():
        flash(ignored_note(ignored), "warning")
    page, per_page = page_args()
    keys, descending = queue_order(form)
    pagination = CappedPagination(
        queue_ids(form, current_user),
        page=page,
        per_page=per_page,
        keys=keys,
        descending=descending,
        # The keyset of "next" and "previous" (app/tickets/paging.py); no other link keeps it.
        after=form.understood.pop("after", None),
        before=form.understood.pop("before", None),
    )
    groups = ticket_pages.group_choices()
    matrix = services.load_matrix()
    names = {int(c.value): c.label for c in groups if c.value}
    incidents = queue_rows(list(pagination.items), names, matrix)
    slas = sla_summaries([i.id for i in incidents])
    bulk = BulkForm(formdata=None)
    bulk.group.choices = groups
    return render_template(
        "incidents/console.html",
        form=form,
        views=VIEWS,
        kinds=KINDS,
        pagination=pagination,
        incidents=incidents,
        slas=slas,
        bulk=bulk,
        group_options=group_options(groups, form.group.data),
        matrix=matrix,
        service_name=service_name(form.service.data) if form.service.data else None,
    )


@bp.post("/bulk")
@require("incidents.console")
def bulk() -> ResponseReturnValue:
    form = BulkForm()
    form.group.choices = ticket_pages.group_choices()
    numbers = [n for n in request.form.getlist("selected") if n][:200]
    back = request.form.get("back") or url_for("incidents.console")
    back = back if back.startswith("/incidents") else url_for("incidents.console")
    if not numbers:
        flash(_("Select at least one incident first."), "warning")
        return redirect(back)
    if not form.validate_on_submit():
        problems = "; ".join(
            f"{getattr(form, f).label.text}: {', '.join(map(str, e))}"
            for f, e in form.errors.items()
        )
        flash(_("Nothing was changed. %(problems)s", problems=problems), "danger")
        return redirect(back)
    incidents = db.session.scalars(select(Incident).where(Incident.number.in_(numbers))).all()
    try:
        if form.action.data == "assign":
            group = db.session.get(Group, int(form.group.data)) if form.group.data else None
            services.bulk_assign(incidents, group=group, assignee=None, actor=current_user)
        else:
            reason = HoldReason(form.hold_reason.data) if form.hold_reason.data else None
            services.bulk_change_state(
                incidents,
                Transition(State(form.state.data), hold_reason=reason),
                actor=current_user,
            )
    except Invalid as error:
        db.session.rollback()
        details = "; ".join(m for ms in error.field_errors.values() for m in ms)
        flash(_("%(message)s %(details)s", message=error.message, details=details), "danger")
        return redirect(back)
    return saved(
        ngettext("%(num)d incident updated.", "%(num)d incidents updated.", len(incidents)), back
    )


@bp.get("/assignees")
@require("incidents.console")
def assignee_options() -> ResponseReturnValue:
    """The assignee ``<option>`` list of one queue, for the assignment form (htmx)."""
    group = request.args.get("group", "")
    choices = ticket_pages.assignee_choices(int(group) if group.isdecimal() else None)
    return render_template("incidents/_assignee_options.html", choices=choices)


@bp.get("/<number>")
@prepared
@require("incidents.use")
def detail(number: str) -> ResponseReturnValue:
    row = db.session.execute(_detail_statement(), {"number": number.upper()}).first()
    incident = _visible(row[0] if row else None, "incident.view")
    return pages.render_detail(
        incident,
        newest_first=request.args.get("order") != "oldest",
        has=pages.Presence(*row[1:]) if row else None,
    )


@cache
def _detail_statement() -> Select[Any]:
    """The incident whose number is the parameter ``number`` and what it has (CIs, files,
    children...), in one statement built once: building it and its cache key again on every
    request cost more than running it."""
    return (
        select(Incident)
        .options(*ON_THE_PAGE)
        .where(Incident.number == bindparam("number", type_=String))
        .add_columns(*pages.presence_of(Incident.id))
    )


def _row(model: Any, raw: str | None) -> Any:
    return db.session.get(model, int(raw)) if raw and raw.isdecimal() else None


def _transition(state: str, hold: str | None, code: str | None, notes: str | None) -> Transition:
    """A state with only what it carries (a hold reason when on hold, a resolution when
    resolved): a leftover value in a field the state does not use is no change."""
    target = State(state)
    resolved = target == State.RESOLVED
    return Transition(
        target,
        hold_reason=HoldReason(hold) if hold and target == State.ON_HOLD else None,
        resolution_code=(code or None) if resolved else None,
        resolution_notes=((notes or "").strip() or None) if resolved else None,
    )


def _asked_transition(form: Any, incident: Incident) -> Transition | None:
    """The change of state the form asks for; None when the state and what it carries are as
    they are. Another hold reason or resolution in the same state is asked too, so that the
    workflow refuses it aloud rather than the save dropping it."""
    data = (form.hold_reason.data, form.resolution_code.data, form.resolution_notes.data)
    asked = _transition(form.state.data, *data)
    now = (incident.hold_reason, incident.resolution_code, incident.resolution_notes)
    return None if asked == _transition(incident.state, *now) else asked


@bp.post("/<number>/edit")
@require("incidents.console")
def edit(number: str) -> ResponseReturnValue:
    """Save the incident form: every field at once, or nothing (a field left out of the post
    stays as it is)."""
    incident = get_incident(number, "incident.work")
    form = pages.incident_form(incident, request.form)
    if not form.validate_on_submit():
        return _refused(
            number, Invalid({}, _("Nothing was saved: correct the fields below.")), form
        )
    try:
        changed = services.save_incident(
            incident,
            actor=current_user,
            expected_version=form.version.data,
            values={
                **{f: getattr(form, f).data for f in services.EDITABLE},
                "impact": int(form.impact.data),
                "urgency": int(form.urgency.data),
            },
            priority=services.PriorityChoice(
                int(form.priority.data) if form.priority.data else None,
                form.priority_reason.data or "",
            ),
            transition=_asked_transition(form, incident),
            assignment=(_row(Group, form.group.data), _row(User, form.assignee.data)),
        )
    except (Invalid, Conflict) as error:
        return _refused(number, error, form)
    return _done(incident, _("Saved.") if changed else _("Nothing changed."))


@bp.post("/<number>/assign-to-me")
@require("incidents.console")
def assign_to_me(number: str) -> ResponseReturnValue:
    """The agent takes the incident (in its group, or in their own; see the service)."""
    incident = get_incident(number, "incident.work")
    form = VersionForm()
    if not form.validate_on_submit():
        return pages.render_detail(incident, status=400)
    try:
        changes = services.assign_to_me(
            incident, actor=current_user, expected_version=form.version.data
        )
    except (Invalid, Conflict) as error:
        return _refused(number, error)
    return _done(incident, _("Assigned to you.") if changes else _("It was already yours."))


@bp.post("/<number>/comment")
@require("incidents.use")
def comment(number: str) -> ResponseReturnValue:
    incident = get_incident(number, "incident.reply")
    form = CommentForm()
    staff = permissions.may_work(current_user, incident)
    if not form.validate_on_submit():
        return pages.render_detail(incident, status=422, comment_form=form)
    public = form.public.data or not staff  # employees can only write public replies
    try:
        form.consume(done=url_for("incidents.detail", number=incident.number))
        entry = services.comment(incident, author=current_user, body=form.body.data, public=public)
        if form.attachment.data:
            attachments.store(
                incident,
                form.attachment.data,
                uploader=current_user,
                internal=not public,
                journal_entry_id=entry.id,
            )
    except Invalid as error:
        return _refused(number, error, form, "comment_form")
    return _done(incident, _("Reply sent.") if public else _("Work note added."))


@bp.post("/<number>/impact/accept")
@require("incidents.console")
def accept_impact(number: str) -> ResponseReturnValue:
    """Take the impact the CMDB computes for the incident's CIs; the timeline says why."""
    incident = get_incident(number, "incident.work")
    form = VersionForm()
    if not form.version.data:
        return _refused(number, Invalid({"impact": str(services.NO_CMDB_IMPACT)}))
    try:
        why = services.accept_cmdb_impact(
            incident, actor=current_user, expected_version=form.version.data
        )
    except (Invalid, Conflict) as error:
        return _refused(number, error)
    return _done(incident, render(why, _))


@bp.post("/<number>/parent")
@require("incidents.console")
def set_parent(number: str) -> ResponseReturnValue:
    incident = get_incident(number, "incident.work")
    form = ParentForm()
    if not form.validate_on_submit():
        return pages.render_detail(incident, status=422)
    parent = None
    if form.parent.data and form.parent.data.strip():
        parent = db.session.scalar(
            select(Incident).where(Incident.number == form.parent.data.strip().upper())
        )
        if parent is None:
            return _refused(number, Invalid({"parent": _("No incident has this number.")}))
    try:
        services.set_parent(incident, parent, actor=current_user)
    except Invalid as error:
        return _refused(number, error)
    return _done(
        incident,
        _("Now a child of %(number)s.", number=parent.number) if parent else _("Detached."),
    )


@bp.post("/<number>/major")
@require("incidents.console")
def propose_major(number: str) -> ResponseReturnValue:
    incident = get_incident(number, "incident.work")
    form = MajorForm()
    if not form.validate_on_submit():
        return pages.render_detail(incident, status=422)
    try:
        services.propose_major(incident, actor=current_user, reason=form.reason.data)
    except Invalid as error:
        return _refused(number, error)
    return _done(incident, _("Proposed as a major incident."))


@bp.post("/<number>/major/decision")
@require("incident.decide_major")
def decide_major(number: str) -> ResponseReturnValue:
    incident = get_incident(number)
    form = MajorDecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("accept", "reject"):
        abort(400)
    try:
        services.decide_major(
            incident,
            accept=form.decision.data == "accept",
            actor=current_user,
            note=form.note.data or "",
        )
    except Invalid as error:
        return _refused(number, error)
    return _done(incident, _("Decision recorded."))


@bp.post("/<number>/watchers")
@require("incidents.console")
def watchers(number: str) -> ResponseReturnValue:
    """Add a watcher by username, or remove one (``remove`` = user id)."""
    incident = get_incident(number, "incident.work")
    form = WatcherForm()
    if form.remove.data and form.remove.data.isdecimal():
        person = db.session.get(User, int(form.remove.data))
        if person is not None and tickets.unwatch(incident, person):
            return _done(
                incident,
                _("%(name)s no longer watches this incident.", name=person.display_name),
            )
        return redirect(url_for("incidents.detail", number=incident.number))
    if not form.validate_on_submit():
        return pages.render_detail(incident, status=422, watch_form=form)
    person = account_services.get_user_by_username(form.username.data)
    if person is None or not person.is_active:
        form.username.errors = [_("No active person has this username.")]
        return pages.render_detail(incident, status=422, watch_form=form)
    tickets.watch(incident, person)
    return _done(incident, _("%(name)s now watches this incident.", name=person.display_name))


@bp.get("/<number>/attachments/<int:attachment_id>")
@require("incidents.use")
def attachment(number: str, attachment_id: int) -> ResponseReturnValue:
    incident = get_incident(number)
    found = pages.visible_attachment(incident, attachment_id)
    if found is None:
        raise NotFound(_("There is no such attachment on this incident."))
    return attachments.download(found)

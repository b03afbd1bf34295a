"""Approver pages: what waits for my decision (my own and my delegators'), one approval with the
request it is about, the decision, and naming a delegate for an absence.

An approval someone has no part in is "not found"; a decision that comes too late (decided
already, the request canceled, the level settled) is a 409 with the reason on the page; a
decision on an item one ordered or that is for oneself is a 403 that says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.forms import apply_errors, refused, saved
from app.i18n.content import translated
from app.policy import require
from app.requests import portal_queries, services
from app.requests.common import active_user
from app.requests.forms import DecisionForm, DelegationForm, EndDelegationForm, set_picker_choices
from app.requests.models import Approval, ApprovalDelegation
from app.requests.states import ApprovalState
from app.requests.views import bp
from app.timeutils import utc_now
from app.ui import viewer_timezone

DEFAULT_ABSENCE = timedelta(days=7)


def get_approval(approval_id: int) -> Approval:
    """:raise NotFound: no such approval, or one the user has no part in."""
    return services.approval_for(current_user, approval_id)


@bp.get("/approvals")
@require("requests.order")
def approvals() -> ResponseReturnValue:
    waiting = services.waiting_for(current_user)
    decided = portal_queries.decided_by(current_user)
    items = portal_queries.preload_items([*waiting, *decided])
    return render_template(
        "requests/approvals.html",
        items=items,  # held while rendering, so the rows' items come from the session
        waiting=waiting,
        decided=decided,
        deciding_for=[
            d
            for d in services.delegations_of(current_user)
            if d.delegate_id == current_user.id and d.starts_at <= utc_now()
        ],
    )


def render_approval(
    approval: Approval, status: int = 200, form: DecisionForm | None = None
) -> ResponseReturnValue:
    item = approval.item
    open_ = approval.state == ApprovalState.REQUESTED and services.may_decide(
        current_user, approval
    )
    return render_template(
        "requests/approval.html",
        approval=approval,
        item=item,
        req=item.request,
        answers=services.answers_of(item),
        status_words=services.item_status(item),
        levels=list(item.approvals),
        may_decide=open_,
        party_reason=services.party_reason(current_user, item),
        form=form or DecisionForm(formdata=None),
    ), status


@bp.get("/approvals/<int:approval_id>")
@require("requests.order")
def approval(approval_id: int) -> ResponseReturnValue:
    return render_approval(get_approval(approval_id))


@bp.post("/approvals/<int:approval_id>/decide")
@require("requests.order")
def decide(approval_id: int) -> ResponseReturnValue:
    found = get_approval(approval_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return render_approval(found, 422, form)
    approve = form.decision.data == "approve"
    try:
        services.decide(found, actor=current_user, approve=approve, comment=form.comment.data or "")
    except (Invalid, Conflict) as error:
        return refused(
            error,
            lambda: get_approval(approval_id),
            lambda approval, status: render_approval(approval, status, form),
            form,
        )
    # Worded before the commit, from what the decision left in the session: after it, every
    # object read here would be read again (the approval, the item, its caller and their
    # roles: six statements for one sentence).
    item = found.item
    message = (
        _("You approved %(number)s (%(item)s) for %(name)s. Now: %(status)s.")
        if approve
        else _("You rejected %(number)s (%(item)s) for %(name)s. Now: %(status)s.")
    ) % {
        "number": item.number,
        "item": translated(item.catalog_item, "name"),
        "name": item.caller.display_name,
        "status": services.item_status(item),
    }
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("requests.approvals"))


# -- delegation -----------------------------------------------------------------------------


def _aware(value: datetime | None) -> datetime | None:
    """A datetime-local field's value (the viewer's wall clock) as an aware datetime."""
    return value.replace(tzinfo=ZoneInfo(viewer_timezone())) if value else None


def _render_delegations(form: DelegationForm, status: int = 200) -> ResponseReturnValue:
    chosen = portal_queries.people_by_id([form.delegate.data or ""])
    set_picker_choices(form.delegate, [SelectChoice(str(p.id), p.display_name) for p in chosen])
    mine = services.delegations_of(current_user)
    return render_template(
        "requests/delegations.html",
        form=form,
        given=[d for d in mine if d.delegator_id == current_user.id],
        received=[d for d in mine if d.delegate_id == current_user.id],
        end_form=EndDelegationForm(formdata=None),
        now=utc_now(),
        zone=viewer_timezone(),
    ), status


@bp.get("/delegations")
@require("requests.order")
def delegations() -> ResponseReturnValue:
    form = DelegationForm(formdata=None)
    local_now = (
        utc_now()
        .astimezone(ZoneInfo(viewer_timezone()))
        .replace(tzinfo=None, second=0, microsecond=0)
    )
    form.starts_at.data, form.ends_at.data = local_now, local_now + DEFAULT_ABSENCE
    return _render_delegations(form)


@bp.post("/delegations")
@require("requests.order")
def add_delegation() -> ResponseReturnValue:
    form = DelegationForm()
    if not form.validate_on_submit():
        return _render_delegations(form, 422)
    delegate = active_user(form.delegate.data)
    try:
        services.add_delegation(
            delegator=current_user,
            delegate=delegate,
            starts_at=_aware(form.starts_at.data),
            ends_at=_aware(form.ends_at.data),
            actor=current_user,
        )
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render_delegations(form, 422)
    return saved(
        _("%(name)s decides your approvals during this period.", name=delegate.display_name),
        url_for("requests.delegations"),
    )


@bp.post("/delegations/<int:delegation_id>/end")
@require("requests.order")
def end_delegation(delegation_id: int) -> ResponseReturnValue:
    delegation: Any = db.session.get(ApprovalDelegation, delegation_id)
    if delegation is None or current_user.id not in (
        delegation.delegator_id,
        delegation.delegate_id,
    ):
        raise NotFound(_("There is no such delegation of yours."))
    if EndDelegationForm().validate_on_submit():
        name = delegation.delegate.display_name
        services.end_delegation(delegation, actor=current_user)
        db.session.commit()
        flash(_("%(name)s no longer decides your approvals.", name=name), "success")
    return redirect(url_for("requests.delegations"))

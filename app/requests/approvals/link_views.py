"""The pages behind the one-click links of approval mails (see :mod:`.links`).

Opening a link shows what is asked and the decision it offers, with a "Confirm" button: the GET
never decides (mail scanners follow links). The confirmation's POST decides as the person the
link was sent to, through :func:`app.requests.services.decide`, with every rule of the approval
page (separation of duties, delegation periods). A link that cannot be used says why: expired
(410), not valid or the approver deactivated (403), decided already (409), with a way to sign in
and open "My approvals". The visitor may be signed out; signed in as someone else, they are told.
"""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.errors import Conflict, DomainError, Forbidden, Invalid
from app.extensions import db
from app.forms import apply_errors
from app.policy import public
from app.requests import services
from app.requests.approvals import links
from app.requests.forms import LinkDecisionForm
from app.requests.models import Approval
from app.requests.views import bp

VIA = "a mail link"
VERDICTS = {"requested": "still waiting", "approved": "approved", "rejected": "rejected"}


def _refusal(error: DomainError, approval: Approval | None = None) -> ResponseReturnValue:
    """The page of a link that cannot be used (or a decision refused), with its status."""
    db.session.rollback()
    target = (
        url_for("requests.approval", approval_id=approval.id)
        if approval is not None
        else url_for("requests.approvals")
    )
    return render_template(
        "_link_refused.html",
        status=error.status,
        title=error.title,
        message=error.message,
        target=target,
        open_label="Open My approvals",
        signin_label="Sign in and open My approvals",
    ), error.status


def _other_person(link: links.DecisionLink) -> str | None:
    """The signed-in person's name when the link was sent to someone else."""
    if current_user.is_authenticated and current_user.id != link.approver.id:
        return str(current_user.display_name)
    return None


def _confirmation(
    link: links.DecisionLink, form: LinkDecisionForm, status: int = 200
) -> ResponseReturnValue:
    item = link.approval.item
    if not link.approve:
        form.comment.label.text = "Reason (required)"
        form.comment.description = "The requester sees it."
    return render_template(
        "requests/decision_link.html",
        link=link,
        approval=link.approval,
        item=item,
        req=item.request,
        answers=services.answers_of(item),
        form=form,
        signed_in_as=_other_person(link),
    ), status


def _open(token: str) -> links.DecisionLink:
    """The link, if it can still decide: also refused up front when its person may not decide
    (separation of duties, a delegation that ended), as the POST would be.

    :raise DomainError: see :func:`links.open_link`; ``Forbidden`` when the person may not
        decide.
    """
    link = links.open_link(token)
    reason = services.party_reason(link.approver, link.approval.item)
    if reason is None and not services.may_decide(link.approver, link.approval):
        reason = f"{link.approver.display_name} can no longer decide this approval."
    if reason is not None:
        raise Forbidden(reason)
    return link


@bp.get("/approvals/decide/<token>")
@public
def decide_by_link(token: str) -> ResponseReturnValue:
    """The confirmation page of a mail link; decides nothing."""
    try:
        link = _open(token)
    except DomainError as error:
        return _refusal(error)
    return _confirmation(link, LinkDecisionForm(formdata=None))


@bp.post("/approvals/decide/<token>")
@public
def confirm_by_link(token: str) -> ResponseReturnValue:
    """Decide as the person the link was sent to; the journal says it came from a mail link."""
    try:
        link = _open(token)
    except DomainError as error:
        return _refusal(error)
    form = LinkDecisionForm()
    if not form.validate_on_submit():
        return _confirmation(link, form, 422)
    try:
        form.consume()
        services.decide(
            link.approval,
            actor=link.approver,
            approve=link.approve,
            comment=form.comment.data or "",
            via=VIA,
        )
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        return _confirmation(links.open_link(token), form, 422)
    except (Forbidden, Conflict) as error:
        return _refusal(error)
    db.session.commit()
    return redirect(url_for("requests.decided_by_link", token=token), 303)


@bp.get("/approvals/decide/<token>/done")
@public
def decided_by_link(token: str) -> ResponseReturnValue:
    """What became of a link's approval after its confirmation: who decided, and the item's
    state now (the page the confirmation's POST redirects to)."""
    try:
        approval_id, _, _ = links.read_token(token, links.max_age())
    except DomainError as error:
        return _refusal(error)
    approval = db.session.get(Approval, approval_id)
    if approval is None:
        return _refusal(links.LinkError(links.NO_SUCH_APPROVAL))
    item = approval.item
    return render_template(
        "requests/decision_link_done.html",
        approval=approval,
        item=item,
        status_words=services.item_status(item),
        verdict=VERDICTS.get(approval.state.value, "no longer needed"),
    )

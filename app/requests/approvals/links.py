"""Signed one-click decision links for approval mails.

A link names one approval, the person it was sent to (the approver, or a delegate the mail was
addressed to) and the decision ("approve" or "reject"). It is signed with the application's
``SECRET_KEY`` (itsdangerous, with a salt of its own so that no other signed value can pass for
it) and is valid for ``APPROVAL_LINK_DAYS``. Opening it shows a confirmation page; only the
confirmation's POST decides, through :func:`app.requests.approvals.services.decide`, so a mail
scanner that follows links decides nothing.

A link is bound to the approval's request (its level and the moment it was asked) and to its
state when sent: once the approval is decided, canceled or asked again, its old links are no
use. It is deliberately *not* bound to the person's session generation, which every sign-out
bumps: an approver who signs out of the desk must still be able to use the mail they received.
A deactivated person's links stop working because the decision requires an active approver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _

from app import signed_links
from app.auth.models import User
from app.errors import Conflict, Forbidden
from app.extensions import db
from app.requests.models import Approval
from app.requests.states import ApprovalState
from app.signed_links import LinkError

SALT = "deskgraph.requests.approval-decision"
DECISIONS = ("approve", "reject")
DEFAULT_DAYS = 14
ENDPOINT = "requests.decide_by_link"
NO_SUCH_APPROVAL = "This approval link names an approval that does not exist."


def _binding(approval: Approval) -> str:
    """What the link is bound to besides the ids: the level, when it was asked, its state."""
    asked = approval.requested_at
    stamp = int((asked if asked.tzinfo else asked.replace(tzinfo=UTC)).timestamp())
    return f"{approval.level}.{stamp}.{approval.state.value}"


def max_age() -> timedelta:
    """How long a link is valid (``APPROVAL_LINK_DAYS``, 14 days unless set)."""
    return signed_links.valid_for("APPROVAL_LINK_DAYS", DEFAULT_DAYS)


def decision_token(approval: Approval, approver: User, decision: str) -> str:
    """A signed token that lets ``approver`` (the approver or the delegate the mail goes to)
    confirm ``decision`` on ``approval``. Needs an application context.

    :raise ValueError: ``decision`` is neither "approve" nor "reject".
    """
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, got {decision!r}")
    payload = [approval.id, approver.id, decision, _binding(approval)]
    return signed_links.dumps(SALT, payload)


def decision_url(
    approval: Approval, approver: User, decision: str, *, external: bool = True
) -> str:
    """The address of the confirmation page for a decision link (see :func:`decision_token`).

    An external address starts with ``DESKGRAPH_BASE_URL`` when it is set (mail is rendered
    outside any request), else with the current request's host; outside a request without
    that setting, Flask's ``SERVER_NAME`` must be set.
    """
    token = decision_token(approval, approver, decision)
    base = current_app.config.get("DESKGRAPH_BASE_URL")
    if has_request_context() and not (external and base):
        return url_for(ENDPOINT, token=token, _external=external)
    if base or not external:
        root = current_app.config.get("APPLICATION_ROOT") or "/"
        path = current_app.url_map.bind("localhost", script_name=root).build(
            ENDPOINT, {"token": token}
        )
        return f"{str(base).rstrip('/')}{path}" if external else path
    return url_for(ENDPOINT, token=token, _external=True)


def _read(token: str, age: timedelta) -> tuple[int, int, str, str]:
    payload: Any = signed_links.loads(
        SALT, token, age, what="approval", hint="Open the approval from “My approvals” instead."
    )
    if not (
        isinstance(payload, list)
        and len(payload) == 4
        and all(isinstance(v, int) and not isinstance(v, bool) for v in payload[:2])
        and payload[2] in DECISIONS
        and isinstance(payload[3], str)
    ):
        raise LinkError("This approval link is not valid.")
    return payload[0], payload[1], payload[2], payload[3]


def read_token(token: str, max_age: timedelta) -> tuple[int, int, str]:
    """The approval id, approver id and decision a token carries, if its signature is good
    and it is younger than ``max_age``. Says nothing about whether the approval still waits
    (see :func:`open_link`).

    :raise LinkExpired: well signed, but too old (410).
    :raise LinkError: malformed or tampered with (403).
    """
    approval_id, approver_id, decision, _ = _read(token, max_age)
    return approval_id, approver_id, decision


@dataclass(frozen=True)
class DecisionLink:
    """A usable link: the approval, the person it was sent to, and the decision it offers."""

    approval: Approval
    approver: User
    decision: str

    @property
    def approve(self) -> bool:
        return self.decision == "approve"


def open_link(token: str) -> DecisionLink:
    """Check a link against the database: the approval still waits for the decision it was
    sent for, and the person it was sent to is still active. Whether that person may decide
    (separation of duties, an ended delegation) is :func:`services.decide`'s business.

    :raise LinkExpired: too old (410).
    :raise LinkError: malformed, tampered with, or naming a row that does not exist (403).
    :raise Conflict: the approval was decided, canceled or asked again since (409).
    :raise Forbidden: the person it was sent to was deactivated (403).
    """
    approval_id, approver_id, decision, binding = _read(token, max_age())
    approval = db.session.get(Approval, approval_id)
    approver = db.session.get(User, approver_id)
    if approval is None or approver is None:
        raise LinkError(NO_SUCH_APPROVAL)
    if approval.state != ApprovalState.REQUESTED:
        words = {
            ApprovalState.APPROVED: "approved",
            ApprovalState.REJECTED: "rejected",
        }.get(approval.state)
        if words is not None:
            who = approval.decided_by.display_name if approval.decided_by else "someone"
            raise Conflict(
                _("This approval was already decided: %(words)s by %(who)s.", words=words, who=who)
            )
        raise Conflict(
            _("%(number)s no longer waits for this approval.", number=approval.item.number)
        )
    if _binding(approval) != binding:
        raise Conflict(
            _(
                "This link no longer matches the approval of %(number)s. Use the newest mail or "
                "“My approvals”.",
                number=approval.item.number,
            )
        )
    if not approver.is_active:
        raise Forbidden(_("The account of %(name)s is deactivated.", name=approver.display_name))
    return DecisionLink(approval, approver, decision)

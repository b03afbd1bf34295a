"""The home page: what each person can do here, by role; and a service owner's page of one
service they own, with its open incidents."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from app.auth import groups as group_services
from app.auth.models import Group, Role, User
from app.errors import NotFound
from app.extensions import db
from app.incidents import majors, stats
from app.policy import can, require, signed_in
from app.portal import health, permissions, setup  # noqa: F401  (permissions: the rules)
from app.requests.portal_queries import portal_counts
from app.tickets.matrix import load_matrix

bp = Blueprint("portal", __name__, template_folder="templates")
#: Why an incident needs a look (``health.Attention.reasons``), as people read it.
REASONS = {
    "Major incident": _l("Major incident"),
    "Proposed as major incident": _l("Proposed as major incident"),
    "SLA breached": _l("SLA breached"),
    "SLA at risk": _l("SLA at risk"),
}


@bp.get("/")
@signed_in
def home() -> ResponseReturnValue:
    my_queues = [g for g in current_user.groups if g.is_assignment_group]
    owned = list(
        db.session.scalars(
            select(Group).where(Group.manager_id == current_user.id).order_by(Group.name)
        )
    )
    admin_counts = steps = None
    if current_user.has_role(Role.ADMIN):
        admin_counts = {
            "people": db.session.scalar(
                select(func.count()).select_from(User).where(User.is_active)
            ),
            "groups": db.session.scalar(select(func.count()).select_from(Group)),
        }
        steps = setup.first_steps(directory_configured=bool(current_app.config.get("LDAP_URL")))
    return render_template(
        "portal/home.html",
        my_queues=my_queues,
        owned=owned,
        sizes=group_services.member_counts([g.id for g in my_queues + owned]),
        queue_counts=stats.queue_counts([g.id for g in my_queues + owned]),
        personal=stats.personal_counts(current_user),
        admin_counts=admin_counts,
        steps=steps,
        setup_complete=steps is None or setup.setup_complete(steps),
        proposals=(
            majors.open_proposal_count() if can(current_user, "incident.decide_major") else None
        ),
        services=(
            health.owner_health(current_user.id)
            if current_user.has_role(Role.SERVICE_OWNER)
            else None
        ),
        requests=portal_counts(current_user) if can(current_user, "requests.order") else None,
        reasons=REASONS,
    )


@bp.get("/services/<int:ci_id>")
@require("portal.service_health")
def service(ci_id: int) -> ResponseReturnValue:
    """Every open incident on one business service the person owns, those needing a look first.

    :raise NotFound: no such service, or someone else owns it.
    """
    found = health.service_incidents(current_user.id, ci_id)
    if found is None:
        raise NotFound(_("You own no business service with this id."))
    service, incidents = found
    return render_template(
        "portal/service.html",
        service=service,
        incidents=incidents,
        matrix=load_matrix(),
        reasons=REASONS,
    )

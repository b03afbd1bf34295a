"""Service owners' page: the queues they own. Policies and reports arrive with the SLA work."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from app.auth.groups import member_counts
from app.auth.models import Group, Role
from app.extensions import db
from app.policy import require
from app.sla import permissions  # noqa: F401  (registers the rules)

bp = Blueprint("sla", __name__, template_folder="templates")


@bp.get("/")
@require("sla.reports")
def index() -> ResponseReturnValue:
    query = select(Group).where(Group.is_assignment_group).order_by(Group.name)
    if not current_user.has_role(Role.ADMIN):
        query = query.where(Group.manager_id == current_user.id)
    queues = list(db.session.scalars(query))
    return render_template(
        "sla/index.html", queues=queues, sizes=member_counts([g.id for g in queues])
    )

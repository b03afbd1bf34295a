"""The ``sla`` blueprint: the service owners' home (their queues and the policies attached).
Calendars and policies live in ``manage_views``, reports in ``report_views``."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.auth.groups import member_counts
from app.auth.models import Group
from app.extensions import db
from app.policy import require
from app.sla import models, permissions  # noqa: F401  (tables for Alembic; rules)
from app.sla.models import SlaPolicy

bp = Blueprint("sla", __name__, template_folder="templates")


@bp.get("/")
@require("sla.reports")
def index() -> ResponseReturnValue:
    query = (
        select(Group)
        .options(joinedload(Group.manager))  # the list shows each queue's manager
        .where(Group.is_assignment_group)
        .order_by(Group.name)
    )
    queues = list(db.session.scalars(permissions.visible_groups(current_user, query)).unique())
    ids = [g.id for g in queues]
    counts = (
        dict(
            db.session.execute(
                select(SlaPolicy.group_id, func.count())
                .where(SlaPolicy.group_id.in_(ids), SlaPolicy.is_active)
                .group_by(SlaPolicy.group_id)
            ).all()
        )
        if ids
        else {}
    )
    return render_template(
        "sla/index.html", queues=queues, sizes=member_counts(ids), policy_counts=counts
    )

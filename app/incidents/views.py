"""The agent console. Incident records arrive with the incident management work."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.auth.groups import member_counts
from app.incidents import permissions  # noqa: F401  (registers the rules)
from app.policy import require

bp = Blueprint("incidents", __name__, template_folder="templates")


@bp.get("/")
@require("incidents.console")
def console() -> ResponseReturnValue:
    queues = [g for g in current_user.groups if g.is_assignment_group]
    return render_template(
        "incidents/console.html", queues=queues, sizes=member_counts([g.id for g in queues])
    )

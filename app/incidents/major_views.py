"""The list of major-incident proposals waiting for a decision, for service owners and
administrators. The route belongs to the incidents blueprint; ``create_app`` imports this
module before registering it."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from app.incidents import majors
from app.incidents.views import bp
from app.policy import require
from app.tickets.matrix import load_matrix


@bp.get("/major-proposals")
@require("incident.decide_major")
def major_proposals() -> ResponseReturnValue:
    return render_template(
        "incidents/major_proposals.html", proposals=majors.open_proposals(), matrix=load_matrix()
    )

"""The read-only incident page of those who follow an incident without working it: a service
owner or administrator deciding on a major-incident proposal, or the owner of the incident's
service. Work notes are internal to IT, and these readers are IT: the page shows the whole
timeline, but only agents edit, assign, reply or write work notes."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue

from app.incidents import cis, correlation, majors
from app.incidents.forms import MajorDecisionForm
from app.incidents.models import Incident, MajorState
from app.incidents.workflow import RESOLUTION_CODES
from app.sla.services import sla_summaries
from app.tickets import services as tickets
from app.tickets.matrix import load_matrix


def render_review(incident: Incident, *, status: int = 200, **forms: Any) -> ResponseReturnValue:
    """The incident page of a reader who does not work the incident (see the module)."""
    ci_ids = cis.ci_ids_of(incident)
    proposed = incident.major_state != MajorState.NONE
    context: dict[str, Any] = {
        "incident": incident,
        "staff": True,  # the timeline shows work notes and field changes (read only)
        "proposal": majors.proposal_of(incident) if proposed else None,
        "decision_form": forms.get("major_decision_form") or MajorDecisionForm(formdata=None),
        "timeline": tickets.timeline(incident, public_only=False, newest_first=True),
        "cis": cis.names_of(ci_ids),
        "children": list(incident.children),
        "matrix": load_matrix(),
        "resolution_codes": RESOLUTION_CODES,
        "slas": sla_summaries([incident.id]).get(incident.id, []),
        **correlation.impact_context(ci_ids),
    }
    return render_template("incidents/review.html", **context), status

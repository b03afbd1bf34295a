"""The words of a timeline's field-change lines ("State: New → On hold"): the audited field's
label and its coded values (states, hold reasons, resolution codes, impact, urgency, priority)
through the same translated labels the rest of the page uses, in the reader's language. The
journal keeps the field names and values as identifiers; this words them when they are read.
The incident page, its review and the catalog task page share the timeline, so the states of
items and requests are named here too. Registered as the template globals ``change_field`` and
``change_value``, and ``timeline_html``, the timeline itself (``incidents/_timeline.html``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

from app.i18n import N_
from app.i18n.words import gettext as _
from app.incidents.models import MajorState
from app.incidents.workflow import RESOLUTION_CODES, State
from app.tickets.holds import HOLD_LABELS
from app.tickets.matrix import load_matrix
from app.tickets.priority import PriorityMatrix
from app.ui import audit_value, explained, time_tag, viewer_timezone

#: The audited fields of tickets, as the forms that change them name them.
FIELD_LABELS = {
    "state": N_("State"),
    "hold_reason": N_("Waiting for"),
    "resolution_code": N_("Resolution code"),
    "major": N_("Major incident"),
    "impact": N_("Impact"),
    "urgency": N_("Urgency"),
    "priority": N_("Priority"),
    "assignment_group": N_("Assignment group"),
    "assignee": N_("Assigned to"),
    "short_description": N_("Short description"),
    "description": N_("Description"),
    "category": N_("Category"),
    "subcategory": N_("Subcategory"),
    "affected_service": N_("Affected service"),
    "cis": N_("Configuration items"),
    "approval": N_("Approval"),
    "automation": N_("Automated change"),
}

#: Coded values by field (states of incidents, catalog tasks, items and requests).
VALUE_LABELS: Mapping[str, Mapping[str, str]] = {
    "state": {
        **{state.value: state.label for state in State},
        "pending_approval": N_("Awaiting approval"),
        "open": N_("Not closed"),
    },
    "hold_reason": {reason.value: label for reason, label in HOLD_LABELS.items()},
    "resolution_code": RESOLUTION_CODES,
    "major": {
        MajorState.NONE.value: N_("Not major"),
        MajorState.PROPOSED.value: N_("Proposed"),
        MajorState.ACCEPTED.value: N_("Accepted as major"),
        MajorState.REJECTED.value: N_("Proposal rejected"),
    },
    "automation": {"done": N_("Done"), "failed": N_("Failed")},
}


def change_field(field: str) -> str:
    """The audited field's label in the reader's language (an unknown field: its name)."""
    label = FIELD_LABELS.get(field)
    return _(label) if label else field


#: The fields worded by the priority matrix's labels.
MATRIX_FIELDS = frozenset(("impact", "urgency", "priority"))


def change_value(field: str, value: Any, matrix: PriorityMatrix | None = None) -> str:
    """An old or new value of an audited field as its reader reads it: a coded value by its
    label, an impact, urgency or priority with the priority matrix's label (``matrix``, read
    here when not given), anything else as the history shows it."""
    labels = VALUE_LABELS.get(field, {})
    if isinstance(value, str) and value in labels:
        return _(labels[value])
    if field in MATRIX_FIELDS and isinstance(value, int):
        return _matrix_label(field, value, matrix or load_matrix())
    return audit_value(value)


def _matrix_label(field: str, value: int, matrix: PriorityMatrix) -> str:
    if field == "priority":
        return _("P%(level)s · %(label)s", level=value, label=_(matrix.label(value)))
    scale = matrix.impacts if field == "impact" else matrix.urgencies
    label = scale.get(value)
    return _("%(value)s - %(label)s", value=value, label=_(label)) if label else str(value)


def timeline_html(
    timeline: Iterable[Any], staff: bool, matrix: PriorityMatrix | None = None
) -> Markup:
    """A ticket's timeline (``incidents/_timeline.html``): each entry's author, kind and time,
    then its text, or for a change the fields it changed (all of them for ``staff``, else the
    state only; the query already left work notes out for everyone else), impact, urgency and
    priority by ``matrix``'s labels (read once here, at the first such change, when the page
    has none). Written in one call where the Jinja loop it replaced made a few dozen template
    calls per entry (each verb translated once, the viewer's zone read once); the markup is
    that loop's, and tests/incidents/test_timeline_html.py checks what readers see of it."""
    note = _("work note")  # not inside the f-string: the catalogs' extraction would miss it
    verbs = {
        "reply": _("replied"),
        "work_note": f'<span class="dg-note-label">{note}</span>',
        "change": _("changed"),
    }
    zone = viewer_timezone()
    html = ['<ol class="dg-timeline">\n  ']
    for entry in timeline:
        kind = entry.kind.value
        author = escape(entry.author.display_name) if entry.author else "Deskgraph"
        html.append(
            f'\n  <li class="dg-{escape(kind)}">\n    <div class="dg-entry-head">'
            f"\n      <strong>{author}</strong>"
            f"\n      {verbs[kind] if kind in ('reply', 'work_note') else verbs['change']}"
            f"\n      · {time_tag(entry.created_at, zone=zone)}\n    </div>\n    "
        )
        if kind == "change":
            html.append('\n      <ul class="list-unstyled small mb-0 mt-1">\n      ')
            for field, change in entry.changes.items():
                html.append("\n        ")
                if staff or field == "state":
                    if matrix is None and field in MATRIX_FIELDS:
                        matrix = load_matrix()
                    old = escape(change_value(field, change[0], matrix))
                    new = escape(change_value(field, change[1], matrix))
                    html.append(
                        f"\n        <li>{escape(change_field(field))}: {old} → "
                        f"<strong>{new}</strong></li>\n        "
                    )
                html.append("\n      ")
            html.append("\n      </ul>\n      ")
            if entry.body and (staff or "state" in entry.changes):
                text = explained(entry.message or entry.body)
                html.append(f'<div class="dg-entry-body small">{text}</div>')
            html.append("\n    ")
        else:
            text = explained(entry.message or entry.body)
            html.append(f'\n      <div class="dg-entry-body">{text}</div>\n    ')
        html.append("\n  </li>\n  ")
    if len(html) == 1:
        nothing = _("Nothing yet.")  # not inside the f-string: extraction would miss it
        html.append(f'\n  <li class="text-body-secondary">{nothing}</li>\n  ')
    html.append("\n</ol>")
    return Markup("".join(html))

"""The people pickers' search: ``GET /people/search?q=…`` answers an HTML fragment of at most
ten active people (see the ``people_picker`` macro in ``_macros/people.html``)."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.auth.people import search_people
from app.auth.permissions import sees_contact_details
from app.auth.views import bp
from app.policy import require

LIMIT = 10


@bp.get("/people/search")
@require("people.search")
def people_search() -> ResponseReturnValue:
    """Suggestions for a picker. ``q`` is the text typed; with ``for=<field name>`` the text is
    read from that parameter instead (what htmx sends for the field itself) and, with
    ``multiple=1``, only its last comma- or space-separated word is searched. ``target`` is the
    id of the input a choice fills in."""
    name = (request.args.get("for") or "")[:100]
    text = (request.args.get(name) if name else None) or request.args.get("q") or ""
    text = text[:200]
    if request.args.get("multiple") == "1":
        text = (text.replace(",", " ").split() or [""])[-1]
    people = search_people(text, LIMIT)
    return render_template(
        "auth/people_suggestions.html",
        people=people,
        text=text,
        target=(request.args.get("target") or name or "")[:100],
        contacts=sees_contact_details(current_user),
    )

"""The search page and the suggestions shown while typing in the header's search box."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.policy import signed_in
from app.search import query as search_query

bp = Blueprint("search", __name__, url_prefix="/search", template_folder="templates")
MAX_PAGE = 50


def _page() -> int:
    raw = request.args.get("page", "1")
    page = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 4 else 1
    return max(1, min(page, MAX_PAGE))


@bp.get("")
@signed_in
def results() -> ResponseReturnValue:
    """``/search?q=…&type=…&page=…``: results grouped by type (a tab per type with its count),
    best first, matches highlighted."""
    raw = request.args.get("q", "")
    found = search_query.search(
        current_user, raw, source=request.args.get("type", ""), page=_page()
    )
    return render_template("search/results.html", results=found)


@bp.get("/suggest")
@signed_in
def suggest() -> ResponseReturnValue:
    """The few best matches for the header box (an htmx fragment)."""
    raw = request.args.get("q", "")
    hits = search_query.suggest(current_user, raw) if len(raw.strip()) >= 2 else []
    return render_template("search/_suggestions.html", hits=hits, q=raw)

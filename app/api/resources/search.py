"""``/api/v1/search``: the desk's one search over everything the caller may see (tickets,
CIs, people, catalog items, articles), best first, as the search page answers it
(``app.search.query.search``: the same visibility, the same staff-only notes)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from flask_login import current_user

from app.api import scopes
from app.api.auth import operation
from app.api.pagination import PageArgs, decode, encode
from app.api.schemas import Input
from app.api.spec import Blueprint
from app.errors import Invalid
from app.policy import SIGNED_IN
from app.search import query as search_query

AREA = scopes.add_area("search", "Search everything I may see")
READ = f"{AREA}:read"

blp = Blueprint("search_api", __name__, description="Search tickets, CIs, people, items, articles.")


class SearchHitSchema(ma.Schema):
    source = ma.fields.String(required=True, metadata={"description": "ticket, ci, person, ..."})
    id = ma.fields.Integer(required=True, metadata={"description": "The row's id in its source"})
    ref = ma.fields.String(required=True, metadata={"description": "A number or name"})
    kind = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    excerpt_html = ma.fields.String(
        required=True, metadata={"description": "The matching passage, matches in <mark>"}
    )
    url = ma.fields.String(allow_none=True, metadata={"description": "The page that shows it"})


class SearchPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SearchHitSchema), required=True)
    next_cursor = ma.fields.String(required=True, allow_none=True)
    counts = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        required=True,
        metadata={"description": "Matches per source (at least, when capped)"},
    )
    capped = ma.fields.Boolean(required=True)
    notes = ma.fields.List(ma.fields.String(), required=True)


class SearchArgs(PageArgs, Input):
    q = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000))
    type = ma.fields.String(
        validate=ma.validate.Length(min=1, max=20),
        metadata={"description": "One source only (ticket, ci, person, catalog_item, article)"},
    )


@blp.route("/search", methods=["GET"])
@operation(SIGNED_IN, READ)
@blp.arguments(SearchArgs, location="query", as_kwargs=True)
@blp.response(200, SearchPage)
def search(cursor: str | None, limit: int, q: str, type: str = "") -> Any:  # noqa: A002
    """What matches ``q`` among what the caller may see, best first."""
    offset = decode(cursor)
    if offset % limit:
        raise Invalid({"cursor": _("Pass the same limit with a cursor as for the page before.")})
    page = offset // limit + 1
    found = search_query.search(current_user, q, source=type, page=page, per_page=limit)
    more = page * limit < found.total
    return {
        "items": [
            {
                "source": hit.document.source,
                "id": hit.document.source_id,
                "ref": hit.document.ref,
                "kind": hit.document.kind,
                "title": hit.document.title,
                "excerpt_html": str(hit.excerpt),
                "url": hit.url,
            }
            for hit in found.hits
        ],
        "next_cursor": encode(offset + limit) if more else None,
        "counts": found.counts,
        "capped": found.capped,
        "notes": found.notes,
    }

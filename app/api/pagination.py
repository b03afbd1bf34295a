"""Cursor pagination for API lists.

A list answers ``{"items": [...], "next_cursor": "..."}``; the client passes ``cursor`` back,
with the same filters and sorting, for the next page, and stops when ``next_cursor`` is null.
The cursor is opaque (base64url of a small JSON document, checked when read): today it carries
the position in the ordered list, so a client may never build one; the format may change
(keyset positions) without breaking clients that only pass it back.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from sqlalchemy import Select

from app.errors import Invalid
from app.extensions import db

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000


class PageArgs(ma.Schema):
    """The query parameters of every list (mix into a resource's filter schema)."""

    cursor = ma.fields.String(
        load_default=None, metadata={"description": "`next_cursor` of the previous page"}
    )
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page (at most {MAX_LIMIT})"},
    )


def encode(offset: int) -> str:
    raw = json.dumps({"o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None) -> int:
    """The position a cursor stands for.

    :raise Invalid: the cursor was not made by this API.
    """
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        offset = json.loads(raw)["o"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise Invalid({"cursor": "This cursor is not one this API gave out."}) from None
    if not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise Invalid({"cursor": "This cursor is not one this API gave out."})
    return offset


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    next_cursor: str | None


def page_of(query: Select, cursor: str | None, limit: int) -> Page:
    """One page of ``query`` (already ordered, with a unique tie-breaker last): the rows of
    its first column, and the cursor of the next page (None on the last)."""
    offset = decode(cursor)
    rows = list(db.session.scalars(query.offset(offset).limit(limit + 1)))
    more = len(rows) > limit
    return Page(rows[:limit], encode(offset + limit) if more else None)

"""Cursor pagination for API lists.

A list answers ``{"items": [...], "next_cursor": "..."}``; the client passes ``cursor`` back,
with the same filters and sorting, for the next page, and stops when ``next_cursor`` is null.
The cursor is opaque and signed (a client can neither build nor alter one).

Lists read from the database (:func:`page_of`) use **keyset** cursors: the cursor holds the
sort keys of the page's last row (its sort columns and, last, its id), and the next page is
the rows after it in the same order. A row inserted or deleted meanwhile therefore never makes
the next page skip or repeat a row, and a deep page costs what the first one does. The few
short lists a service returns whole (approvals, catalog items, people found, search hits,
which are ranked) keep a position in the list (:func:`encode` / :func:`decode`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import marshmallow as ma
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from app.errors import Invalid
from app.extensions import db

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000
SALT = "api-keyset-cursor"
NOT_OURS = "This cursor is not one this API gave out."


class PageArgs(ma.Schema):
    """The query parameters of every list (mix into a resource's filter schema)."""

    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=2000),
        metadata={"description": "`next_cursor` of the previous page"},
    )
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page (at most {MAX_LIMIT})"},
    )


# -- positions (lists a service returns whole) ------------------------------------------------


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
        raise Invalid({"cursor": NOT_OURS}) from None
    if not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise Invalid({"cursor": NOT_OURS})
    return offset


# -- keysets (lists read from the database) ---------------------------------------------------


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    next_cursor: str | None


@dataclass(frozen=True)
class SortKey:
    column: ColumnElement[Any]
    descending: bool


def sort_keys(query: Select) -> list[SortKey]:
    """The ``ORDER BY`` of ``query`` as keys (each a plain column, ascending or descending).

    :raise TypeError: a sort the keyset cannot follow: none, an expression that is not a
        column, or a nullable column (NULLs sort differently on SQLite and PostgreSQL). This
        is a programming error, found by any test of the list.
    """
    keys = []
    for clause in query._order_by_clauses:
        element, descending = clause, False
        if isinstance(clause, UnaryExpression) and clause.modifier in (
            operators.asc_op,
            operators.desc_op,
        ):
            element, descending = clause.element, clause.modifier is operators.desc_op
        if getattr(element, "nullable", True):
            raise TypeError(f"a keyset needs NOT NULL sort columns, not {element}")
        keys.append(SortKey(element, descending))
    if not keys:
        raise TypeError("a keyset needs an ordered query")
    return keys


def _shape(keys: list[SortKey]) -> str:
    """What a cursor was made for: the sort (so a cursor of another sort is refused)."""
    described = ",".join(f"{k.column}{' desc' if k.descending else ''}" for k in keys)
    return hashlib.sha256(described.encode()).hexdigest()[:12]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _jsonable(value: Any) -> Any:
    return {"t": value.isoformat()} if isinstance(value, datetime) else value


def _value(raw: Any) -> Any:
    return datetime.fromisoformat(raw["t"]) if isinstance(raw, dict) else raw


def _make_cursor(keys: list[SortKey], values: Sequence[Any]) -> str:
    payload = {"s": _shape(keys), "k": [_jsonable(v) for v in values]}
    return str(_serializer().dumps(payload))


def _read_cursor(cursor: str, keys: list[SortKey]) -> list[Any]:
    """:raise Invalid: a cursor this API did not sign, or one of another sort."""
    try:
        payload = _serializer().loads(cursor)
    except BadSignature:
        raise Invalid({"cursor": NOT_OURS}) from None
    if payload.get("s") != _shape(keys):
        raise Invalid({"cursor": _("Pass the same filters and sort with a cursor as before.")})
    return [_value(v) for v in payload["k"]]


def after(keys: list[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """The rows after ``values`` in the order of ``keys``: the first key further along, or
    equal and the second further along, and so on."""
    branches = []
    for n, key in enumerate(keys):
        further = key.column < values[n] if key.descending else key.column > values[n]
        equal = [k.column == v for k, v in zip(keys[:n], values[:n], strict=True)]
        branches.append(and_(*equal, further))
    return or_(*branches)


def page_of(query: Select, cursor: str | None, limit: int) -> Page:
    """One page of ``query`` (ordered by NOT NULL columns, a unique tie-breaker last): the
    rows of its first column, and the cursor of the next page (None on the last).

    :raise Invalid: a cursor this API did not give out for this sort.
    """
    keys = sort_keys(query)
    if cursor:
        query = query.where(after(keys, _read_cursor(cursor, keys)))
    labelled = query.add_columns(*(k.column.label(f"_key{n}") for n, k in enumerate(keys)))
    rows = list(db.session.execute(labelled.limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _make_cursor(keys, tuple(rows[-1])[1:]) if more else None
    return Page([row[0] for row in rows], next_cursor)

"""Schemas every resource shares: strict input (unknown fields refused), UTC times, the page
envelope, the ``version`` every editable object carries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _


class Input(ma.Schema):
    """Base of request bodies and query strings: an unknown field is refused (422, named)."""

    class Meta:
        unknown = ma.RAISE


class UTCDateTime(ma.fields.DateTime):
    """ISO 8601 in UTC with a ``Z``; input with an offset is converted, without one refused."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is None:
            raise ma.ValidationError(_("Give the time zone (UTC: a trailing Z)."))
        return parsed.astimezone(UTC)


class PersonRef(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)


class GroupRef(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The page envelope of a list: ``{"items": [...], "next_cursor": "..." | null}``."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item), required=True),
            "next_cursor": ma.fields.String(
                required=True,
                allow_none=True,
                metadata={"description": "Pass as `cursor` for the next page; null at the end"},
            ),
        },
        name=name,
    )

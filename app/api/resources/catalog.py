"""``/api/v1/catalog``: the service catalog as the caller may order from it, and an item's
order form (its current form version and variables). Ordering is ``POST /api/v1/requests``.

The catalog services decide: only active items open to the caller are listed; an item that is
not in the catalog (any more) is a 404, one not open to the caller a 403, as on the portal.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_login import current_user

from app.api import scopes
from app.api.auth import operation
from app.api.pagination import PageArgs
from app.api.resources.common import INT_ID, page_list
from app.api.schemas import Input, page_schema
from app.api.spec import Blueprint
from app.requests import services
from app.requests.models import CatalogItem

AREA = scopes.add_area("catalog", "The service catalog: items and their order forms")
READ = f"{AREA}:read"

blp = Blueprint(
    "catalog_api", __name__, description="The service catalog: what the caller may order."
)


class CatalogCategorySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)


class FormVariableSchema(ma.Schema):
    name = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    type = ma.fields.String(required=True)
    required = ma.fields.Boolean()
    help = ma.fields.String()
    choices = ma.fields.List(ma.fields.String())
    minimum = ma.fields.Raw(metadata={"description": "A number, or an ISO date for dates"})
    maximum = ma.fields.Raw(metadata={"description": "A number, or an ISO date for dates"})
    max_length = ma.fields.Integer()
    pattern = ma.fields.String()
    ci_class = ma.fields.String()
    ci_attribute = ma.fields.String()
    ci_value = ma.fields.String()


class CatalogItemSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    short_description = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    category = ma.fields.Nested(CatalogCategorySchema, allow_none=True)
    delivery_days = ma.fields.Integer(required=True)
    form_version = ma.fields.Integer(
        required=True, metadata={"description": "The current form version (send it back)"}
    )
    variables = ma.fields.List(ma.fields.Nested(FormVariableSchema), required=True)


CatalogItemPage = page_schema(CatalogItemSchema, "CatalogItemPage")


class CatalogItemFilters(PageArgs, Input):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Words of the name or descriptions (every word must match)"},
    )
    category = ma.fields.Integer(validate=INT_ID)


def _category(item: CatalogItem) -> dict[str, Any] | None:
    category = item.category
    if category is None:
        return None
    return {"id": category.id, "name": category.name, "description": category.description}


def dump(item: CatalogItem) -> dict[str, Any]:
    form = item.form
    return {
        "id": item.id,
        "name": item.name,
        "short_description": item.short_description,
        "description": item.description,
        "category": _category(item),
        "delivery_days": item.delivery_days,
        "form_version": form.id if form else None,
        "variables": [v.to_json() for v in services.form_of(form)] if form else [],
    }


@blp.route("/catalog/items", methods=["GET"])
@operation("requests.order", READ)
@blp.arguments(CatalogItemFilters, location="query", as_kwargs=True)
@blp.response(200, CatalogItemPage)
def list_items(cursor: str | None, limit: int, q: str = "", category: int | None = None) -> Any:
    """The items the caller may order, by category and name."""
    items = services.orderable_items(current_user, search=q, category_id=category)
    page = page_list(items, cursor, limit)
    return {**page, "items": [dump(i) for i in page["items"]]}


@blp.route("/catalog/items/<int:item_id>", methods=["GET"])
@operation("requests.order", READ)
@blp.response(200, CatalogItemSchema)
def read_item(item_id: int) -> Any:
    """An item the caller may order, with its order form."""
    return dump(services.orderable_item(current_user, item_id))


@blp.route("/catalog/categories", methods=["GET"])
@operation("requests.order", READ)
@blp.response(200, CatalogCategorySchema(many=True))
def list_categories() -> Any:
    """The catalog's categories, in their order."""
    return [
        {"id": c.id, "name": c.name, "description": c.description} for c in services.categories()
    ]

"""Catalog administration (administrators): categories and items with their settings. The
list editors (form, approval policy, task template) are in ``admin_editor_views``. Routes
belong to the ``requests`` blueprint (imported in ``create_app``)."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth import services as account_services
from app.errors import Conflict, Invalid
from app.extensions import db
from app.forms import apply_errors, refused, saved
from app.policy import require
from app.requests import services
from app.requests.catalog import admin_pages as pages
from app.requests.catalog.admin_forms import (
    CategoryForm,
    ItemForm,
    MoveForm,
    fill_translations,
    read_translations,
)
from app.requests.catalog.services import CATEGORY_TEXTS, ITEM_TEXTS
from app.requests.models import CatalogCategory, CatalogItem
from app.requests.views import bp

MAX_ID = 2**31 - 1


def get_item(item_id: int) -> CatalogItem:
    item = db.session.get(CatalogItem, item_id) if 0 < item_id <= MAX_ID else None
    if item is None:
        abort(404)
    return item


def _category(category_id: int) -> CatalogCategory:
    category = db.session.get(CatalogCategory, category_id) if 0 < category_id <= MAX_ID else None
    if category is None:
        abort(404)
    return category


# -- the catalog: categories and the list of items ----------------------------------------------


def _catalog(status: int = 200, **forms: Any) -> ResponseReturnValue:
    categories = services.categories()
    edit_forms = {
        c.id: forms.get(f"edit_{c.id}")
        or fill_translations(CategoryForm(formdata=None, obj=c), c, CATEGORY_TEXTS)
        for c in categories
    }
    items = db.session.scalars(
        select(CatalogItem).options(selectinload(CatalogItem.forms)).order_by(CatalogItem.name)
    ).all()
    page = render_template(
        "requests/admin_catalog.html",
        categories=categories,
        edit_forms=edit_forms,
        add_form=forms.get("add_form") or CategoryForm(formdata=None),
        move_form=MoveForm(formdata=None),
        items=items,
    )
    return page, status


@bp.get("/admin")
@require("requests.admin")
def admin_catalog() -> ResponseReturnValue:
    return _catalog()


def _save_category(category: CatalogCategory | None, form: CategoryForm) -> ResponseReturnValue:
    key = "add_form" if category is None else f"edit_{category.id}"
    if not form.validate_on_submit():
        return _catalog(422, **{key: form})
    try:
        row = services.save_category(
            category,
            actor=current_user,
            name=form.name.data,
            description=form.description.data or "",
            position=form.position.data or 0,
            translations=read_translations(form, CATEGORY_TEXTS),
        )
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        return _catalog(422, **{key: form})
    return saved(_("Category %(name)s saved.", name=row.name), url_for("requests.admin_catalog"))


@bp.post("/admin/categories")
@require("requests.admin")
def admin_add_category() -> ResponseReturnValue:
    return _save_category(None, CategoryForm())


@bp.post("/admin/categories/<int:category_id>")
@require("requests.admin")
def admin_edit_category(category_id: int) -> ResponseReturnValue:
    category = _category(category_id)
    return _save_category(category, CategoryForm())


@bp.post("/admin/categories/<int:category_id>/move")
@require("requests.admin")
def admin_move_category(category_id: int) -> ResponseReturnValue:
    category = _category(category_id)
    form = MoveForm()
    if not form.validate_on_submit() or form.direction.data not in ("up", "down"):
        abort(400)
    services.move_category(category, form.direction.data, actor=current_user)
    db.session.commit()
    return redirect(url_for("requests.admin_catalog"))


# -- item settings --------------------------------------------------------------------------


def _prepared(form: ItemForm) -> ItemForm:
    form.category.choices = pages.category_choices()
    form.fulfilment_group.choices = pages.group_choices(queues_only=True, empty=_("— Choose —"))
    groups = pages.group_choices(queues_only=False, empty=_("— From the form —"))
    form.automation_group.choices = groups
    form.groups.choices = groups[1:]
    return form


def _filled(item: CatalogItem) -> ItemForm:
    form = ItemForm(formdata=None, obj=item)
    form.version.data = str(item.version)
    form.category.data = str(item.category_id or "")
    form.audience.data = item.audience.value
    form.groups.data = [str(g.id) for g in item.groups]
    form.fulfilment_group.data = str(item.fulfilment_group_id)
    form.service_owner.data = item.service_owner.username if item.service_owner else ""
    form.automation.data = item.automation.value if item.automation else ""
    form.automation_group.data = str(item.automation_group_id or "")
    fill_translations(form, item, ITEM_TEXTS)
    return _prepared(form)


def _values(form: ItemForm) -> dict[str, Any]:
    """The form as ``create_item``/``update_item`` values (an unknown owner's username becomes
    an id no one has, so the service reports it with every other problem)."""
    username = (form.service_owner.data or "").strip()
    owner = account_services.get_user_by_username(username) if username else None
    return {
        "name": form.name.data,
        "short_description": form.short_description.data or "",
        "description": form.description.data or "",
        "category_id": form.category.data or None,
        "audience": form.audience.data,
        "group_ids": form.groups.data or [],
        "delivery_days": form.delivery_days.data,
        "fulfilment_group_id": form.fulfilment_group.data or None,
        "service_owner_id": owner.id if owner else (-1 if username else None),
        "automation": form.automation.data or None,
        "automation_group_id": form.automation_group.data or None,
        "is_active": bool(form.is_active.data),
        "translations": read_translations(form, ITEM_TEXTS),
    }


def _item_page(item: CatalogItem | None, form: ItemForm, status: int = 200) -> ResponseReturnValue:
    return render_template("requests/admin_item.html", item=item, form=form, tab="settings"), status


@bp.route("/admin/items/new", methods=["GET", "POST"])
@require("requests.admin")
def admin_new_item() -> ResponseReturnValue:
    form = _prepared(ItemForm())
    if not form.is_submitted():
        return _item_page(None, _prepared(ItemForm(formdata=None)))
    if not form.validate_on_submit():
        return _item_page(None, form, 422)
    values = _values(form)
    name, group = values.pop("name"), values.pop("fulfilment_group_id")
    try:
        item = services.create_item(
            actor=current_user, name=name, fulfilment_group_id=group, **values
        )
    except Invalid as error:
        db.session.rollback()
        pages.put_item_errors(form, error)
        return _item_page(None, form, 422)
    return saved(
        _("%(name)s created. Now build its form.", name=item.name),
        url_for("requests.admin_form", item_id=item.id),
    )


@bp.route("/admin/items/<int:item_id>", methods=["GET", "POST"])
@require("requests.admin")
def admin_item(item_id: int) -> ResponseReturnValue:
    item = get_item(item_id)
    form = _prepared(ItemForm())
    if not form.is_submitted():
        return _item_page(item, _filled(item))
    if not form.validate_on_submit():
        return _item_page(item, form, 422)
    try:
        changes = services.update_item(
            item, actor=current_user, expected_version=form.version.data, **_values(form)
        )
    except Invalid as error:
        db.session.rollback()
        pages.put_item_errors(form, error)
        return _item_page(item, form, 422)
    except Conflict as error:
        return refused(
            error,
            lambda: get_item(item_id),
            lambda item, status: _item_page(item, _filled(item), status),
            conflict_note=lambda item: pages.latest_item_change(item, current_user),
        )
    return saved(
        _("Saved.") if changes else _("Nothing changed."),
        url_for("requests.admin_item", item_id=item.id),
    )

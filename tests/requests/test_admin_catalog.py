"""Catalog administration through the pages: categories, an item with its form, approval levels
and task template; form versions that never change requests already made; row errors that
save nothing; stale edits refused with what changed; only administrators get in. On SQLite
and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.requests import services
from app.requests.models import CatalogCategory, CatalogItem, FormVersion
from app.requests.ordering.services import OrderLine


@pytest.fixture
def admin(client, org):
    response = client.login(org.ada.username)
    assert response.status_code == 302
    return client


def version_in(page, name: str = "version") -> str:
    match = re.search(rf'name="{name}" type="hidden" value="(\d*)"', page.get_data(as_text=True))
    return match[1]


def error_of(page, field_id: str) -> str:
    """The error text shown under the field ``field_id`` (empty if none)."""
    body = page.get_data(as_text=True)
    match = re.search(rf'<div id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>', body, re.S)
    return match[1] if match else ""


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_admin_builds_an_item_with_form_approvals_and_tasks(admin, db, org, queue):
    network = queue("Network", members=(org.iris,))
    assert admin.post("/requests/admin/categories", {"name": "Hardware"}).status_code == 302
    category = db.session.scalar(select(CatalogCategory).where(CatalogCategory.name == "Hardware"))

    response = admin.post(
        "/requests/admin/items/new",
        {
            "name": "Docking station",
            "short_description": "A dock for your laptop",
            "category": str(category.id),
            "audience": "everyone",
            "delivery_days": "3",
            "fulfilment_group": str(org.queue.id),
            "service_owner": org.gina.username,
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    item = db.session.scalar(select(CatalogItem).where(CatalogItem.name == "Docking station"))
    assert response.location.endswith(f"/requests/admin/items/{item.id}/form")
    assert (item.category_id, item.delivery_days, item.service_owner_id) == (
        category.id,
        3,
        org.gina.id,
    )

    form_url = f"/requests/admin/items/{item.id}/form"
    page = admin.get(form_url)
    assert page.status_code == 200
    assert "Version 1" in page.get_data(as_text=True)
    added = admin.post(form_url, {"op": "add", "number": "1"})  # a blank row, nothing saved
    assert added.status_code == 200
    assert 'name="variables-0-label"' in added.get_data(as_text=True)
    assert count(db, FormVersion) == 1
    saved = admin.post(
        form_url,
        {
            "op": "save",
            "number": "1",
            "variables-0-label": "Desk",
            "variables-0-name": "desk",
            "variables-0-type": "choice",
            "variables-0-required": "y",
            "variables-0-choices": "Office\nHome",
            "variables-1-label": "Needed by",
            "variables-1-name": "needed_by",
            "variables-1-type": "date",
            "variables-1-minimum": "2026-01-01",
        },
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert item.form.number == 2
    assert item.form.variables == [
        {
            "name": "desk",
            "label": "Desk",
            "type": "choice",
            "required": True,
            "choices": ["Office", "Home"],
        },
        {"name": "needed_by", "label": "Needed by", "type": "date", "minimum": "2026-01-01"},
    ]

    approvals_url = f"/requests/admin/items/{item.id}/approvals"
    version = version_in(admin.get(approvals_url))
    response = admin.post(
        approvals_url,
        {
            "version": version,
            "levels-0-kind": "manager",
            "levels-1-kind": "group",
            "levels-1-group": str(network.id),
            "levels-1-rule": "majority",
        },
    )
    assert response.status_code == 302
    tasks_url = f"/requests/admin/items/{item.id}/tasks"
    response = admin.post(
        tasks_url,
        {
            "version": version_in(admin.get(tasks_url)),
            "tasks-0-stage": "1",
            "tasks-0-name": "Order the dock",
            "tasks-1-stage": "2",
            "tasks-1-name": "Patch the desk port",
            "tasks-1-group": str(network.id),
            "tasks-1-description": "Port next to the desk",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert item.approval_policy == [
        {"kind": "manager"},
        {"kind": "group", "group_id": network.id, "rule": "majority"},
    ]
    assert item.task_template == [
        {"stage": 1, "name": "Order the dock"},
        {
            "stage": 2,
            "name": "Patch the desk port",
            "group_id": network.id,
            "description": "Port next to the desk",
        },
    ]
    listing = admin.get("/requests/admin").get_data(as_text=True)
    assert "Docking station" in listing
    assert "version 2 · 2 questions" in listing

    # What was built is what an order gets: Kim's manager Ann approves first.
    request = services.order(
        orderer=org.kim,
        requested_for=org.kim,
        lines=[OrderLine(item, {"desk": "Home", "needed_by": "2026-06-01"})],
    )
    db.session.commit()
    assert services.item_status(request.items[0]) == "Waiting for approval by Ann Smith"


def test_a_new_form_version_leaves_requests_already_made_as_they_were(
    admin, db, org, make_item, place
):
    item = make_item(name="Laptop")  # version 1: Model (choice), Why (long text)
    old = place(item, {"model": "15 inch", "reason": "Screen cracked"})
    url = f"/requests/admin/items/{item.id}/form"
    assert version_in(admin.get(url), "number") == "1"
    response = admin.post(
        url,
        {
            "number": "1",
            "variables-0-label": "Screen size",
            "variables-0-name": "screen",
            "variables-0-type": "choice",
            "variables-0-choices": "14 inch\n16 inch",
            "variables-1-label": "Docking station too",
            "variables-1-name": "dock",
            "variables-1-type": "checkbox",
        },
    )
    assert response.status_code == 302
    assert "Requests already made keep" in admin.get(url).get_data(as_text=True)
    db.session.expire_all()
    assert [v.number for v in item.forms] == [2, 1]
    assert old.form_version.number == 1
    assert services.answers_of(old) == [("Model", "15 inch"), ("Why", "Screen cracked")]
    history = admin.get(url).get_data(as_text=True)
    assert "1 request item keeps this version" in history
    # The agent working the old request reads its answers with the old questions.
    admin.post("/logout")
    admin.login(org.ivan.username)
    task_page = admin.get(f"/requests/tasks/{old.tasks[0].number}").get_data(as_text=True)
    assert "form version 1" in task_page
    assert "<dt>Model</dt><dd>15 inch</dd>" in task_page
    assert "Screen size" not in task_page
    # New orders answer the new version.
    new = place(item, {"screen": "14 inch", "dock": "y"})
    assert new.form_version.number == 2
    assert new.answers == {"screen": "14 inch", "dock": True}


def test_invalid_definitions_show_errors_on_their_rows_and_save_nothing(admin, db, org, make_item):
    item = make_item()
    url = f"/requests/admin/items/{item.id}/form"
    response = admin.post(
        url,
        {
            "number": "1",
            "variables-0-label": "Fine",
            "variables-0-name": "fine",
            "variables-0-type": "text",
            "variables-1-label": "Colour",
            "variables-1-name": "Bad Name!",
            "variables-1-type": "choice",
            "variables-2-label": "Code",
            "variables-2-name": "code",
            "variables-2-type": "text",
            "variables-2-pattern": "(a+)+$",
            "variables-3-label": "Fine",
            "variables-3-name": "fine",
            "variables-3-type": "number",
            "variables-3-minimum": "ten",
        },
    )
    assert response.status_code == 422
    assert error_of(response, "variables-0-name") == ""
    assert "lower-case letters" in error_of(response, "variables-1-name")
    assert "at least one choice" in error_of(response, "variables-1-choices")
    assert "repeated group" in error_of(response, "variables-2-pattern")
    assert "used twice" in error_of(response, "variables-3-name")
    assert "must be a number" in error_of(response, "variables-3-minimum")
    assert 'value="Bad Name!"' in response.get_data(as_text=True)  # the input is kept
    db.session.expire_all()
    assert [v.number for v in item.forms] == [1]

    policy_url = f"/requests/admin/items/{item.id}/approvals"
    response = admin.post(
        policy_url,
        {"version": str(item.version), "levels-0-kind": "manager", "levels-1-kind": "group"},
    )
    assert response.status_code == 422
    assert error_of(response, "levels-0-group") == ""
    assert "choose the group" in error_of(response, "levels-1-group")
    tasks_url = f"/requests/admin/items/{item.id}/tasks"
    response = admin.post(
        tasks_url,
        {
            "version": str(item.version),
            "tasks-0-stage": "99",
            "tasks-0-name": "",
            "tasks-1-stage": "1",
            "tasks-1-name": "Fine",
        },
    )
    assert response.status_code == 422
    assert "from 1 to 20" in error_of(response, "tasks-0-stage")
    assert "give it a name" in error_of(response, "tasks-0-name")
    assert error_of(response, "tasks-1-name") == ""
    db.session.expire_all()
    assert item.approval_policy == []
    assert item.task_template == []


def test_rows_are_added_moved_and_removed_without_saving(admin, db, org, make_item):
    item = make_item()
    url = f"/requests/admin/items/{item.id}/tasks"
    rows = {
        "version": str(item.version),
        "tasks-0-stage": "1",
        "tasks-0-name": "First",
        "tasks-1-stage": "1",
        "tasks-1-name": "Second",
    }
    moved = admin.post(url, rows | {"op": "up-1"}).get_data(as_text=True)
    assert moved.index('value="Second"') < moved.index('value="First"')
    removed = admin.post(url, rows | {"op": "remove-0"}).get_data(as_text=True)
    assert 'value="First"' not in removed
    assert 'name="tasks-0-name" type="text" value="Second"' in removed
    added = admin.post(url, rows | {"op": "add"}).get_data(as_text=True)
    assert 'name="tasks-2-name"' in added
    db.session.expire_all()
    assert item.task_template == []


def test_moving_a_category_is_a_service_renumbering_the_list(db, org):
    """The CLI and jobs can reorder the catalog too: no request, no page module."""
    made = [
        services.save_category(None, actor=org.ada, name=name, position=position)
        for name, position in (("Access", 3), ("Hardware", 7), ("Software", 9))
    ]
    services.move_category(made[2], "up", actor=org.ada)
    services.move_category(made[0], "up", actor=org.ada)  # already first: only renumbered
    assert [(c.name, c.position) for c in services.categories()] == [
        ("Access", 10),
        ("Software", 20),
        ("Hardware", 30),
    ]


def test_categories_are_added_renamed_and_reordered(admin, db):
    for name in ("Access", "Hardware", "Software"):
        assert admin.post("/requests/admin/categories", {"name": name}).status_code == 302
    clash = admin.post("/requests/admin/categories", {"name": "access"})
    assert clash.status_code == 422
    assert "already exists" in clash.get_data(as_text=True)
    software = db.session.scalar(select(CatalogCategory).where(CatalogCategory.name == "Software"))
    response = admin.post(f"/requests/admin/categories/{software.id}/move", {"direction": "up"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [c.name for c in services.categories()] == ["Access", "Software", "Hardware"]
    response = admin.post(
        f"/requests/admin/categories/{software.id}",
        {"name": "Software & licences", "description": "Installs", "position": "5"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [c.name for c in services.categories()][0] == "Software & licences"


def test_stale_edits_are_refused_with_what_changed(admin, db, org, make_item):
    item = make_item(name="Monitor")
    form_url = f"/requests/admin/items/{item.id}/form"
    number = version_in(admin.get(form_url), "number")
    settings_url = f"/requests/admin/items/{item.id}"
    version = version_in(admin.get(settings_url))
    # Meanwhile another administrator saves a new form and changes the delivery estimate.
    services.save_form(
        item,
        list(item.form.variables) + [{"name": "dock", "label": "Dock", "type": "checkbox"}],
        actor=org.gina,
    )
    services.update_item(item, actor=org.gina, delivery_days=9)
    db.session.commit()

    response = admin.post(
        form_url,
        {
            "number": number,
            "variables-0-label": "Mine",
            "variables-0-name": "mine",
            "variables-0-type": "text",
        },
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Gina Manager saved version 2" in body
    assert "added Dock" in body
    db.session.expire_all()
    assert [v.number for v in item.forms] == [2, 1]

    response = admin.post(
        settings_url,
        {
            "version": version,
            "name": "Monitor",
            "fulfilment_group": str(org.queue.id),
            "delivery_days": "2",
            "audience": "everyone",
        },
    )
    assert response.status_code == 409
    assert "Gina Manager changed delivery days" in response.get_data(as_text=True)
    db.session.expire_all()
    assert item.delivery_days == 9


def test_settings_errors_are_shown_on_their_fields(admin, db, org, make_item):
    item = make_item(name="Tablet")
    response = admin.post(
        f"/requests/admin/items/{item.id}",
        {
            "version": str(item.version),
            "name": "",
            "fulfilment_group": "",
            "delivery_days": "400",
            "audience": "everyone",
            "service_owner": "nobody-here",
        },
    )
    assert response.status_code == 422
    assert "Give the item a name" in error_of(response, "name")
    response = admin.post(
        f"/requests/admin/items/{item.id}",
        {
            "version": str(item.version),
            "name": "Tablet",
            "fulfilment_group": "",
            "delivery_days": "400",
            "audience": "everyone",
            "service_owner": "nobody-here",
        },
    )
    assert response.status_code == 422
    assert "active person" in error_of(response, "service_owner")
    assert "0 to 365" in error_of(response, "delivery_days")
    assert "assignment group" in error_of(response, "fulfilment_group")
    db.session.expire_all()
    assert item.delivery_days == 5


@pytest.mark.parametrize("roles", [("employee",), ("agent", "employee")])
def test_only_administrators_reach_the_catalog_admin(signed_in, org, make_item, roles):
    client, _user = signed_in(*roles)
    item = make_item()
    for url in (
        "/requests/admin",
        f"/requests/admin/items/{item.id}",
        f"/requests/admin/items/{item.id}/form",
        "/requests/admin/items/new",
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(f"/requests/admin/items/{item.id}/form", {"number": "1"})
    assert response.status_code == 403
    assert client.post("/requests/admin/categories", {"name": "X"}).status_code == 403


def test_a_form_definitions_problems_read_in_the_admins_language(admin, db, org, make_item):
    item = make_item()
    form = {
        "number": "1",
        "variables-0-label": "Colour",
        "variables-0-name": "Bad Name!",
        "variables-0-type": "choice",
        "variables-1-label": "Code",
        "variables-1-name": "code",
        "variables-1-type": "text",
        "variables-1-pattern": "(a+)+$",
        "variables-2-label": "Size",
        "variables-2-name": "size",
        "variables-2-type": "number",
        "variables-2-minimum": "ten",
    }
    url = f"/requests/admin/items/{item.id}/form"
    swedish = admin.post(url, form, headers={"Accept-Language": "sv"})
    assert swedish.status_code == 422
    assert error_of(swedish, "variables-0-choices") == "Fråga 1 (Colour): ange minst ett val."
    assert error_of(swedish, "variables-1-pattern") == (
        "Fråga 2 (Code): En upprepad grupp får inte själv upprepas eller erbjuda alternativ."
    )
    assert error_of(swedish, "variables-2-minimum") == (
        "Fråga 3 (Size): minimum måste vara ett tal."
    )
    english = admin.post(url, form, headers={"Accept-Language": "en"})
    assert (
        error_of(english, "variables-0-choices") == "Variable 1 (Colour): list at least one choice."
    )
    assert error_of(english, "variables-2-minimum") == (
        "Variable 3 (Size): the minimum must be a number."
    )

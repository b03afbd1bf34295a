"""Ordering from the employee portal, through the pages with CSRF on: the catalog (only what the
person may order, search, categories), an item's form with every variable type, field errors
at their field with the values kept, ordering for someone else, the cart, the pickers."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.requests.models import RequestItem, ServiceRequest
from app.tickets.models import Attachment, Ticket
from tests.requests.portal_helpers import field_error, sign_in_as

EVERY_TYPE = [
    {
        "name": "title",
        "label": "Job title",
        "type": "text",
        "required": True,
        "help": "As written on the contract.",
        "max_length": 50,
    },
    {"name": "details", "label": "Details", "type": "long_text"},
    {"name": "seats", "label": "Seats", "type": "number", "minimum": 1, "maximum": 10},
    {"name": "start", "label": "Start date", "type": "date"},
    {
        "name": "os",
        "label": "Operating system",
        "type": "choice",
        "required": True,
        "choices": ["Windows", "macOS"],
    },
    {
        "name": "extras",
        "label": "Extras",
        "type": "multi_choice",
        "choices": ["Dock", "Headset", "Mouse"],
    },
    {"name": "agree", "label": "I accept the usage policy", "type": "checkbox", "required": True},
    {"name": "buddy", "label": "Buddy", "type": "person"},
    {"name": "software", "label": "Software", "type": "ci", "ci_class": "software"},
    {"name": "quote", "label": "Quote", "type": "attachment"},
]


def tickets(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket))


def listed(page: str, name: str) -> bool:
    """Whether the catalog page offers the item called ``name``."""
    return f">{name}</a></h3>" in page


@pytest.fixture
def new_ci(request):
    """The CMDB tests' ``make_ci`` builder (imported above), under a name of this module's."""
    return request.getfixturevalue("make_ci")


@pytest.fixture
def software(new_ci):
    return new_ci("Visio Professional", "software")


@pytest.fixture
def full_item(make_item):
    return make_item(
        "Workstation bundle", variables=EVERY_TYPE, approval_policy=[{"kind": "manager"}]
    )


def valid_answers(org, software, version_id: int) -> dict:
    return {
        "cart-0-form": str(version_id),
        "lines-0-title": "  Analyst ",
        "lines-0-details": "For the Lyon office",
        "lines-0-seats": "2",
        "lines-0-start": "2026-06-01",
        "lines-0-os": "macOS",
        "lines-0-extras": ["Dock", "Mouse"],
        "lines-0-agree": "y",
        "lines-0-buddy": str(org.ann.id),
        "lines-0-software": str(software.id),
        "lines-0-quote": (io.BytesIO(b"%PDF-1.4 quote"), "quote.pdf"),
        "requested_for": str(org.kim.id),
        "note": "Thanks!",
    }


def test_the_catalog_lists_only_what_the_person_may_order(client, db, org, make_item):
    from app.requests.catalog import services as catalog

    software = catalog.save_category(None, actor=org.ada, name="Software", position=1)
    access = catalog.save_category(None, actor=org.ada, name="Access", position=0)
    db.session.commit()
    visio = make_item(
        "Visio", category_id=software.id, short_description="Diagrams", delivery_days=3
    )
    vpn = make_item("VPN access", category_id=access.id, description="Work from home securely")
    secret = make_item("Admin rights", audience="groups", group_ids=[org.queue.id])
    retired = make_item("Fax machine", is_active=False)
    sign_in_as(client, org.kim)
    page = client.get("/requests/catalog").get_data(as_text=True)
    assert listed(page, "Visio")
    assert listed(page, "VPN access")
    assert "Diagrams" in page
    assert "within 3 business days" in page
    assert page.index(">Access</h2>") < page.index("VPN access") < page.index(">Software</h2>")
    assert not listed(page, secret.name)
    assert not listed(page, retired.name)
    searched = client.get("/requests/catalog?q=home+secure").get_data(as_text=True)
    assert listed(searched, vpn.name)
    assert not listed(searched, visio.name)
    # LIKE wildcards in a search are plain characters, not "anything"
    assert not listed(client.get("/requests/catalog?q=%25").get_data(as_text=True), vpn.name)
    assert not listed(client.get("/requests/catalog?q=V_sio").get_data(as_text=True), visio.name)
    by_category = client.get(f"/requests/catalog?category={software.id}").get_data(as_text=True)
    assert listed(by_category, visio.name)
    assert not listed(by_category, vpn.name)
    assert "Nothing matches" in client.get("/requests/catalog?q=zzz").get_data(as_text=True)
    # the item open to a group is refused to others, plainly
    for response in (
        client.get(f"/requests/catalog/{secret.id}"),
        client.post(f"/requests/catalog/{secret.id}", {"requested_for": str(org.kim.id)}),
        client.post(f"/requests/cart/add/{secret.id}"),
    ):
        assert response.status_code == 403
        assert "not open to you" in response.get_data(as_text=True)
    assert client.get(f"/requests/catalog/{retired.id}").status_code == 404
    assert tickets(db) == 0
    sign_in_as(client, org.ivan)  # a member of the group sees it
    assert listed(client.get("/requests/catalog").get_data(as_text=True), secret.name)


def test_the_order_form_shows_every_variable_type(client, org, full_item, software):
    sign_in_as(client, org.kim)
    page = client.get(f"/requests/catalog/{full_item.id}").get_data(as_text=True)
    assert 'name="lines-0-title"' in page
    assert 'maxlength="50"' in page
    assert "As written on the contract." in page
    assert "<textarea" in page
    assert 'name="lines-0-details"' in page
    assert 'type="number"' in page
    assert 'min="1"' in page
    assert 'max="10"' in page
    assert 'type="date"' in page
    assert 'name="lines-0-start"' in page
    assert '<option value="macOS">macOS</option>' in page
    assert page.count('name="lines-0-extras"') == 3
    assert 'type="checkbox"' in page
    assert 'name="lines-0-agree"' in page
    assert 'hx-get="/requests/people"' in page  # the person picker searches
    assert f'<option value="{software.id}">Visio Professional</option>' in page  # small class
    assert 'type="file"' in page
    assert 'enctype="multipart/form-data"' in page
    assert page.count("(required)") == 4  # title, os, agree, and who it is for
    assert f'name="cart-0-form" value="{full_item.form.id}"' in page


def test_ordering_end_to_end_through_the_pages(client, db, org, full_item, software):
    sign_in_as(client, org.kim)
    response = client.post(
        f"/requests/catalog/{full_item.id}",
        valid_answers(org, software, full_item.form.id),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    request = db.session.scalar(select(ServiceRequest))
    assert response.location == f"/requests/{request.number}"
    item = request.items[0]
    assert request.caller_id == org.kim.id
    assert request.opened_by_id == org.kim.id
    assert request.description == "Thanks!"
    answers = dict(item.answers)
    quote = answers.pop("quote")
    assert answers == {
        "title": "Analyst",
        "details": "For the Lyon office",
        "seats": 2,
        "start": "2026-06-01",
        "os": "macOS",
        "extras": ["Dock", "Mouse"],
        "agree": True,
        "buddy": {"id": org.ann.id, "label": "Ann Smith"},
        "software": {"id": software.id, "label": "Visio Professional"},
    }
    assert quote["label"] == "quote.pdf"
    page = client.get(response.location).get_data(as_text=True)
    assert "Waiting for approval by Ann Smith" in page
    assert "Dock, Mouse" in page
    assert "Visio Professional" in page
    assert "quote.pdf" in page
    assert "form version 1" in page
    download = client.get(f"/requests/{request.number}/files/{quote['id']}")
    assert download.status_code == 200
    assert download.data == b"%PDF-1.4 quote"
    download.close()


def _order_with_wrong_answers(client, org, full_item, software) -> str:
    """Post the order form with a bad answer in each kind of field; the refused page."""
    data = valid_answers(org, software, full_item.form.id) | {
        "lines-0-seats": "eleven",
        "lines-0-os": "",
        "lines-0-start": "31/12/2026",
        "lines-0-buddy": "999999",
    }
    del data["lines-0-agree"]
    response = client.post(
        f"/requests/catalog/{full_item.id}", data, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    return response.get_data(as_text=True)


def test_errors_show_at_their_field_and_nothing_is_lost(client, db, org, full_item, software):
    sign_in_as(client, org.kim)
    page = _order_with_wrong_answers(client, org, full_item, software)
    assert field_error(page, "lines-0-seats") == "Enter a number."
    assert field_error(page, "lines-0-os") == "This is required."
    assert field_error(page, "lines-0-agree") == "Tick this box to go on."
    assert field_error(page, "lines-0-start") == "Enter a date (YYYY-MM-DD)."
    assert field_error(page, "lines-0-buddy") == "Choose an active person from the directory."
    assert field_error(page, "lines-0-title") == ""
    assert "Choose the file again" in field_error(page, "lines-0-quote")
    # what was typed is still there
    assert 'value="  Analyst "' in page or 'value="Analyst"' in page
    assert "For the Lyon office" in page
    assert 'value="eleven"' in page
    assert re.search(r'value="Dock"[^>]*checked|checked[^>]*value="Dock"', page)
    assert not re.search(r'value="Headset"[^>]*checked|checked[^>]*value="Headset"', page)
    assert re.search(
        rf'<option selected value="{software.id}">|<option value="{software.id}" selected', page
    )
    assert "Thanks!" in page
    assert tickets(db) == 0
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_ordering_on_behalf_of_someone_else(client, db, org, make_item):
    item = make_item("Laptop replacement", approval_policy=[{"kind": "manager"}])
    sign_in_as(client, org.gina)
    page = client.get(f"/requests/catalog/{item.id}").get_data(as_text=True)
    assert f'<option selected value="{org.gina.id}">Myself (Gina Manager)</option>' in page
    response = client.post(
        f"/requests/catalog/{item.id}",
        {
            "cart-0-form": str(item.form.id),
            "lines-0-model": "15 inch",
            "requested_for": str(org.kim.id),
        },
    )
    assert response.status_code == 302
    request = db.session.scalar(select(ServiceRequest))
    assert request.caller_id == org.kim.id
    assert request.opened_by_id == org.gina.id
    page = client.get(response.location).get_data(as_text=True)
    assert "by Gina Manager for Kim Lee" in page
    assert "Waiting for approval by Ann Smith" in page  # Kim's manager, not Gina's
    sign_in_as(client, org.kim)  # the person it is for follows it too
    assert request.number in client.get("/requests/mine").get_data(as_text=True)
    assert client.get(f"/requests/{request.number}").status_code == 200
    # nobody, or an inactive person, to order for: at the field
    sign_in_as(client, org.gina)
    refused = client.post(
        f"/requests/catalog/{item.id}",
        {"cart-0-form": str(item.form.id), "lines-0-model": "15 inch", "requested_for": "x"},
    )
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), "requested_for") == (
        "Choose an active person to order for."
    )


def test_a_cart_orders_several_items_as_one_request(client, db, org, make_item):
    laptop = make_item("Laptop", approval_policy=[{"kind": "manager"}])
    vpn = make_item(
        "VPN", variables=[{"name": "reason", "label": "Why", "type": "text", "required": True}]
    )
    sign_in_as(client, org.kim)
    assert client.post(f"/requests/cart/add/{laptop.id}").status_code == 302
    assert client.post(f"/requests/cart/add/{vpn.id}").status_code == 302
    assert client.post(f"/requests/cart/add/{vpn.id}").status_code == 302
    catalog = client.get("/requests/catalog").get_data(as_text=True)
    assert "Review and submit your request (3 items)" in catalog
    client.post("/requests/cart/remove/2")
    page = client.get("/requests/cart").get_data(as_text=True)
    assert 'name="lines-0-model"' in page
    assert 'name="lines-1-reason"' in page
    assert 'name="lines-2-reason"' not in page
    data = {
        "cart-0-item": str(laptop.id),
        "cart-0-form": str(laptop.form.id),
        "lines-0-model": "13 inch",
        "cart-1-item": str(vpn.id),
        "cart-1-form": str(vpn.form.id),
        "lines-1-reason": "",
        "requested_for": str(org.kim.id),
    }
    refused = client.post("/requests/cart", data)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert field_error(page, "lines-1-reason") == "This is required."
    assert '<option selected value="13 inch">' in page
    assert tickets(db) == 0
    response = client.post("/requests/cart", data | {"lines-1-reason": "Home office"})
    assert response.status_code == 302
    request = db.session.scalar(select(ServiceRequest))
    first, second = request.items
    assert (first.catalog_item_id, second.catalog_item_id) == (laptop.id, vpn.id)
    assert second.answers == {"reason": "Home office"}
    page = client.get(response.location).get_data(as_text=True)
    assert "Waiting for approval by Ann Smith" in page
    assert "In progress" in page
    assert "Your request is empty" in client.get("/requests/cart").get_data(as_text=True)


def test_an_order_keeps_the_form_version_the_page_showed(client, db, org, make_item):
    from app.requests.catalog import services as catalog

    item = make_item("Monitor")
    shown = item.form
    sign_in_as(client, org.kim)
    client.get(f"/requests/catalog/{item.id}")
    catalog.save_form(
        item,
        [
            {
                "name": "size",
                "label": "Size",
                "type": "choice",
                "required": True,
                "choices": ["24", "27"],
            }
        ],
        actor=org.ada,
    )
    db.session.commit()
    response = client.post(
        f"/requests/catalog/{item.id}",
        {
            "cart-0-form": str(shown.id),
            "lines-0-model": "15 inch",
            "requested_for": str(org.kim.id),
        },
    )
    assert response.status_code == 302
    ordered = db.session.scalar(select(RequestItem))
    assert ordered.form_version_id == shown.id
    assert ordered.answers["model"] == "15 inch"
    page = client.get(response.location).get_data(as_text=True)
    assert "form version 1" in page
    assert "15 inch" in page
    # a page naming another item's form is answered with this item's current form
    other = make_item("Keyboard")
    refused = client.post(
        f"/requests/catalog/{item.id}",
        {
            "cart-0-form": str(other.form.id),
            "lines-0-model": "15 inch",
            "requested_for": str(org.kim.id),
        },
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert field_error(page, "lines-0-size") == "This is required."
    assert f'name="cart-0-form" value="{item.form.id}"' in page


def test_the_pickers_find_active_people_and_cis_of_the_class(
    client, db, org, make_user, new_ci, full_item
):
    make_user(display_name="Annie Gone").is_active = False
    db.session.commit()
    new_ci("Visio Professional", "software")
    new_ci("Payroll", "application")
    sign_in_as(client, org.kim)
    assert "Ann" not in client.get("/requests/people?q=a_n").get_data(as_text=True)
    people = client.get("/requests/people?q=ann").get_data(as_text=True)
    assert f'<option value="{org.ann.id}">Ann Smith' in people
    assert "Annie Gone" not in people
    assert "No match for" in client.get("/requests/people?q=nobody").get_data(as_text=True)
    # "who is it for?" keeps "Myself" first, so a search never silently changes the choice
    mine = client.get("/requests/people?q=ann&me=1").get_data(as_text=True)
    assert mine.index(f'<option value="{org.kim.id}">Myself (Kim Lee)</option>') < mine.index(
        "Ann Smith"
    )
    question = f"/requests/cis?form={full_item.form.id}&variable=software"
    cis = client.get(f"{question}&q=").get_data(as_text=True)
    assert "Visio Professional" in cis
    assert "Payroll" not in cis
    assert "Payroll" not in client.get(f"{question}&q=payroll&ci_class=").get_data(as_text=True)
    # only a CI question of an item's form: no class of one's choosing, no other question
    for url in (
        "/requests/cis?q=visio&ci_class=software",
        f"/requests/cis?form={full_item.form.id}&variable=buddy&q=visio",
        "/requests/cis?form=x&variable=software&q=visio",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "Visio" not in answer.get_data(as_text=True)


def test_a_swedish_orderer_reads_the_form_errors_in_swedish(client, db, org, full_item, software):
    org.kim.language = "sv"
    db.session.commit()
    sign_in_as(client, org.kim)
    page = _order_with_wrong_answers(client, org, full_item, software)
    assert field_error(page, "lines-0-seats") == "Ange ett tal."
    assert field_error(page, "lines-0-os") == "Det här måste fyllas i."
    assert field_error(page, "lines-0-agree") == "Kryssa i den här rutan för att gå vidare."
    assert field_error(page, "lines-0-start") == "Ange ett datum (ÅÅÅÅ-MM-DD)."
    assert field_error(page, "lines-0-buddy") == "Välj en aktiv person ur katalogen."

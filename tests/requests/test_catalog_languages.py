"""Catalog content in two languages: an administrator gives an item, its category and its
form's questions a Swedish text; a Swedish reader sees it, falling back to English where none
is given; the answers stay the English choices whatever language the person ordered in. On
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from app.requests.catalog.variables import DefinitionInvalid, parse_form
from tests.conftest import Client

SWEDISH_FORM = [
    {
        "name": "model",
        "label": "Model",
        "type": "choice",
        "required": True,
        "choices": ["13 inch", "15 inch"],
        "translations": {"sv": {"label": "Modell", "choices": ["13 tum", "15 tum"]}},
    },
    {"name": "reason", "label": "Why", "type": "long_text"},
]


def signed_in(app, user) -> Client:
    """A browser of its own, signed in as ``user``."""
    client = Client(app.test_client())
    assert client.login(user.username).status_code == 302
    return client


def test_an_admin_gives_an_item_and_its_category_a_swedish_text(app, client, db, org, make_user):
    from app.requests.catalog import services as catalog

    category = catalog.save_category(None, actor=org.ada, name="Hardware")
    item = catalog.create_item(
        actor=org.ada,
        name="Docking station",
        short_description="A dock for your laptop",
        category_id=category.id,
        fulfilment_group_id=org.queue.id,
        is_active=True,
        variables=SWEDISH_FORM,
    )
    db.session.commit()
    client.login(org.ada.username)
    edit = client.get(f"/requests/admin/items/{item.id}")
    assert 'name="name_sv"' in edit.get_data(as_text=True)
    fields = {
        "version": str(item.version),
        "name": "Docking station",
        "short_description": "A dock for your laptop",
        "name_sv": "  Dockningsstation ",
        "short_description_sv": "En docka till din dator",
        "description_sv": "",
        "category": str(category.id),
        "audience": "everyone",
        "delivery_days": "3",
        "fulfilment_group": str(org.queue.id),
        "is_active": "y",
    }
    assert client.post(f"/requests/admin/items/{item.id}", fields).status_code == 302
    saved = client.post(
        f"/requests/admin/categories/{category.id}",
        {"name": "Hardware", "name_sv": "Hårdvara", "description_sv": "", "position": "0"},
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert item.translations == {
        "sv": {"name": "Dockningsstation", "short_description": "En docka till din dator"}
    }
    assert 'value="Dockningsstation"' in client.get(f"/requests/admin/items/{item.id}").get_data(
        as_text=True
    )

    swede = make_user(language="sv")
    client = signed_in(app, swede)
    page = client.get("/requests/catalog").get_data(as_text=True)
    assert "Dockningsstation" in page
    assert "En docka till din dator" in page
    assert "Hårdvara" in page
    order_page = client.get(f"/requests/catalog/{item.id}").get_data(as_text=True)
    assert "Modell" in order_page
    assert '<option value="15 inch">15 tum</option>' in order_page
    assert "Why" in order_page  # no Swedish given: the English label

    client = signed_in(app, make_user())
    page = client.get("/requests/catalog").get_data(as_text=True)
    assert "Docking station" in page
    assert "Dockningsstation" not in page


def test_a_swedish_order_stores_the_english_choice_and_reads_back_in_swedish(
    app, client, db, org, make_item, place
):
    item = make_item(variables=SWEDISH_FORM)
    ordered = place(item, answers={"model": "15 inch"})
    assert ordered.answers["model"] == "15 inch"
    org.kim.language = "sv"
    db.session.commit()
    client.login(org.kim.username)
    page = client.get(f"/requests/{ordered.request.number}").get_data(as_text=True)
    assert "Modell" in page
    assert "15 tum" in page
    org.kim.language = "en"
    db.session.commit()
    page = signed_in(app, org.kim).get(f"/requests/{ordered.request.number}").get_data(as_text=True)
    assert "15 inch" in page
    assert "15 tum" not in page


def test_an_admin_edits_a_questions_swedish_texts_in_the_form_editor(client, db, org, make_item):
    item = make_item(variables=[SWEDISH_FORM[0]])
    client.login(org.ada.username)
    url = f"/requests/admin/items/{item.id}/form"
    page = client.get(url).get_data(as_text=True)
    assert 'value="Modell"' in page
    row = {
        "variables-0-name": "model",
        "variables-0-label": "Model",
        "variables-0-type": "choice",
        "variables-0-required": "y",
        "variables-0-choices": "13 inch\n15 inch",
        "variables-0-label_sv": "Datormodell",
        "variables-0-help_sv": "",
        "variables-0-choices_sv": "13 tum",
    }
    refused = client.post(url, {"op": "save", "number": "1", **row})
    assert refused.status_code == 422
    assert "one translated choice per choice" in refused.get_data(as_text=True)
    row["variables-0-choices_sv"] = "13 tum\n15 tum"
    assert client.post(url, {"op": "save", "number": "1", **row}).status_code == 302
    db.session.expire_all()
    assert item.form.number == 2
    assert item.form.variables[0]["translations"] == {
        "sv": {"label": "Datormodell", "choices": ["13 tum", "15 tum"]}
    }


def test_translated_texts_are_checked_like_the_originals():
    (variable,) = parse_form([SWEDISH_FORM[0]])
    swedish = variable.in_language("sv")
    assert (swedish.label, swedish.choices, swedish.choice_text("13 inch")) == (
        "Modell",
        ("13 inch", "15 inch"),
        "13 tum",
    )
    assert variable.in_language("fi") is variable
    with pytest.raises(DefinitionInvalid) as error:
        parse_form([{**SWEDISH_FORM[0], "translations": {"sv": {"label": "x" * 201}}}])
    assert "variables.0.label_sv" in error.value.problems

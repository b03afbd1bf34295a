"""The people pickers' search (auth.people_search) and the fields that use it."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def people(make_user, db):
    found = {
        "ann": make_user(
            "a.lindqvist",
            display_name="Ann Lindqvist",
            email="ann.lindqvist@example.test",
            department="Finance",
        ),
        "bob": make_user("b.okafor", display_name="Bob Okafor", email="bokafor@example.test"),
        "gone": make_user("c.lindqvist", display_name="Carl Lindqvist", email="carl@example.test"),
        "odd": make_user("odd_name", display_name="Percent 100% Person", email="pp@example.test"),
    }
    found["gone"].is_active = False
    db.session.commit()
    return found


def names(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [chunk.split('"', 1)[0] for chunk in html.split('data-pick="')[1:]]


def test_staff_find_active_people_by_name_username_or_email(people, signed_in):
    client, _agent = signed_in("agent")
    assert names(client.get("/people/search?q=lindq")) == ["a.lindqvist"]  # Carl is inactive
    assert names(client.get("/people/search?q=B.OKA")) == ["b.okafor"]
    assert names(client.get("/people/search?q=bokafor@example")) == ["b.okafor"]
    assert names(client.get("/people/search?q=ann finance")) == []  # department is not searched
    assert names(client.get("/people/search?q=ann lindq")) == ["a.lindqvist"]
    html = client.get("/people/search?q=lindq&target=caller").get_data(as_text=True)
    assert "Ann Lindqvist" in html
    assert "ann.lindqvist@example.test" in html  # staff see how to reach them
    assert 'data-pick-for="caller"' in html
    assert "Nobody active matches" in client.get("/people/search?q=zzzz").get_data(as_text=True)
    assert names(client.get("/people/search?q=")) == []


def test_the_field_itself_is_searched_and_the_last_word_of_a_list(people, signed_in):
    client, _admin = signed_in("admin")
    assert names(client.get("/people/search?for=caller&caller=okaf")) == ["b.okafor"]
    url = "/people/search?for=usernames&multiple=1&usernames=a.lindqvist, oka"
    assert names(client.get(url)) == ["b.okafor"]


def test_like_wildcards_match_themselves(people, signed_in):
    client, _agent = signed_in("agent")
    assert names(client.get("/people/search?q=100%")) == ["odd_name"]
    assert names(client.get("/people/search?q=%")) == ["odd_name"]
    assert names(client.get("/people/search?q=_")) == ["odd_name"]  # not any one character


def test_at_most_ten_suggestions(make_user, signed_in):
    for n in range(12):
        make_user(f"twin{n:02d}", display_name=f"Twin {n:02d}")
    client, _agent = signed_in("agent")
    assert len(names(client.get("/people/search?q=twin"))) == 10


def test_employees_see_names_and_usernames_only(people, signed_in):
    client, _employee = signed_in("employee")
    response = client.get("/people/search?q=lindq")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert names(response) == ["a.lindqvist"]
    assert "Ann Lindqvist" in html
    assert "ann.lindqvist@example.test" not in html
    assert "Finance" not in html


def test_signed_out_and_roleless_people_cannot_search(people, client, signed_in):
    response = client.get("/people/search?q=lindq")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    nobody, _user = signed_in()  # no role at all
    assert nobody.get("/people/search?q=lindq").status_code == 403


def test_forms_naming_people_offer_the_picker(people, signed_in, db):
    from app.auth import groups

    client, admin = signed_in("admin", "agent")
    group = groups.create_group(actor=admin, name="Picker desk")
    db.session.commit()
    pages = {
        "/incidents/new": ["caller"],
        "/admin/groups/new": ["manager"],
        f"/admin/groups/{group.id}": ["usernames", "manager"],
        "/admin/users/new": ["manager"],
        f"/admin/users/{people['ann'].id}": ["manager"],
        "/cmdb/new?class=laptop": ["owner", "assigned_user"],
    }
    for url, fields in pages.items():
        html = client.get(url).get_data(as_text=True)
        for name in fields:
            (tag,) = re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
            assert "/people/search?" in tag, (url, name)
            assert f"for={name}" in tag, (url, name)

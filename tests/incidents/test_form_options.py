"""The incident forms' lists that come from the data (categories, assignment groups, the
chosen group's people), each whole and in its own order, come from the desk settings' cache
(``app.settings_cache``): read once, then again only after a change of what they show."""

from __future__ import annotations

import re

from app.incidents.models import Category
from tests.conftest import count_queries


def options_of(page: str, select_id: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select [^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert select, select_id
    return re.findall(r'<option(?: selected)? value="([^"]*)">([^<]*)</option>', select[1])


def lists_read(statements: list[str]) -> list[str]:
    return [s for s in statements if "incident_categories" in s or "group_members" in s]


def test_the_incident_page_reads_its_three_lists_once(
    signed_in, queue, make_user, make_incident, db
):
    client, agent = signed_in("agent", "employee")
    zoe, adam = make_user(display_name="Zoe Wu"), make_user(display_name="Adam Ek")
    gone = make_user(display_name="Gone Away")
    desk = queue("Service Desk", members=(agent, zoe, adam, gone))
    gone.is_active = False
    network = queue("Network", members=(make_user(display_name="Nora Net"),))
    db.session.add_all(
        [
            Category(name="Software", translations={"sv": {"name": "Programvara"}}),
            Category(name="Hardware"),
        ]
    )
    db.session.commit()
    incident = make_incident(assignment_group=desk, category="Software")
    with count_queries() as first:
        client.get(f"/incidents/{incident.number}")
    with count_queries() as statements:
        page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert len(lists_read(first)) == 2, "\n".join(first)  # queues and categories; people
    assert lists_read(statements) == [], "\n".join(statements)
    assert options_of(page, "category") == [("", "—"), ("Hardware", "Hardware")] + [
        ("Software", "Software")
    ]
    groups = [label for _value, label in options_of(page, "group")]
    assert groups[0] == "— Unassigned —"
    assert groups.index("Network") < groups.index("Service Desk")
    assert (str(network.id), "Network") in options_of(page, "group")
    people = [label for _value, label in options_of(page, "assignee")]
    assert people == ["— Nobody yet —"] + sorted(
        ["Zoe Wu", "Adam Ek", agent.display_name], key=str.casefold
    )
    assert '<option selected value="Software">' in page
    assert f'<option selected value="{desk.id}">' in page

    agent.language = "sv"
    db.session.commit()
    swedish = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert ("Software", "Programvara") in options_of(swedish, "category")


def people_offered(client, incident) -> list[str]:
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    return [label for _value, label in options_of(page, "assignee")][1:]


def test_the_cached_lists_follow_every_change_of_what_they_show(
    signed_in, queue, make_user, make_incident, db
):
    """A person renamed, deactivated or back, a member added by the directory's bulk
    statement, a queue renamed, a category added: the next page shows it."""
    from sqlalchemy import insert

    from app.auth.models import group_members

    client, agent = signed_in("agent", "employee")
    adam = make_user(display_name="Adam Ek")
    desk = queue("Service Desk", members=(agent, adam))
    nora = make_user(display_name="Nora Net")
    incident = make_incident(assignment_group=desk)
    assert people_offered(client, incident) == sorted(
        [agent.display_name, "Adam Ek"], key=str.casefold
    )
    adam.display_name = "Adam Eklund"
    db.session.commit()
    assert "Adam Eklund" in people_offered(client, incident)
    adam.is_active = False
    db.session.commit()
    assert people_offered(client, incident) == [agent.display_name]
    db.session.execute(insert(group_members), [{"group_id": desk.id, "user_id": nora.id}])
    db.session.commit()
    assert "Nora Net" in people_offered(client, incident)
    desk.name = "First Line"
    db.session.commit()
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert (str(desk.id), "First Line") in options_of(page, "group")


def categories_offered(client, incident) -> list[tuple[str, str]]:
    return options_of(
        client.get(f"/incidents/{incident.number}").get_data(as_text=True), "category"
    )


def test_the_cached_categories_follow_an_addition_a_new_name_and_a_deletion(
    signed_in, queue, make_incident, db
):
    from app.incidents import settings

    client, agent = signed_in("agent", "employee")
    incident = make_incident(assignment_group=queue("Service Desk", members=(agent,)))
    assert ("Printing", "Printing") not in categories_offered(client, incident)
    printing = Category(name="Printing")
    db.session.add(printing)
    db.session.commit()
    assert ("Printing", "Printing") in categories_offered(client, incident)
    agent.language = "sv"
    db.session.commit()
    settings.name_category(printing.id, {"sv": "Utskrift"}, actor=agent)
    db.session.commit()
    assert ("Printing", "Utskrift") in categories_offered(client, incident)
    db.session.delete(printing)
    db.session.commit()
    assert [value for value, _label in categories_offered(client, incident)] == [""]


def test_signing_in_leaves_the_cached_lists_alone(
    signed_in, queue, make_user, make_incident, db, app
):
    """A person's sign-in (its last sign-in time), signing out everywhere or a new person in
    no queue yet changes nothing the lists show: the token stays, the next page reads none."""
    from sqlalchemy import text

    from tests.conftest import Client

    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    incident = make_incident(assignment_group=desk)
    client.get(f"/incidents/{incident.number}")
    token = db.session.scalar(text("SELECT token FROM settings_revision"))
    other = make_user(display_name="Other Agent", roles=["agent"])
    assert Client(app.test_client()).login(other.username).status_code == 302
    assert client.post("/account/sign-out-everywhere", {}).status_code == 302
    assert client.login(agent.username).status_code == 302
    assert db.session.scalar(text("SELECT token FROM settings_revision")) == token
    with count_queries() as statements:
        client.get(f"/incidents/{incident.number}")
    assert lists_read(statements) == [], "\n".join(statements)


def test_a_group_number_that_is_no_queue_is_not_cached(signed_in, queue, make_incident, app, db):
    """A form may post any group number: its people are read, and nothing is kept for it."""
    from app.incidents.pages import MEMBERS_KEY, form_options

    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    with app.test_request_context():
        assert form_options(desk.id + 1000).members[1:] == []
        assert [c.label for c in form_options(desk.id).members[1:]] == [agent.display_name]
    keys = app.extensions["settings_cache"].keys()
    assert f"{MEMBERS_KEY}:{desk.id + 1000}" not in keys


def test_the_incident_page_words_its_subcategory_with_its_lists(
    signed_in, queue, make_incident, db
):
    """The subcategory's name in the reader's language comes in the lists' statement; one
    no longer in the data shows as the incident stores it."""
    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    network = Category(name="Network", translations={"sv": {"name": "Nätverk"}})
    other = Category(name="Other")
    db.session.add_all([network, other])
    db.session.flush()
    db.session.add_all(
        [
            Category(name="VPN", parent_id=network.id, translations={"sv": {"name": "Fjärr"}}),
            Category(name="VPN", parent_id=other.id, translations={"sv": {"name": "Annat"}}),
        ]
    )
    agent.language = "sv"
    db.session.commit()
    incident = make_incident(assignment_group=desk, category="Network", subcategory="VPN")
    gone = make_incident(assignment_group=desk, category="Network", subcategory="Dial-up")
    client.get(f"/incidents/{incident.number}")
    with count_queries() as statements:
        page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert "Nätverk › Fjärr</dd>" in page
    assert lists_read(statements) == [], statements  # the subcategories come with the lists
    assert "Nätverk › Dial-up</dd>" in client.get(f"/incidents/{gone.number}").text


def test_the_log_a_call_form_reads_its_lists_once(signed_in, queue, db):
    client, agent = signed_in("agent", "employee")
    queue("Service Desk", members=(agent,))
    db.session.add(Category(name="Network"))
    db.session.commit()
    client.get("/incidents/new")
    with count_queries() as statements:
        page = client.get("/incidents/new").get_data(as_text=True)
    assert lists_read(statements) == [], "\n".join(statements)
    assert ("Network", "Network") in options_of(page, "category")
    assert ("", "— Unassigned —") in options_of(page, "group")
    assert options_of(page, "assignee") == [("", "— Nobody yet —")]

"""The incident forms' lists that come from the data (categories, assignment groups, the
chosen group's people) are read in one statement, each list whole and in its own order."""

from __future__ import annotations

import re

from app.incidents.models import Category
from tests.conftest import count_queries


def options_of(page: str, select_id: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select [^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert select, select_id
    return re.findall(r'<option(?: selected)? value="([^"]*)">([^<]*)</option>', select[1])


def test_the_incident_page_reads_its_three_lists_in_one_statement(
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
    client.get(f"/incidents/{incident.number}")
    with count_queries() as statements:
        page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    lists = [s for s in statements if "incident_categories" in s]
    assert len(lists) == 1, "\n".join(statements)
    assert "groups" in lists[0]
    assert "group_members" in lists[0]
    assert not [s for s in statements if "group_members" in s and s not in lists]
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
    assert len([s for s in statements if "incident_categories" in s]) == 1, statements
    assert "Nätverk › Dial-up</dd>" in client.get(f"/incidents/{gone.number}").text


def test_the_log_a_call_form_reads_its_lists_in_one_statement(signed_in, queue, db):
    client, agent = signed_in("agent", "employee")
    queue("Service Desk", members=(agent,))
    db.session.add(Category(name="Network"))
    db.session.commit()
    client.get("/incidents/new")
    with count_queries() as statements:
        page = client.get("/incidents/new").get_data(as_text=True)
    lists = [s for s in statements if "incident_categories" in s]
    assert len(lists) == 1, "\n".join(statements)
    assert "groups" in lists[0]
    assert ("Network", "Network") in options_of(page, "category")
    assert ("", "— Unassigned —") in options_of(page, "group")
    assert options_of(page, "assignee") == [("", "— Nobody yet —")]

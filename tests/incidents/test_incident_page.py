"""The agent's incident page: one form saves every field at once (or nothing), Assign to me,
and refused posts that answer with the page under its own address."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from app.incidents.models import Incident
from app.incidents.workflow import State
from app.tickets.holds import HoldReason
from app.tickets.matrix import load_matrix
from tests.conftest import Client


class _FormReader(HTMLParser):
    """The fields one form of a page submits, as a browser would send them untouched."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.fields = action, False, {}
        self._select: str | None = None
        self._first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = (a.get("action") or "").endswith(self.action)
        elif not self.inside:
            return
        elif tag == "input" and a.get("name") and a.get("type") != "checkbox":
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select, self._first = a["name"], None
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
                self.fields.setdefault(self._select, self._first)
            if "selected" in a:
                self.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data.removeprefix("\n")


def form_of(client: Client, number: str, action: str = "/edit") -> dict[str, str]:
    reader = _FormReader(f"/incidents/{number}{action}")
    reader.feed(client.get(f"/incidents/{number}").get_data(as_text=True))
    return dict(reader.fields)


def fresh(db, incident: Incident) -> Incident:
    db.session.expire_all()
    return db.session.get(Incident, incident.id)


def test_one_save_changes_several_fields_and_an_untouched_form_changes_nothing(
    signed_in, queue, make_incident, db
):
    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    incident = make_incident(short_description="Printer jams", description="Tray 2")
    fields = form_of(client, incident.number)
    untouched = client.post(f"/incidents/{incident.number}/edit", fields)
    assert untouched.status_code == 302
    assert "Nothing changed." in client.get(untouched.location).get_data(as_text=True)

    fields = form_of(client, incident.number)
    fields |= {
        "short_description": "Printer jams on every job",
        "impact": "2",
        "group": str(desk.id),
        "assignee": str(agent.id),
        "state": "on_hold",
        "hold_reason": "awaiting_vendor",
        "priority": "1",
        "priority_reason": "The CEO's printer",
    }
    saved = client.post(f"/incidents/{incident.number}/edit", fields)
    assert saved.status_code == 302
    page = client.get(saved.location).get_data(as_text=True)
    assert "Saved." in page
    incident = fresh(db, incident)
    assert incident.short_description == "Printer jams on every job"
    assert incident.description == "Tray 2"
    assert (incident.impact, incident.priority) == (2, 1)
    assert incident.priority_override_reason == "The CEO's printer"
    assert (incident.state, incident.hold_reason) == (State.ON_HOLD, HoldReason.AWAITING_VENDOR)
    assert (incident.assignment_group_id, incident.assignee_id) == (desk.id, agent.id)
    # The page shows the saved values, and saving them again as they are changes nothing.
    again = client.post(f"/incidents/{incident.number}/edit", form_of(client, incident.number))
    assert "Nothing changed." in client.get(again.location).get_data(as_text=True)
    back = form_of(client, incident.number) | {"priority": ""}
    client.post(f"/incidents/{incident.number}/edit", back)
    incident = fresh(db, incident)
    matrix_says = load_matrix().priority(2, incident.urgency)
    assert (incident.priority, incident.priority_override_reason) == (matrix_says, None)


def test_a_refused_save_changes_nothing_and_keeps_what_was_typed(
    signed_in, queue, make_incident, db
):
    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    incident = make_incident(short_description="VPN drops")
    fields = form_of(client, incident.number) | {
        "short_description": "VPN drops every hour",
        "group": str(desk.id),
        "assignee": str(agent.id),
        "state": "resolved",  # without a resolution code nor notes
        "priority": "2",  # without a reason
    }
    refused = client.post(f"/incidents/{incident.number}/edit", fields)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Nothing was saved" in body
    for message in (
        "Choose a resolution code.",
        "Describe how it was resolved.",
        "Say why the matrix is wrong here.",
    ):
        assert message in body  # every problem at once
    assert 'value="VPN drops every hour"' in body  # what was typed is still there
    # The browser is shown the page's own address: a reload asks for it, never re-posts.
    assert f'data-replace-url="/incidents/{incident.number}"' in body
    incident = fresh(db, incident)
    assert (incident.short_description, incident.state) == ("VPN drops", "new")
    assert (incident.assignment_group_id, incident.assignee_id, incident.priority) == (
        None,
        None,
        5,
    )


def test_a_stale_save_is_a_409_that_saves_nothing(
    app, signed_in, make_user, queue, make_incident, db
):
    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    incident = make_incident(short_description="Old title")
    stale = form_of(client, incident.number)
    other = Client(app.test_client())
    make_user("agent.two", roles=["agent", "employee"])
    other.login("agent.two")
    first = form_of(other, incident.number) | {"description": "Seen by agent two"}
    assert other.post(f"/incidents/{incident.number}/edit", first).status_code == 302
    second = client.post(
        f"/incidents/{incident.number}/edit",
        stale
        | {
            "short_description": "Title by agent one",
            "group": str(desk.id),
            "assignee": str(agent.id),
            "state": "on_hold",
            "hold_reason": "awaiting_caller",
        },
    )
    assert second.status_code == 409
    assert "changed by someone else" in second.get_data(as_text=True)
    incident = fresh(db, incident)
    assert (incident.short_description, incident.description) == ("Old title", "Seen by agent two")
    assert (incident.state, incident.assignee_id) == ("new", None)


def test_assign_to_me_keeps_my_group_or_takes_my_only_one(
    signed_in, make_user, queue, make_incident, db
):
    client, agent = signed_in("agent", "employee")
    network = queue("Network", members=(make_user(roles=["agent"]),))
    desk = queue("Service Desk", members=(agent,))
    incident = make_incident(assignment_group=network)
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert "Assign to me" in page
    taken = client.post(
        f"/incidents/{incident.number}/assign-to-me",
        form_of(client, incident.number, "/assign-to-me"),
    )
    assert taken.status_code == 302
    page = client.get(taken.location).get_data(as_text=True)
    assert "Assigned to you." in page
    assert ">In progress<" in page
    assert "Assign to me" not in page  # it is mine now
    incident = fresh(db, incident)
    assert (incident.assignment_group_id, incident.assignee_id) == (desk.id, agent.id)

    # In several groups: the incident's group is kept when I am in it ...
    network.members.append(agent)
    db.session.commit()
    theirs = make_incident(assignment_group=network)
    client.post(f"/incidents/{theirs.number}/assign-to-me", {})
    theirs = fresh(db, theirs)
    assert (theirs.assignment_group_id, theirs.assignee_id) == (network.id, agent.id)
    # ... and with no group to go by, I am asked to choose.
    nobody = make_incident()
    refused = client.post(f"/incidents/{nobody.number}/assign-to-me", {})
    assert refused.status_code == 422
    assert "You are in several groups (Network, Service Desk)" in refused.get_data(as_text=True)
    assert fresh(db, nobody).assignee_id is None


def test_assign_to_me_refuses_an_agent_in_no_group(signed_in, make_incident, db):
    client, _agent = signed_in("agent", "employee")
    incident = make_incident()
    refused = client.post(f"/incidents/{incident.number}/assign-to-me", {})
    assert refused.status_code == 422
    assert "You are in no assignment group" in refused.get_data(as_text=True)
    assert fresh(db, incident).state == "new"


def test_a_stale_assign_to_me_is_a_409(signed_in, queue, make_incident, db):
    client, agent = signed_in("agent", "employee")
    queue("Service Desk", members=(agent,))
    incident = make_incident()
    stale = client.post(f"/incidents/{incident.number}/assign-to-me", {"version": "0"})
    assert stale.status_code == 409
    assert fresh(db, incident).assignee_id is None


def test_the_callers_refused_reply_also_answers_under_the_pages_address(signed_in, make_incident):
    client, employee = signed_in("employee")
    incident = make_incident(caller=employee)
    refused = client.post(f"/incidents/{incident.number}/comment", {"body": " "})
    assert refused.status_code == 422
    assert f'data-replace-url="/incidents/{incident.number}"' in refused.get_data(as_text=True)
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert "data-replace-url" not in page


def test_another_hold_reason_without_another_state_is_refused_aloud(
    signed_in, make_user, make_incident, db
):
    from app.incidents import services
    from app.incidents.workflow import Transition

    client, agent = signed_in("agent", "employee")
    incident = make_incident()
    vendor = Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_VENDOR)
    services.change_state(incident, vendor, actor=agent)
    db.session.commit()
    fields = form_of(client, incident.number)
    assert (fields["state"], fields["hold_reason"]) == ("on_hold", "awaiting_vendor")
    # A resolution typed and left behind while the state stays is no change at all ...
    leftover = fields | {"resolution_code": "duplicate", "resolution_notes": "Same as 12"}
    kept = client.post(f"/incidents/{incident.number}/edit", leftover)
    assert "Nothing changed." in client.get(kept.location).get_data(as_text=True)
    # ... but another reason to wait, in the same state, is not silently dropped.
    other = fields | {"hold_reason": "awaiting_caller"}
    refused = client.post(f"/incidents/{incident.number}/edit", other)
    assert refused.status_code == 422
    assert "The incident is already on hold." in refused.get_data(as_text=True)
    assert fresh(db, incident).hold_reason == HoldReason.AWAITING_VENDOR


def test_a_refused_post_names_the_incident_page_for_a_reload(signed_in, make_incident):
    client, _agent = signed_in("agent", "employee")
    incident = make_incident()
    # The incident page's forms post elsewhere; the page names the incident's own address.
    refused = client.post(f"/incidents/{incident.number}/edit", {"version": "1", "state": "x"})
    assert refused.status_code == 422  # the version is current; "x" is no state
    addresses = re.findall(r'data-replace-url="([^"]*)"', refused.get_data(as_text=True))
    assert addresses == [f"/incidents/{incident.number}"]

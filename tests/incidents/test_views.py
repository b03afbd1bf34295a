"""Incident pages end to end: who sees what, the queue, attachments, conflicts, query counts."""

from __future__ import annotations

import gc
import io
import re

import pytest
from sqlalchemy import func, select

from app.incidents import services
from app.incidents.models import Incident
from app.incidents.workflow import State, Transition
from app.tickets import attachments
from app.tickets.holds import HoldReason
from app.tickets.models import Attachment
from tests.conftest import Client, count_queries

SECRET_NOTE = "internal: password reset by hand, ticket 4471"


def version_of(page) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', page.get_data(as_text=True))[1]


def test_employee_reports_a_problem_and_follows_it(signed_in, db):
    client, employee = signed_in("employee")
    response = client.post(
        "/incidents/report",
        {
            "short_description": "Teams crashes when sharing",
            "urgency": "1",
            "attachment": (io.BytesIO(b"PNG..."), "screen.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    incident = db.session.scalar(select(Incident))
    assert incident.caller_id == employee.id
    assert incident.urgency == 1
    assert incident.channel.value == "portal"
    page = client.get(response.location).get_data(as_text=True)
    assert "Received, waiting for an agent" in page
    assert "screen.png" in page
    listing = client.get("/incidents/mine").get_data(as_text=True)
    assert incident.number in listing


def test_report_form_refuses_bad_input(signed_in, db):
    client, _ = signed_in("employee")
    response = client.post("/incidents/report", {"short_description": "", "urgency": "9"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Tell us in a few words" in body
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 0


def test_employees_see_only_their_own_and_watched_incidents(
    signed_in, make_user, make_incident, db
):
    client, employee = signed_in("employee")
    mine = make_incident(caller=employee, short_description="My monitor flickers")
    theirs = make_incident(short_description="Someone else's secret problem")
    watched = make_incident(short_description="Shared printer broken")
    watched.watchers.append(employee)
    db.session.commit()
    listing = client.get("/incidents/mine").get_data(as_text=True)
    assert mine.number in listing
    assert watched.number in listing
    assert theirs.number not in listing
    response = client.get(f"/incidents/{theirs.number}")
    assert response.status_code == 404
    assert "secret problem" not in response.get_data(as_text=True)
    assert client.get(f"/incidents/{watched.number}").status_code == 200
    assert client.post(f"/incidents/{theirs.number}/comment", {"body": "hi"}).status_code == 404
    assert client.get("/incidents/").status_code == 403  # the agent console


def test_work_notes_never_reach_employees(signed_in, make_user, make_incident, db):
    client, employee = signed_in("employee")
    agent = make_user(roles=["agent"])
    incident = make_incident(caller=employee)
    services.comment(incident, author=agent, body=SECRET_NOTE, public=False)
    services.comment(incident, author=agent, body="We are looking into it.", public=True)
    note_file = attachments.store(
        incident, _upload(b"secret log", "debug.log"), uploader=agent, internal=True
    )
    db.session.commit()
    pages = [
        client.get(f"/incidents/{incident.number}"),
        client.get(f"/incidents/{incident.number}?order=oldest"),
        client.get("/incidents/mine"),
        client.get("/"),
    ]
    for page in pages:
        body = page.get_data(as_text=True)
        assert page.status_code == 200
        assert SECRET_NOTE not in body
        assert "debug.log" not in body
    assert "We are looking into it." in pages[0].get_data(as_text=True)
    url = f"/incidents/{incident.number}/attachments/{note_file.id}"
    assert client.get(url).status_code == 404


def test_agents_see_work_notes_and_download_files(signed_in, make_incident, db):
    client, agent = signed_in("agent", "employee")
    incident = make_incident()
    services.comment(incident, author=agent, body=SECRET_NOTE, public=False)
    stored = attachments.store(
        incident, _upload(b"log line\n", "debug.log"), uploader=agent, internal=True
    )
    db.session.commit()
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert SECRET_NOTE in page
    download = client.get(f"/incidents/{incident.number}/attachments/{stored.id}")
    assert download.status_code == 200
    assert download.data == b"log line\n"
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()


# The test client spools the oversized body to a temporary file that the app (rightly) never
# reads; it is collected here rather than warned about in whichever test runs next.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_empty_and_oversized_attachments_are_refused(
    attachment_store, app, signed_in, make_incident, db
):
    client, employee = signed_in("employee")
    incident = make_incident(caller=employee)
    empty = client.post(
        f"/incidents/{incident.number}/comment",
        {"body": "see file", "attachment": (io.BytesIO(b""), "empty.txt")},
        content_type="multipart/form-data",
    )
    assert empty.status_code == 422
    assert "The file is empty." in empty.get_data(as_text=True)
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    too_big = client.post(
        f"/incidents/{incident.number}/comment",
        {"body": "see file", "attachment": (io.BytesIO(big), "big.bin")},
        content_type="multipart/form-data",
    )
    assert too_big.status_code == 413
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    del too_big, big
    gc.collect()


def test_agent_works_an_incident_from_the_page(signed_in, make_user, queue, make_incident, db):
    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    incident = make_incident()
    page = client.get(f"/incidents/{incident.number}")
    response = client.post(
        f"/incidents/{incident.number}/edit",
        {"group": str(desk.id), "assignee": str(agent.id), "version": version_of(page)},
    )
    assert response.status_code == 302
    page = client.get(f"/incidents/{incident.number}")
    assert ">In progress<" in page.get_data(as_text=True)  # given to a person: work started
    response = client.post(
        f"/incidents/{incident.number}/edit", {"state": "on_hold", "version": version_of(page)}
    )
    assert response.status_code == 422
    assert "Say what the incident is waiting for." in response.get_data(as_text=True)
    response = client.post(
        f"/incidents/{incident.number}/edit",
        {"state": "on_hold", "hold_reason": "awaiting_vendor", "version": version_of(page)},
    )
    assert response.status_code == 302
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    assert (incident.state, incident.hold_reason) == (State.ON_HOLD, HoldReason.AWAITING_VENDOR)
    assert incident.assignee_id == agent.id


def test_two_agents_saving_the_same_incident(app, signed_in, make_user, make_incident, db):
    client, _agent = signed_in("agent", "employee")
    other = Client(app.test_client())
    make_user("agent.two", roles=["agent", "employee"])
    other.login("agent.two")
    incident = make_incident(short_description="Old title")
    page = client.get(f"/incidents/{incident.number}")
    stale = version_of(page)
    first = other.post(
        f"/incidents/{incident.number}/edit",
        {
            "short_description": "Title by agent one",
            "impact": "2",
            "urgency": "2",
            "version": stale,
        },
    )
    assert first.status_code == 302
    second = client.post(
        f"/incidents/{incident.number}/edit",
        {
            "short_description": "Title by agent two",
            "impact": "3",
            "urgency": "3",
            "version": stale,
        },
    )
    assert second.status_code == 409
    body = second.get_data(as_text=True)
    assert "changed by someone else" in body
    assert "Title by agent one" in body  # the current state is shown
    changed = re.search(r"Agent\.Two changed ([a-z ,]+) \(", body)  # and who changed what
    assert changed is not None
    assert "short description" in changed[1]
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).short_description == "Title by agent one"


def test_queue_views_and_filters(signed_in, make_user, queue, make_incident, db, make_ci):
    client, agent = signed_in("agent", "employee")
    make_ci("core-sw-1", "server")
    desk = queue("Service Desk", members=(agent,))
    other = queue("Network")
    mine = make_incident(short_description="Assigned to me", assignment_group=desk)
    services.assign_incident(mine, group=desk, assignee=agent, actor=agent)
    unassigned = make_incident(short_description="Waiting in my queue", assignment_group=desk)
    elsewhere = make_incident(
        short_description="Network thing",
        assignment_group=other,
        category="Network",
        ci_names=["core-sw-1"],
        impact=1,
        urgency=1,
    )
    closed = make_incident(short_description="Old and done")
    services.change_state(closed, Transition(State.CANCELED), actor=agent)
    db.session.commit()

    def listed(query: str) -> set[str]:
        body = client.get(f"/incidents/?{query}").get_data(as_text=True)
        return {
            n
            for n in (mine.number, unassigned.number, elsewhere.number, closed.number)
            if n in body
        }

    assert listed("view=mine") == {mine.number}
    assert listed("view=unassigned") == {unassigned.number}
    assert listed("view=open") == {mine.number, unassigned.number, elsewhere.number}
    assert listed("view=all") == {mine.number, unassigned.number, elsewhere.number, closed.number}
    assert listed("view=all&state=canceled") == {closed.number}
    assert listed("priority=1") == {elsewhere.number}
    assert listed(f"group={other.id}") == {elsewhere.number}
    assert listed("category=network") == {elsewhere.number}
    assert listed("ci=CORE-SW-1") == {elsewhere.number}
    assert listed("q=waiting") == {unassigned.number}
    assert listed(f"q={mine.number.lower()}") == {mine.number}
    body = client.get("/incidents/?view=open&sort=priority").get_data(as_text=True)
    assert body.index(elsewhere.number) < body.index(unassigned.number)  # P1 first
    assert client.get("/incidents/?state=nonsense&sort=evil&page=-3").status_code == 200


BROWSER_FORM = "view=open&kind=&state=&priority=&group=&category=&ci=&sort=priority&direction=asc"


def test_console_search_as_a_browser_submits_the_whole_form(signed_in, queue, make_incident):
    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    vpn = make_incident(short_description="VPN drops every hour", assignment_group=desk)
    other = make_incident(short_description="Printer jammed", assignment_group=desk)

    body = client.get(f"/incidents/?{BROWSER_FORM}&q=vpn").get_data(as_text=True)
    assert "not understood" not in body  # an empty "Any" is no filter, not a bad one
    assert vpn.number in body
    assert other.number not in body
    for view in ("mine", "unassigned", "all"):  # the other tabs keep the search, no empties
        tab = re.search(rf'href="(/incidents/\?view={view}[^"]*)"', body)[1]
        assert "q=vpn" in tab
        assert "state=" not in tab


def test_a_filter_not_understood_is_ignored_alone_and_left_out_of_links(
    signed_in, queue, make_incident
):
    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    vpn = make_incident(short_description="VPN drops every hour", assignment_group=desk)
    other = make_incident(short_description="Printer jammed", assignment_group=desk)

    response = client.get(f"/incidents/?{BROWSER_FORM}&q=vpn&state=exploded")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "not understood and were ignored: State “exploded”" in body
    assert vpn.number in body
    assert other.number not in body
    links = re.findall(r'href="(/incidents/\?[^"]*)"', body)
    assert links
    assert all("exploded" not in link for link in links)
    assert all("state=" not in link for link in links)  # nor its emptiness
    assert any("q=vpn" in link for link in links)


def test_bulk_assign_from_the_console(signed_in, queue, make_incident, db):
    client, agent = signed_in("agent", "employee")
    network = queue("Network")
    a, b = make_incident(), make_incident()
    response = client.post(
        "/incidents/bulk",
        {"action": "assign", "group": str(network.id), "selected": [a.number, b.number]},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert {db.session.get(Incident, i.id).assignment_group_id for i in (a, b)} == {network.id}


def test_only_service_owners_decide_on_major_incidents(signed_in, make_user, make_incident, db):
    client, agent = signed_in("agent", "employee")
    incident = make_incident()
    services.propose_major(incident, actor=agent, reason="Site down")
    db.session.commit()
    url = f"/incidents/{incident.number}/major/decision"
    assert client.post(url, {"decision": "accept"}).status_code == 403
    client.post("/logout")
    owner = make_user("boss", roles=["service_owner", "agent", "employee"])
    client.login(owner.username)
    assert client.post(url, {"decision": "accept"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).is_major


@pytest.mark.parametrize("rows", [3, 30])
def test_queue_and_incident_page_issue_a_bounded_number_of_queries(
    signed_in, make_user, queue, make_incident, db, rows
):
    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    callers = [make_user() for _ in range(3)]
    first = None
    for n in range(rows):
        incident = make_incident(caller=callers[n % 3], assignment_group=desk)
        first = first or incident
        services.comment(first, author=agent, body=f"note {n}", public=n % 2 == 0)
    db.session.commit()
    with count_queries() as console:
        assert client.get("/incidents/?per_page=50").status_code == 200
    with count_queries() as page:
        assert client.get(f"/incidents/{first.number}").status_code == 200
    # The same number of statements whether there are 3 or 30 rows (no N+1); two of them are
    # the shell's counts: approvals waiting beside "My approvals", unread notifications (bell);
    # one is the page's monitoring alerts (app/alerts/panels.py).
    assert len(console) <= 13, console
    assert len(page) <= 25, page


def _upload(data: bytes, name: str):
    from werkzeug.datastructures import FileStorage

    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="text/plain")


def test_agents_add_watchers_who_then_follow_the_incident(signed_in, make_user, make_incident, db):
    client, _agent = signed_in("agent", "employee")
    colleague = make_user("colleague")
    incident = make_incident()
    url = f"/incidents/{incident.number}/watchers"
    assert client.post(url, {"username": "ghost"}).status_code == 422
    assert client.post(url, {"username": "colleague"}).status_code == 302
    client.post("/logout")
    client.login("colleague")
    assert incident.number in client.get("/incidents/mine").get_data(as_text=True)
    assert client.get(f"/incidents/{incident.number}").status_code == 200
    client.post(f"/incidents/{incident.number}/watch")  # stops following
    assert client.get(f"/incidents/{incident.number}").status_code == 404
    db.session.expire_all()
    assert colleague not in db.session.get(Incident, incident.id).watchers


def test_the_watcher_field_suggests_people_by_name(signed_in, make_user, make_incident):
    client, _agent = signed_in("agent", "employee")
    make_user("colleague", display_name="Ingrid Colleague")
    incident = make_incident()
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert 'data-people-picker="one"' in page
    assert "/people/search?" in page
    suggestions = client.get("/people/search?q=ingrid&target=username&for=username")
    assert "colleague" in suggestions.get_data(as_text=True)


def test_related_incidents_share_a_configuration_item(signed_in, make_incident, make_ci):
    client, _agent = signed_in("agent", "employee")
    for name in ("erp-db-01", "san-01", "vpn-gw-01"):
        make_ci(name, "server")
    first = make_incident(ci_names=["erp-db-01"], short_description="ERP slow")
    second = make_incident(ci_names=["ERP-DB-01", "san-01"], short_description="Posting fails")
    unrelated = make_incident(ci_names=["vpn-gw-01"], short_description="VPN drops")
    page = client.get(f"/incidents/{first.number}").get_data(as_text=True)
    assert second.number in page
    assert unrelated.number not in page


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("edit", {"state": "exploded"}, "Not a valid choice"),
        ("edit", {"state": "closed"}, "cannot become closed"),
        ("edit", {"state": "resolved", "resolution_code": "made_up"}, "Not a valid choice"),
        ("edit", {"short_description": "x", "impact": "7", "urgency": "1"}, "Not a valid choice"),
        ("edit", {"priority": "1", "priority_reason": ""}, "Say why the matrix is wrong here."),
        ("edit", {"priority": "12", "priority_reason": "VIP"}, "Not a valid choice"),
        ("edit", {"short_description": " ", "group": "999999"}, "Describe it briefly."),
        ("parent", {"parent": "INC9999999"}, "No incident has this number."),
        ("comment", {"body": "   "}, "Write something first."),
    ],
)
def test_bad_input_on_the_incident_page_is_a_clear_422(
    signed_in, make_incident, db, path, data, message
):
    client, _agent = signed_in("agent", "employee")
    incident = make_incident(short_description="Unchanged title")
    page = client.get(f"/incidents/{incident.number}")
    response = client.post(
        f"/incidents/{incident.number}/{path}", {"version": version_of(page), **data}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    fresh = db.session.get(Incident, incident.id)
    assert (fresh.state, fresh.short_description, fresh.priority) == ("new", "Unchanged title", 5)


def test_auto_close_command(app, db, make_user, make_incident):
    from datetime import timedelta

    from app.timeutils import utc_now

    agent = make_user(roles=["agent"])
    incident = make_incident()
    services.change_state(
        incident,
        Transition(State.RESOLVED, resolution_code="duplicate", resolution_notes="Same as 7"),
        actor=agent,
        now=utc_now() - timedelta(days=30),
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["incidents", "auto-close"])
    assert result.exit_code == 0
    assert f"1 resolved incident(s) closed: {incident.number}" in result.output
    again = app.test_cli_runner().invoke(args=["incidents", "auto-close"])
    assert "0 resolved incident(s) closed." in again.output


def test_the_console_flags_a_callers_reply_until_an_agent_answers(
    signed_in, make_user, make_incident, db
):
    client, agent = signed_in("agent", "employee")
    caller = make_user()
    incident = make_incident(caller=caller)
    services.change_state(
        incident, Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_CALLER), actor=agent
    )
    services.comment(incident, author=caller, body="Here you go", public=True)
    db.session.commit()
    assert "Caller replied" in client.get("/incidents/").get_data(as_text=True)
    services.comment(incident, author=agent, body="Thanks, on it", public=True)
    db.session.commit()
    assert "Caller replied" not in client.get("/incidents/").get_data(as_text=True)


def test_home_page_counts_an_agents_work(signed_in, make_user, queue, make_incident, db):
    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    mine = make_incident(assignment_group=desk)
    services.assign_incident(mine, group=desk, assignee=agent, actor=agent)
    make_incident(assignment_group=desk)
    make_incident(caller=agent)  # reported by the agent herself
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "2 open · 1 unassigned" in page
    assert '<span class="dg-stat">1</span>' in page
    assert "1 open ticket: see where it stands." in page

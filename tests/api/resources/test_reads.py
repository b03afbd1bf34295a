"""Knowledge articles, people, notifications, search and SLAs through the API: each person
reads what the pages show them, no more."""

from __future__ import annotations

import uuid

PROBLEM = "application/problem+json"


def _publish(author, title: str, **fields):
    from app.extensions import db
    from app.kb import services

    article = services.create_article(
        author, services.ArticleFields(title=title, body="## Steps\n\nUse *the* portal.", **fields)
    )
    services.submit_for_review(article, author)
    services.publish(article, author)
    db.session.commit()
    return article


def test_readers_see_published_articles_for_them_and_staff_the_working_copy(api_client, make_user):
    author = make_user(roles=["agent", "employee"])
    public = _publish(author, "Reset a password")
    internal = _publish(author, "Restart the mail relay", audience="it_staff")
    reader, _ = api_client("employee")
    read = reader.get(f"/api/v1/kb/articles/{public.number}").get_json()
    assert read["published"]["title"] == "Reset a password"
    assert "<em>the</em>" in read["published"]["html"]
    assert read["working_copy"] is None
    hidden = reader.get(f"/api/v1/kb/articles/{internal.number}")
    assert hidden.status_code == 404
    assert hidden.mimetype == PROBLEM
    listed = [a["number"] for a in reader.get("/api/v1/kb/articles?limit=100").get_json()["items"]]
    assert public.number in listed
    assert internal.number not in listed
    found = reader.get("/api/v1/kb/articles?q=password").get_json()["items"]
    assert [a["number"] for a in found] == [public.number]
    assert reader.get(f"/api/v1/kb/articles?q={internal.number}").get_json()["items"] == []
    staff, _ = api_client("agent")
    assert staff.get(f"/api/v1/kb/articles/{internal.number}").get_json()["working_copy"]


def test_an_author_writes_a_draft_changes_it_and_sends_it_for_review(api_client):
    api, author = api_client("agent")
    made = api.post("/api/v1/kb/articles", json={"title": "VPN", "body": "Install the client."})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["state"] == "draft"
    assert body["owner"]["id"] == author.id
    url = made.headers["Location"]
    bad = api.patch(url, json={"language": "tlh"}, headers={"If-Match": made.headers["ETag"]})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"language"}
    changed = api.patch(
        url, json={"keywords": "vpn remote"}, headers={"If-Match": made.headers["ETag"]}
    )
    assert changed.status_code == 200
    assert changed.get_json()["working_copy"]["keywords"] == "vpn remote"
    assert changed.get_json()["working_copy"]["body"] == "Install the client."
    stale = api.post(f"{url}/submit", headers={"If-Match": made.headers["ETag"]})
    assert stale.status_code == 412
    sent = api.post(f"{url}/submit", headers={"If-Match": changed.headers["ETag"]})
    assert sent.status_code == 200
    assert sent.get_json()["state"] == "review"
    other, _ = api_client("agent")
    refused = other.patch(url, json={"title": "Mine"}, headers={"If-Match": "*"})
    assert refused.status_code == 403


def test_people_search_shows_contact_details_to_staff_only(api_client, make_user):
    tag = uuid.uuid4().hex[:8]
    person = make_user(f"p{tag}", email=f"p{tag}@example.com", department="Finance")
    employee, _ = api_client("employee")
    [seen] = employee.get(f"/api/v1/users?q=p{tag}").get_json()["items"]
    assert seen["username"] == person.username
    assert "email" not in seen
    agent, _ = api_client("agent")
    [seen] = agent.get(f"/api/v1/users?q=p{tag}").get_json()["items"]
    assert seen["email"] == f"p{tag}@example.com"
    assert seen["department"] == "Finance"
    assert employee.get("/api/v1/users").status_code == 422  # no list of everyone


def test_notifications_are_my_own_and_marked_read(api_client, make_incident, db):
    from sqlalchemy import select

    from app.notifications.models import Notification
    from app.tickets.models import TicketEvent

    api, me = api_client("employee")
    incident = make_incident(me)
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == incident.id))
    for kind in ("commented", "assigned"):
        db.session.add(
            Notification(
                event_id=event.id,
                ticket_id=incident.id,
                recipient_id=me.id,
                kind=kind,
                summary=f"{kind} on {incident.number}",
            )
        )
    db.session.commit()
    unread = api.get("/api/v1/notifications?unread=true").get_json()["items"]
    assert [n["kind"] for n in unread] == ["assigned", "commented"]
    assert unread[0]["ticket"] == incident.number
    opened = api.post(f"/api/v1/notifications/{unread[0]['id']}/read")
    assert opened.status_code == 200
    assert opened.get_json()["read_at"].endswith("Z")
    rest = api.post("/api/v1/notifications/read").get_json()
    assert rest == {"marked": 1, "unread": 0}
    other, _ = api_client("employee")
    assert other.post(f"/api/v1/notifications/{unread[0]['id']}/read").status_code == 404


def test_search_finds_what_the_person_may_see(api_client, make_ci):
    tag = uuid.uuid4().hex[:8]
    make_ci(f"relay{tag}", "application")
    agent, _ = api_client("agent")
    found = agent.get(f"/api/v1/search?q=relay{tag}").get_json()
    assert [h["ref"] or h["title"] for h in found["items"]] == [f"relay{tag}"]
    assert found["counts"]["ci"] == 1
    employee, _ = api_client("employee")
    assert employee.get(f"/api/v1/search?q=relay{tag}").get_json()["items"] == []


def test_a_tickets_slas_are_for_agents(api_client, org, make_item, place, policy):
    policy(org.queue, name="Fulfil in 4 hours")
    task = place(make_item()).tasks[0]
    agent, _ = api_client("agent")
    slas = agent.get(f"/api/v1/tickets/{task.number}/slas")
    assert slas.status_code == 200
    [sla] = slas.get_json()
    assert sla["name"] == "Fulfil in 4 hours"
    assert sla["stage"] == "in_progress"
    assert sla["due_at"].endswith("Z")
    assert not sla["breached"]
    assert agent.get("/api/v1/tickets/INC9999999/slas").status_code == 404
    requester, _ = api_client(user=org.kim)
    assert requester.get(f"/api/v1/tickets/{task.number}/slas").status_code == 403

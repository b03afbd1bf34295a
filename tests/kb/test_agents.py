"""KCS on the incident page: link, send to the caller, create from a resolved incident,
flag an article as wrong."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.incidents import services as incidents
from app.incidents.workflow import State, Transition
from app.kb import services
from app.kb.models import Article, ArticleFlag
from app.tickets.models import JournalEntry
from tests.kb.helpers import sign_in_as


def incident_for(db: Any, people: Any, text: str = "Printer jams on floor 3") -> Any:
    found = incidents.open_incident(
        caller=people.employee, opened_by=people.employee, short_description=text
    )
    db.session.commit()
    return found


def test_the_panel_suggests_links_and_sends_articles(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    article = make_article("Printer jams: clear tray 2")
    secret = make_article("Printer jams: reset spooler", audience="it_staff")
    incident = incident_for(db, people)
    sign_in_as(client, "author")
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert f"/kb/incidents/{incident.number}/panel" in page
    panel = client.get(f"/kb/incidents/{incident.number}/panel").get_data(as_text=True)
    assert article.number in panel
    assert secret.number in panel  # agents see IT-only articles

    # An IT-only article is never sent to the caller.
    response = client.post(f"/kb/incidents/{incident.number}/reply/{secret.number}")
    assert response.status_code == 303
    assert services.linked_to(incident) == []

    response = client.post(f"/kb/incidents/{incident.number}/reply/{article.number}")
    assert response.status_code == 302
    assert services.linked_to(incident) == [article]
    replies = db.session.scalars(
        select(JournalEntry).where(JournalEntry.ticket_id == incident.id)
    ).all()
    assert any(f"/kb/{article.number}" in (r.body or "") for r in replies)

    client.post(f"/kb/incidents/{incident.number}/link", {"article": secret.number})
    assert {a.number for a in services.linked_to(incident)} == {article.number, secret.number}


def test_articles_that_resolved_similar_incidents(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    article = make_article("Fix the badge reader")
    done = incidents.open_incident(
        caller=people.employee, opened_by=people.employee, short_description="Badge",
        category="hardware", affected_service="Doors",
    )  # fmt: skip
    services.link_incident(article, done, actor=people.author)
    incidents.change_state(
        done,
        Transition(State.RESOLVED, resolution_code="solved_permanently", resolution_notes="Reset"),
        actor=people.author,
    )
    new = incidents.open_incident(
        caller=people.employee, opened_by=people.employee, short_description="Door",
        category="hardware", affected_service="Doors",
    )  # fmt: skip
    db.session.commit()
    sign_in_as(client, "author")
    panel = client.get(f"/kb/incidents/{new.number}/panel").get_data(as_text=True)
    assert "Resolved similar incidents" in panel
    assert article.number in panel


def test_create_an_article_from_a_resolved_incident(client: Any, db: Any, people: Any) -> None:
    incident = incident_for(db, people, "Teams camera is black")
    incidents.change_state(
        incident,
        Transition(
            State.RESOLVED,
            resolution_code="solved_permanently",
            resolution_notes="Close the other app that holds the camera.",
        ),
        actor=people.author,
    )
    db.session.commit()
    sign_in_as(client, "author")
    form = client.get(f"/kb/new?incident={incident.number}").get_data(as_text=True)
    assert "Close the other app that holds the camera." in form
    assert 'value="Teams camera is black"' in form
    response = client.post(
        "/kb/new",
        {"incident": incident.number, "title": "Teams camera is black",
         "body": "Close the other app.", "language": "en", "audience": "everyone"},
    )  # fmt: skip
    assert response.status_code == 302
    article = db.session.scalar(select(Article).where(Article.title == "Teams camera is black"))
    assert services.linked_to(incident) == [article]


def test_flag_an_article_from_a_ticket(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    article = make_article()
    incident = incident_for(db, people)
    sign_in_as(client, "manager")
    response = client.post(
        f"/kb/incidents/{incident.number}/flag", {"article": article.number, "note": ""}
    )
    assert response.status_code == 303  # refused: say what is wrong
    client.post(
        f"/kb/incidents/{incident.number}/flag",
        {"article": article.number, "note": "Tray 2 no longer exists"},
    )
    (flag,) = db.session.scalars(select(ArticleFlag)).all()
    assert flag.ticket_id == incident.id
    sign_in_as(client, "author")
    assert "Tray 2 no longer exists" in client.get("/kb/mine").get_data(as_text=True)
    client.post(f"/kb/flags/{flag.id}/resolve")
    db.session.expire_all()
    assert db.session.get(ArticleFlag, flag.id).resolved_at is not None


def test_employees_cannot_use_the_panel(client: Any, db: Any, people: Any) -> None:
    incident = incident_for(db, people)
    sign_in_as(client, "emp")
    assert client.get(f"/kb/incidents/{incident.number}/panel").status_code == 403
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert "/kb/incidents/" not in page


def test_the_article_sent_to_a_caller_is_worded_in_their_language(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    article = make_article("Printer jams: clear tray 2")
    people.employee.language = "sv"
    incident = incident_for(db, people)
    sign_in_as(client, "author")
    client.post(f"/kb/incidents/{incident.number}/reply/{article.number}")
    replies = db.session.scalars(
        select(JournalEntry).where(JournalEntry.ticket_id == incident.id)
    ).all()
    sent = [r.body for r in replies if f"/kb/{article.number}" in (r.body or "")]
    assert len(sent) == 1
    assert sent[0].startswith("Den här artikeln bör hjälpa: Printer jams")

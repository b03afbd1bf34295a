"""Suggestions beside the report form, and deflection counted once per attempt."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.incidents.models import Incident
from app.kb import services
from app.kb.models import AttemptOutcome, DeflectionAttempt
from tests.kb.helpers import sign_in_as


def attempts(db: Any) -> list[DeflectionAttempt]:
    db.session.expire_all()
    return list(db.session.scalars(select(DeflectionAttempt).order_by(DeflectionAttempt.id)))


def test_the_report_form_asks_for_suggestions(client: Any, db: Any, people: Any) -> None:
    sign_in_as(client, "emp")
    page = client.get("/incidents/report").get_data(as_text=True)
    assert 'hx-get="/kb/suggest"' in page
    assert "delay:400ms" in page  # debounced


def test_this_solved_my_problem_counts_once(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    article = make_article("VPN does not connect", keywords="vpn anyconnect")
    sign_in_as(client, "emp")
    page = client.get("/kb/suggest?short_description=my+vpn+is+broken").get_data(as_text=True)
    assert "VPN does not connect" in page
    assert "This solved my problem" in page
    client.get(f"/kb/{article.number}")  # opened from the suggestions
    assert client.post(f"/kb/{article.number}/solved").status_code == 302
    assert client.post(f"/kb/{article.number}/solved").status_code == 302  # a second click
    (attempt,) = attempts(db)
    assert attempt.outcome == AttemptOutcome.SOLVED
    assert attempt.solved_by_id == article.id
    assert not services.end_attempt(attempt, AttemptOutcome.SOLVED, article)  # once only
    row = services.deflection_report()["article"][0]
    assert (row.attempts, row.solved, row.possible, row.tickets) == (1, 1, 0, 0)
    assert row.rate == 1.0


def test_an_attempt_that_becomes_a_ticket_is_not_deflected(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    article = make_article("Outlook asks for password", keywords="outlook mail")
    sign_in_as(client, "emp")
    client.get("/kb/suggest?short_description=outlook+password")
    client.get(f"/kb/{article.number}")
    client.get("/incidents/report")
    response = client.post(
        "/incidents/report",
        {"short_description": "Outlook password prompt", "urgency": "3", "service": ""},
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 1
    (attempt,) = attempts(db)
    assert attempt.outcome == AttemptOutcome.TICKET
    row = services.deflection_report()["article"][0]
    assert (row.attempts, row.solved, row.possible, row.tickets) == (1, 0, 0, 1)
    assert row.rate == 0


def test_a_refused_report_leaves_the_attempt_open(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    """The attempt ends with the incident that the report opens, in its transaction: a report
    refused for a missing title opens none and ends nothing; sent again, it ends the attempt."""
    make_article("Outlook asks for password", keywords="outlook mail")
    sign_in_as(client, "emp")
    client.get("/kb/suggest?short_description=outlook+password")
    client.get("/incidents/report")
    refused = client.post("/incidents/report", {"short_description": "", "urgency": "3"})
    assert refused.status_code == 422
    (attempt,) = attempts(db)
    assert attempt.outcome == AttemptOutcome.OPEN
    client.get("/incidents/report")
    sent = client.post(
        "/incidents/report", {"short_description": "Outlook password", "urgency": "3"}
    )
    assert sent.status_code == 302
    (attempt,) = attempts(db)
    assert attempt.outcome == AttemptOutcome.TICKET
    assert attempt.ended_at is not None


def test_opened_and_left_is_a_possible_deflection(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    category = services.KbCategory(name="Network")
    db.session.add(category)
    db.session.commit()
    article = make_article("Wifi drops", keywords="wifi wireless", category_id=category.id)
    sign_in_as(client, "emp")
    client.get("/kb/suggest?short_description=wifi+drops")
    client.get(f"/kb/{article.number}")
    report = services.deflection_report()
    assert report["article"][0].possible == 1
    assert report["category"][0].label == "Network"
    assert report["category"][0].rate == 1.0
    assert report["service"][0].label == "No service"


def test_no_attempt_without_suggestions(client: Any, db: Any, people: Any) -> None:
    sign_in_as(client, "emp")
    client.get("/kb/suggest?short_description=nothing+matches+here")
    assert attempts(db) == []


def test_the_deflection_page_is_for_knowledge_managers(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    sign_in_as(client, "author")
    assert client.get("/kb/deflection").status_code == 403
    sign_in_as(client, "manager")
    assert client.get("/kb/deflection").status_code == 200


def test_a_catalog_search_shows_matching_articles(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    make_article("Request a VPN token", keywords="vpn token remote")
    sign_in_as(client, "emp")
    page = client.get("/requests/catalog?q=vpn").get_data(as_text=True)
    assert 'hx-get="/kb/suggest?q=vpn"' in page
    assert "Request a VPN token" in client.get("/kb/suggest?q=vpn").get_data(as_text=True)
    assert "kb-suggestions" not in client.get("/requests/catalog").get_data(as_text=True)

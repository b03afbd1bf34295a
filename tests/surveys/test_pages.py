"""The survey pages: the portal's question on the ticket page, the mail link signed out, the
refusals (4xx, never a 500), IT staff's view of scores, the settings and the report (both
databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.incidents import services as incidents
from app.incidents.workflow import State, Transition
from app.notifications import mailing
from app.notifications.models import Notification
from app.surveys import links, services
from app.timeutils import utc_now
from tests.conftest import Client


@pytest.fixture
def asked(db, desk, resolve, survey_of):
    """The caller's incident, resolved: its survey (sent)."""
    resolve(desk.incident, desk.agent)
    return survey_of(desk.incident)


def test_the_caller_answers_on_the_ticket_page_and_may_reopen(client, db, desk, asked, survey_of):
    client.login(desk.caller.username)
    page = client.get(f"/incidents/{desk.incident.number}").get_data(as_text=True)
    assert "How did we do?" in page
    assert f'action="/surveys/{asked.id}"' in page
    response = client.post(
        f"/surveys/{asked.id}", {"score": "2", "comment": "Took a week.", "version": asked.version}
    )
    assert response.status_code == 303
    survey = survey_of(desk.incident)
    assert (survey.score, survey.comment, survey.answered_via) == (2, "Took a week.", "portal")
    page = client.get(f"/incidents/{desk.incident.number}").get_data(as_text=True)
    assert "You answered" in page
    assert "Took a week." in page
    assert "reopen the ticket" in page
    assert f'href="/incidents/{desk.incident.number}#resolved-title"' in page


def test_a_good_score_offers_no_reopen(client, db, desk, asked):
    client.login(desk.caller.username)
    client.post(f"/surveys/{asked.id}", {"score": "5", "comment": ""})
    page = client.get(f"/surveys/{asked.id}").get_data(as_text=True)
    assert "You answered" in page
    assert "reopen the ticket" not in page


def test_the_mail_carries_one_link_per_face_that_works_signed_out(client, db, desk, asked):
    note = db.session.scalar(
        select(Notification).where(
            Notification.recipient_id == desk.caller.id, Notification.kind == "survey"
        )
    )
    mail = mailing.render(note)
    assert mail.subject == f"How did we do on {desk.incident.number}? Printer jams on every page"
    urls = [line.split(": ", 1)[1] for line in mail.text.splitlines() if line[:2] in {"1 ", "2 "}]
    assert len(urls) == 2
    assert all("/surveys/answer/" in u for u in urls)
    path = urls[1].removeprefix("http://localhost:5000")
    assert path.endswith("score=2")
    page = client.get(path)  # signed out
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="2" autocomplete="off" checked' in html  # the face chosen in the mail
    assert services.survey_of(desk.incident).score is None  # opening answers nothing
    token = path.split("/answer/")[1].split("?")[0]
    response = client.post(f"/surveys/answer/{token}", {"score": "2", "comment": "Slow."})
    assert response.status_code == 303
    db.session.expire_all()
    assert services.survey_of(desk.incident).answered_via == "link"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "sign in and reopen the ticket" in html


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"score": "0"}, "Choose one of the five faces"),
        ({"score": "6"}, "Choose one"),
        ({"score": "x"}, "Choose one"),
        ({}, "Choose one"),
        ({"score": "3", "comment": "y" * 10_000}, "Keep it under 2000 characters"),
    ],
)
def test_bad_answers_are_422_with_the_reason(client, db, desk, asked, survey_of, form, message):
    client.login(desk.caller.username)
    response = client.post(f"/surveys/{asked.id}", form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert survey_of(desk.incident).score is None


def test_nul_bytes_never_reach_the_database(client, db, desk, asked, survey_of):
    client.login(desk.caller.username)
    response = client.post(f"/surveys/{asked.id}", {"score": "4\x00", "comment": "o\x00k"})
    assert response.status_code in (303, 422)
    comment = survey_of(desk.incident).comment
    assert "\x00" not in (comment or "")


def test_tampered_and_expired_links(app, client, db, desk, asked, monkeypatch):
    with app.app_context():
        token = links.token(asked)
    bad = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = client.get(f"/surveys/answer/{bad}")
    assert response.status_code == 403
    assert "not valid" in response.get_data(as_text=True)
    assert client.post(f"/surveys/answer/{bad}", {"score": "5"}).status_code == 403
    assert client.get("/surveys/answer/%00%00").status_code == 403
    monkeypatch.setitem(app.config, "SURVEY_LINK_DAYS", -1)
    response = client.get(f"/surveys/answer/{token}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_someone_elses_survey_is_refused(client, db, desk, asked, survey_of):
    client.login(desk.other.username)
    assert client.get(f"/surveys/{asked.id}").status_code == 403
    assert client.post(f"/surveys/{asked.id}", {"score": "1"}).status_code == 403
    assert client.get("/surveys/999999").status_code == 404
    assert survey_of(desk.incident).score is None


def test_after_the_edit_window_and_after_a_reopen_409(client, db, desk, asked, survey_of):
    services.answer(asked, score=4, comment="", by=desk.caller, via="portal")
    asked.answered_at = utc_now() - timedelta(days=3, minutes=1)  # the window is 3 days
    db.session.commit()
    client.login(desk.caller.username)
    response = client.post(f"/surveys/{asked.id}", {"score": "1"})
    assert response.status_code == 409
    assert "can no longer be" in response.get_data(as_text=True)
    incidents.change_state(desk.incident, Transition(State.IN_PROGRESS), actor=desk.caller)
    db.session.commit()
    response = client.post(f"/surveys/{asked.id}", {"score": "1"})
    assert response.status_code == 409
    assert "reopened since" in response.get_data(as_text=True)
    assert survey_of(desk.incident).score == 4
    page = client.get(f"/incidents/{desk.incident.number}").get_data(as_text=True)
    assert "How did we do?" not in page  # no survey on a reopened ticket


def test_it_staff_see_the_score_on_the_incident_and_employees_never(
    app, client, db, desk, asked, make_user
):
    services.answer(asked, score=2, comment="Took a week.", by=desk.caller, via="portal")
    db.session.commit()
    client.login(desk.agent.username)
    page = client.get(f"/incidents/{desk.incident.number}").get_data(as_text=True)
    assert "Satisfaction" in page
    assert "2/5" in page
    assert "Took a week." in page
    assert "Low score" in page
    watcher = make_user()
    from app.tickets import services as tickets

    tickets.watch(desk.incident, watcher)
    db.session.commit()
    client = Client(app.test_client())
    assert client.login(watcher.username).status_code == 302
    response = client.get(f"/incidents/{desk.incident.number}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Took a week." not in page
    assert "2/5" not in page
    assert "How did we do?" not in page
    assert client.get("/surveys/report").status_code == 403


def test_the_settings_page(client, db, signed_in):
    client, _admin = signed_in("admin")
    assert client.get("/surveys/settings").status_code == 200
    values = {
        "percentage": "25",
        "once_per_days": "30",
        "delay_hours": "2",
        "low_score": "1",
        "edit_days": "5",
    }
    response = client.post("/surveys/settings", values)
    assert response.status_code == 302
    row = services.settings()
    assert (row.percentage, row.once_per_days, row.delay_hours, row.low_score, row.edit_days) == (
        25,
        30,
        2,
        1,
        5,
    )
    for bad in (
        {"percentage": "101"},
        {"percentage": "x"},
        {"low_score": "5"},
        {"delay_hours": "9" * 10_000},
        {"edit_days": "-1"},
    ):
        response = client.post("/surveys/settings", {**values, **bad})
        assert response.status_code == 422, bad
    db.session.expire_all()
    assert services.settings().percentage == 25


def test_only_admins_change_settings(client, db, signed_in):
    client, _agent = signed_in("agent")
    assert client.get("/surveys/settings").status_code == 403


def test_the_report_page_shows_the_figures(client, db, desk, asked, signed_in):
    services.answer(asked, score=5, comment="Quick and kind.", by=desk.caller, via="portal")
    db.session.commit()
    client.login(desk.agent.username)
    page = client.get("/surveys/report?days=30").get_data(as_text=True)
    assert "By agent" in page
    assert desk.agent.display_name in page
    assert "Printing" in page
    assert "Hardware" in page
    assert "Service Desk" in page
    assert "Quick and kind." in page
    assert "100%" in page  # response rate and CSAT of the one answer
    assert client.get("/surveys/report?days=%00").status_code == 200


def test_a_request_items_survey_is_on_the_request_page(
    app, client, db, org, make_item, place, survey_of
):
    from app.requests.fulfilment.services import close_item
    from app.requests.states import CloseCode

    item = place(make_item(name="Docking station"))
    close_item(item, CloseCode.COMPLETE, org.ada, utc_now())
    db.session.commit()
    survey = survey_of(item)
    client.login(item.caller.username)
    page = client.get(f"/requests/{item.request.number}").get_data(as_text=True)
    assert "How did we do?" in page
    response = client.post(f"/surveys/{survey.id}", {"score": "1", "comment": "Wrong model."})
    assert response.status_code == 303
    page = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert "Wrong model." in page
    assert "reopen the ticket" not in page  # a request item has no reopen: none offered


def test_the_managers_mail_says_the_score(db, desk, asked):
    services.answer(asked, score=1, comment="Nobody called back.", by=desk.caller, via="portal")
    db.session.commit()
    note = db.session.scalar(select(Notification).where(Notification.kind == "low_score"))
    assert note.recipient_id == desk.manager.id
    mail = mailing.render(note)
    assert mail.subject == (
        f"{desk.caller.display_name} gave {desk.incident.number} a low score (1/5): "
        "Printer jams on every page"
    )
    assert f"http://localhost:5000/incidents/{desk.incident.number}" in mail.text

"""The weekly report mail: people subscribe on /reports/weekly; ``flask reports mail-weekly``
mails each the last full week's figures through the outbox to a real SMTP server, once a week,
on or after their weekday, with a signed link to stop it (both databases)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.reports.subscriptions import links
from app.reports.subscriptions.mailing import send_weekly
from app.reports.subscriptions.models import Mailing, Subscription
from tests.conftest import Client
from tests.reports import weekly_fixtures
from tests.reports.weekly_fixtures import WEDNESDAY, at

ticket_at = weekly_fixtures.ticket_at
week_of_tickets = weekly_fixtures.week_of_tickets

MONDAY, FRIDAY = "0", "4"


def subscribe(client: Any, report: str = "desk", weekday: str = MONDAY) -> Any:
    return client.post("/reports/weekly/subscribe", {"report": report, "weekday": weekday})


def text_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content()).replace("\r\n", "\n")


def subscribed_with_token(app: Any, db: Any, signed_in: Any) -> tuple[Any, str]:
    """An agent's client, subscribed to the desk's mail, and the subscription's signed token."""
    signed, _agent = signed_in("agent")
    subscribe(signed)
    subscription = db.session.scalars(select(Subscription)).one()
    with app.app_context():
        return signed, links.token(subscription)


def run(db: Any, now: Any) -> int:
    sent = send_weekly(now)
    db.session.commit()  # the outbox delivers after the commit
    return sent


def test_a_swedish_subscriber_reads_the_page_and_the_mail_in_swedish(
    db, signed_in, week_of_tickets, sending
) -> None:
    client, agent = signed_in("agent")
    agent.email = "agent@example.org"
    agent.language = "sv"
    db.session.commit()
    subscribe(client, weekday=FRIDAY)
    page = client.get("/reports/weekly").get_data(as_text=True)
    assert "Veckosiffror" in page
    assert "Du kommer att få ”Servicedeskens veckosiffror” varje fredag." in page

    assert run(db, WEDNESDAY + timedelta(days=2)) == 1
    [message] = sending.messages()
    assert message["Subject"] == "Veckorapport: Servicedeskens veckosiffror, 30 nov. till 6 dec."
    text = text_of(message)
    assert text.startswith("Hej ")
    assert "veckan från måndag 30 nov. till söndag 6 dec. 2026" in text
    assert "varje fredag" in text


def test_the_weekly_page_follows_the_browser_language(signed_in) -> None:
    client, _agent = signed_in("agent")
    swedish = client.get("/reports/weekly", headers={"Accept-Language": "sv"})
    assert "Veckosiffror" in swedish.get_data(as_text=True)
    english = client.get("/reports/weekly").get_data(as_text=True)
    assert "Weekly figures" in english
    assert "Veckosiffror" not in english


def test_a_subscriber_gets_the_week_figures_once_a_week(
    db, signed_in, week_of_tickets, sending
) -> None:
    client, agent = signed_in("agent")
    agent.email = "agent@example.org"
    db.session.commit()
    response = subscribe(client)
    assert response.status_code == 302
    page = client.get("/reports/weekly").get_data(as_text=True)
    assert "You will receive &#39;Weekly figures of the desk&#39; every Monday." in page

    assert run(db, WEDNESDAY) == 1
    [message] = sending.messages()
    assert message["To"].addresses[0].addr_spec == "agent@example.org"
    assert message["Subject"] == "Weekly report: Weekly figures of the desk, 30 Nov to 6 Dec"
    text = text_of(message)
    assert "- Opened: 2\n" in text
    assert "- Resolved or closed: 2\n" in text
    assert "- Backlog at the end of the week: 3\n" in text
    assert "http://localhost:5000/reports/weekly" in text

    assert run(db, WEDNESDAY + timedelta(hours=3)) == 0  # the same week: nothing more
    assert run(db, WEDNESDAY + timedelta(days=7)) == 1  # next week's
    assert len(sending.messages()) == 2


def test_the_mail_waits_for_the_chosen_weekday(db, signed_in, sending) -> None:
    client, agent = signed_in("agent")
    agent.email = "agent@example.org"
    db.session.commit()
    subscribe(client, weekday=FRIDAY)
    assert run(db, WEDNESDAY) == 0
    assert run(db, WEDNESDAY + timedelta(days=2)) == 1
    assert db.session.scalar(select(func.count()).select_from(Mailing)) == 1


def test_people_count_only_the_tickets_they_may_see(
    db, signed_in, ticket_at, week_of_tickets, make_user
) -> None:
    client, owner = signed_in("service_owner")
    owner.email = "owner@example.org"
    db.session.commit()
    ticket_at(at("2026-12-02"), caller=owner)  # the one ticket of theirs
    subscribe(client)
    assert run(db, WEDNESDAY) == 1
    from app.mail.outgoing.models import OutboundMail

    mail = db.session.scalars(
        select(OutboundMail).where(OutboundMail.kind == "weekly_report")
    ).one()
    assert "- Opened: 1\n" in mail.text_body
    assert "- Backlog at the end of the week: 1\n" in mail.text_body


def test_a_saved_view_is_mailed_under_its_name_until_it_is_deleted(db, signed_in) -> None:
    client, agent = signed_in("agent")
    agent.email = "agent@example.org"
    db.session.commit()
    client.post(
        "/reports/saved",
        {"name": "Last quarter", "endpoint": "reports.weekly", "query": "weeks=12"},
    )
    view_id = client.get("/reports/saved").get_data(as_text=True)
    [view_id] = re.findall(r'/reports/saved/(\d+)"', view_id)
    assert subscribe(client, report=f"saved:{view_id}").status_code == 302
    assert run(db, WEDNESDAY) == 1
    from app.mail.outgoing.models import OutboundMail

    mail = db.session.scalars(select(OutboundMail)).one()
    assert mail.subject.startswith("Weekly report: Last quarter, ")
    assert f"http://localhost:5000/reports/saved/{view_id}" in mail.text_body
    client.post(f"/reports/saved/{view_id}/delete")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0


def test_subscribing_again_moves_the_day_and_stop_ends_it(db, signed_in) -> None:
    client, agent = signed_in("agent")
    subscribe(client, weekday=MONDAY)
    subscribe(client, weekday=FRIDAY)
    [subscription] = db.session.scalars(select(Subscription)).all()
    assert subscription.weekday == 4
    page = client.get("/reports/weekly").get_data(as_text=True)
    assert "every Friday" in page
    assert client.post(f"/reports/weekly/{subscription.id}/stop").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0


def test_the_signed_link_stops_the_mail_after_asking(app, db, signed_in, client) -> None:
    signed, token = subscribed_with_token(app, db, signed_in)
    signed.post("/logout")
    url = f"/reports/unsubscribe/{token}"
    page = client.get(url)
    assert page.status_code == 200
    assert "Stop the weekly report mail?" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 1  # GET asks
    done = client.post(url)
    assert "You will no longer receive this weekly report" in done.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0
    again = client.get(url).get_data(as_text=True)
    assert "This weekly report mail has already stopped." in again


def test_a_tampered_or_expired_link_is_refused(app, db, signed_in, client, monkeypatch) -> None:
    _signed, token = subscribed_with_token(app, db, signed_in)
    tampered = client.get(f"/reports/unsubscribe/{token[:-3]}xyz")
    assert tampered.status_code == 403
    assert "This unsubscribe link is not valid" in tampered.get_data(as_text=True)
    monkeypatch.setattr(links, "VALID_FOR", timedelta(days=-1))
    assert client.get(f"/reports/unsubscribe/{token}").status_code == 410
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 1


def test_bad_subscriptions_are_refused_with_a_message(db, signed_in, make_user) -> None:
    client, _agent = signed_in("agent")
    wrong_day = subscribe(client, weekday="9")
    assert wrong_day.status_code == 422
    assert "Choose a day of the week." in wrong_day.get_data(as_text=True)
    unknown = subscribe(client, report="saved:999999")
    assert unknown.status_code == 422
    assert "You have no saved view with this number." in unknown.get_data(as_text=True)
    assert subscribe(client, report="everything").status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0


def test_nobody_stops_another_persons_mail_and_employees_have_none(
    app, db, signed_in, make_user
) -> None:
    first, _ann = signed_in("agent")
    subscribe(first)
    subscription = db.session.scalars(select(Subscription)).one()
    second = Client(app.test_client())
    second.login(make_user(roles=["agent"]).username)
    assert second.post(f"/reports/weekly/{subscription.id}/stop").status_code == 404
    employee = Client(app.test_client())
    employee.login(make_user(roles=["employee"]).username)
    assert employee.get("/reports/weekly").status_code == 403
    assert subscribe(employee).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 1


def test_the_command_sends_what_is_due(app, db, signed_in) -> None:
    client, agent = signed_in("agent")
    agent.email = "agent@example.org"
    db.session.commit()
    subscribe(client, weekday=MONDAY)  # due whatever the day the test runs
    result = app.test_cli_runner().invoke(args=["reports", "mail-weekly"])
    assert result.output == "1 weekly report mail(s) queued.\n"
    again = app.test_cli_runner().invoke(args=["reports", "mail-weekly"])
    assert again.output == "0 weekly report mail(s) queued.\n"


def test_the_weekly_page_charts_the_weeks_and_exports_them(
    db, signed_in, week_of_tickets, monkeypatch
) -> None:
    from app.reports.subscriptions import views

    monkeypatch.setattr(views, "utc_now", lambda: WEDNESDAY)
    client, _agent = signed_in("agent")
    page = client.get("/reports/weekly?weeks=4")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<caption>Tickets per week</caption>" in html
    assert '<th scope="row" class="fw-normal">2026-W49</th><td class="text-end">2</td>' in html
    csv = client.get("/reports/weekly?weeks=4&export=weekly&format=csv", buffered=True)
    assert csv.headers["Content-Disposition"] == "attachment; filename=tickets-per-week-4.csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "Week,Opened,Resolved or closed,Backlog at the end"
    assert lines[1:] == [
        "2026-W46,0,0,0",
        "2026-W47,1,0,1",
        "2026-W48,2,0,3",
        "2026-W49,2,2,3",
    ]
    xlsx = client.get("/reports/weekly?weeks=4&export=weekly&format=xlsx", buffered=True)
    assert xlsx.status_code == 200
    assert xlsx.data[:2] == b"PK"


def test_bad_arguments_of_the_weekly_page_get_a_message(db, signed_in) -> None:
    client, _agent = signed_in("agent")
    odd = client.get("/reports/weekly?weeks=5")
    assert odd.status_code == 422
    assert "Show 4, 8, 12, 26 weeks, not &#39;5&#39;; here are 8." in odd.get_data(as_text=True)
    assert client.get("/reports/weekly?weeks=5&export=weekly&format=csv").status_code == 422
    assert client.get("/reports/weekly?export=nothing&format=csv").status_code == 404
    pdf = client.get("/reports/weekly?export=weekly&format=pdf")
    assert pdf.status_code == 422
    assert "Exports are CSV or XLSX, not “pdf”." in pdf.get_data(as_text=True)


def test_a_group_manager_gets_the_report_measures_of_their_queue(db, make_user) -> None:
    from app.auth import groups
    from app.incidents import services as incidents
    from app.mail.outgoing.models import OutboundMail
    from app.reports.subscriptions import services

    admin = make_user(roles=["admin"])
    manager = make_user(roles=["agent"], email="manager@example.org")
    caller = make_user()
    mine = groups.create_group(
        actor=admin, name="Service Desk", is_assignment_group=True, manager_id=manager.id
    )
    theirs = groups.create_group(actor=admin, name="Network", is_assignment_group=True)
    for day, group in [
        ("2026-12-01", mine),
        ("2026-12-02", mine),
        ("2026-12-02", theirs),  # not their queue
        ("2026-12-08", mine),  # after the week
    ]:
        incidents.open_incident(
            caller=caller,
            opened_by=caller,
            short_description="Printer jams",
            assignment_group=group,
            now=at(day),
        )
    db.session.commit()
    services.subscribe(manager, report="desk", weekday=0)
    db.session.commit()
    assert run(db, WEDNESDAY) == 1
    text = db.session.scalars(select(OutboundMail.text_body)).one()
    assert "- Tickets opened: 2\n" in text
    assert "- Tickets resolved: 0\n" in text
    assert "- Backlog at the end of the week: 2\n" in text
    assert "- SLA compliance: —\n" in text


def test_the_mail_offers_one_click_unsubscribe_and_a_mail_client_stops_it(
    app, db, signed_in, client, week_of_tickets, sending
) -> None:
    """RFC 8058: the header names a signed URL; the client POSTs the one-click body there
    without cookies or a CSRF token, and the mail stops."""
    signed, agent = signed_in("agent")
    agent.email = "agent@example.org"
    db.session.commit()
    subscribe(signed)
    assert run(db, WEDNESDAY) == 1
    [message] = sending.messages()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    found = re.fullmatch(r"<(http://localhost:5000/reports/unsubscribe/[^>]+/one-click)>",
                         message["List-Unsubscribe"])  # fmt: skip
    assert found is not None
    path = found.group(1).removeprefix("http://localhost:5000")

    assert client.get(path).status_code == 405  # a link scanner's GET stops nothing
    wrong = client.post(path, {"List-Unsubscribe": "Yes"}, csrf=False)
    assert wrong.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 1

    done = client.post(path, {"List-Unsubscribe": "One-Click"}, csrf=False)
    assert done.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0
    again = client.post(path, {"List-Unsubscribe": "One-Click"}, csrf=False)
    assert again.status_code == 200  # twice is no error
    assert run(db, WEDNESDAY + timedelta(days=7)) == 0


def test_a_tampered_one_click_link_stops_nothing(app, db, signed_in, client) -> None:
    _signed, token = subscribed_with_token(app, db, signed_in)
    body = {"List-Unsubscribe": "One-Click"}
    tampered = client.post(f"/reports/unsubscribe/{token[:-3]}xyz/one-click", body, csrf=False)
    assert tampered.status_code == 403
    assert "not valid" in tampered.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 1

"""The administrators' mail outbox: what an admin sees of the mails the desk wrote, a mail's
headers and text, and "Retry now"."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.mail.outgoing.models import MailState, OutboundMail
from app.mail.outgoing.services import mark_bouncing, queue_mail
from app.outbox.models import OutboxMessage, OutboxState
from app.timeutils import utc_now
from tests.conftest import count_queries

TOKEN = re.compile(r'name="submission_token" type="hidden" value="([0-9a-f]{32})"')


@pytest.fixture
def admin(signed_in):
    client, _user = signed_in("admin")
    return client


@pytest.fixture
def incident(make_user, db):
    from app.incidents import services

    caller = make_user("kim", email="kim@example.org")
    incident = services.open_incident(caller=caller, opened_by=caller, short_description="VPN")
    db.session.commit()
    return incident


def test_the_outbox_lists_recorded_mail_newest_first(admin, db, incident):
    queue_mail(to_address="kim@example.org", subject="First", text="1", ticket=incident)
    queue_mail(to_address="lee@example.org", subject="Second", text="2")
    db.session.commit()
    page = admin.get("/mail/outbox").get_data(as_text=True)
    assert "No SMTP server is configured" in page
    assert page.index("Second") < page.index(f"[{incident.number}] First")
    assert f'href="/incidents/{incident.number}"' in page
    assert "kim@example.org" in page
    assert "Recorded" in page
    assert 'href="/mail/outbox"' in page  # the navigation's link


def test_the_outbox_filters_by_state_and_ignores_nonsense(admin, db):
    queue_mail(to_address="kim@example.org", subject="Recorded one", text="1")
    mark_bouncing("lee@example.org", "550 unknown user", utc_now())
    queue_mail(to_address="lee@example.org", subject="Dead one", text="2")
    db.session.commit()
    page = admin.get("/mail/outbox?state=dead").get_data(as_text=True)
    assert "Dead one" in page
    assert "Recorded one" not in page
    assert "bouncing" in page
    page = admin.get("/mail/outbox?state=nonsense").get_data(as_text=True)
    assert "were not understood" in page
    assert "Dead one" in page
    assert "Recorded one" in page


def test_the_outbox_reads_a_page_in_a_few_queries(admin, db, incident):
    for n in range(30):
        queue_mail(to_address=f"p{n}@example.org", subject=f"Mail {n}", text="x", ticket=incident)
    db.session.commit()
    with count_queries() as statements:
        response = admin.get("/mail/outbox?per_page=25")
    assert response.status_code == 200
    assert len(statements) <= 12, statements


def test_a_mail_page_shows_headers_and_text_and_never_renders_html(admin, db, incident):
    mail = queue_mail(
        to_address="kim@example.org",
        subject="Resolved",
        text="Your VPN works again.",
        html='<p>Works</p><script>alert("x")</script>',
        ticket=incident,
    )
    db.session.commit()
    page = admin.get(f"/mail/outbox/{mail.id}").get_data(as_text=True)
    assert mail.message_id.replace("<", "&lt;").replace(">", "&gt;") in page
    assert "Auto-Submitted" in page
    assert "auto-generated" in page
    assert f"&lt;{incident.number}.ticket@localhost&gt;" in page  # References: the thread root
    assert "Your VPN works again." in page
    assert "&lt;script&gt;alert(" in page
    assert "<script>alert(" not in page
    assert "Retry now" not in page  # a recorded mail has nothing to retry


def test_a_missing_mail_is_a_404(admin, db):
    assert admin.get("/mail/outbox/999999").status_code == 404


def test_agents_may_not_see_the_outbox(signed_in):
    client, _user = signed_in("agent")
    assert client.get("/mail/outbox").status_code == 403


def test_retry_now_sends_a_dead_mail_once(admin, db, sending):
    sending.rcpt_reply = "550 5.7.1 Relaying denied"
    mail = queue_mail(to_address="kim@example.org", subject="Retry me", text="x")
    db.session.commit()
    page = admin.get(f"/mail/outbox/{mail.id}").get_data(as_text=True)
    assert "550 5.7.1 Relaying denied" in page
    token = TOKEN.search(page).group(1)
    sending.rcpt_reply = None
    response = admin.post(f"/mail/outbox/{mail.id}/retry", {"submission_token": token})
    assert response.status_code == 302
    page = admin.get(response.location).get_data(as_text=True)
    assert "queued to be sent again" in page
    assert "Sent" in page
    again = admin.post(f"/mail/outbox/{mail.id}/retry", {"submission_token": token})
    assert again.status_code in (302, 303)  # the replay sends nothing
    assert len(sending.received) == 1
    db.session.expire_all()
    assert db.session.get(OutboundMail, mail.id).state == MailState.SENT


def test_retry_is_refused_for_a_mail_that_did_not_fail(admin, db, sending):
    mail = queue_mail(to_address="kim@example.org", subject="Fine", text="x")
    db.session.commit()
    response = admin.post(f"/mail/outbox/{mail.id}/retry")
    assert response.status_code == 422
    assert "A sent mail cannot be retried." in response.get_data(as_text=True)
    assert len(sending.received) == 1


def test_the_outbox_shows_other_dead_side_effects_with_their_reason(admin, db):
    db.session.add(
        OutboxMessage(
            kind="directory.group_member",
            payload={},
            state=OutboxState.DEAD,
            attempts=8,
            last_error="LDAPInsufficientAccessRightsResult: no write access",
        )
    )
    db.session.commit()
    page = admin.get("/mail/outbox").get_data(as_text=True)
    assert "directory.group_member" in page
    assert "no write access" in page
    assert db.session.scalars(select(OutboxMessage)).one().state == OutboxState.DEAD


def test_an_admin_clears_a_bounce_and_mail_to_the_address_is_sent_again(admin, db, sending):
    from app.audit import AuditEvent
    from app.mail.outgoing.services import is_bouncing

    mark_bouncing("kim@example.org", "550 5.1.1 user unknown", utc_now())
    mail = queue_mail(to_address="kim@example.org", subject="Stopped", text="x")
    db.session.commit()
    page = admin.get(f"/mail/outbox/{mail.id}").get_data(as_text=True)
    assert "bounces since" in page
    assert "550 5.1.1 user unknown" in page
    response = admin.post(f"/mail/outbox/{mail.id}/clear-bounce")
    assert response.status_code == 302
    assert "not marked as bouncing any more" in admin.get(response.location).get_data(as_text=True)
    assert not is_bouncing("kim@example.org")
    assert admin.post(f"/mail/outbox/{mail.id}/clear-bounce").status_code == 302  # twice: fine
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "bounce_cleared")
    ).one()
    assert event.object_type == "mail_address"
    queue_mail(to_address="kim@example.org", subject="Goes out", text="x")
    db.session.commit()
    assert [r.message["Subject"] for r in sending.received] == ["Goes out"]


def test_retry_is_refused_without_an_smtp_server(admin, db, app, monkeypatch):
    mark_bouncing("kim@example.org", "550 gone", utc_now())
    mail = queue_mail(to_address="kim@example.org", subject="Dead", text="x")
    db.session.commit()
    assert mail.state == MailState.DEAD
    response = admin.post(f"/mail/outbox/{mail.id}/retry")
    assert response.status_code == 422
    assert "No SMTP server is configured" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(OutboundMail, mail.id).state == MailState.DEAD

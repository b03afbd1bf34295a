"""Faults on the way out: the SMTP server down for a while, hanging, or a worker killed in the
middle of a send. Each time every mail reaches the server exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app.mail.outgoing.delivery import SEND
from app.mail.outgoing.models import MailState, OutboundMail
from app.mail.outgoing.services import queue_mail, retry_mail
from app.outbox import deliver_due, enqueue
from app.outbox.models import OutboxMessage, OutboxState
from app.outbox.services import LEASE
from app.timeutils import utc_now
from tests import conftest
from tests.conftest import build_app, migrate
from tests.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[2]


def states(db) -> list[MailState]:
    return [m.state for m in db.session.scalars(select(OutboundMail).order_by(OutboundMail.id))]


def test_mail_queued_while_the_server_is_down_goes_out_once_when_it_is_back(db, sending):
    sending.stop()
    for n in range(3):
        queue_mail(to_address=f"person{n}@example.org", subject=f"Mail {n}", text="x")
        db.session.commit()  # each delivered inline after its commit, and failing
    assert states(db) == [MailState.FAILED] * 3
    assert all(
        "ConnectionRefusedError" in m.last_error for m in db.session.scalars(select(OutboundMail))
    )

    sending.start()
    assert deliver_due() == 0  # nothing is due before the backoff ends
    assert deliver_due(utc_now() + timedelta(seconds=31)) == 3
    assert sorted(r.rcpt_tos[0] for r in sending.received) == [
        "person0@example.org",
        "person1@example.org",
        "person2@example.org",
    ]
    assert states(db) == [MailState.SENT] * 3
    assert deliver_due(utc_now() + timedelta(days=1)) == 0
    assert len(sending.received) == 3


def test_a_hanging_server_times_out_and_the_mail_goes_out_once_later(app, db, sending, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 1)
    sending.stalling.set()
    mail = queue_mail(to_address="kim@example.org", subject="Slow", text="x")
    db.session.commit()
    db.session.refresh(mail)
    assert mail.state == MailState.FAILED
    assert "timed out" in mail.last_error
    sending.release()
    assert deliver_due(utc_now() + timedelta(seconds=31)) == 1
    db.session.refresh(mail)
    assert mail.state == MailState.SENT
    assert len(sending.received) == 1  # the timed-out attempt was never accepted


def test_a_sent_mail_is_never_sent_again(db, sending):
    mail = queue_mail(to_address="kim@example.org", subject="Once", text="x")
    db.session.commit()
    enqueue(SEND, {"id": mail.id})  # a duplicate delivery (at-least-once)
    db.session.commit()
    assert len(sending.received) == 1
    assert [m.state for m in db.session.scalars(select(OutboxMessage))] == [OutboxState.DONE] * 2


def test_retry_now_sends_a_dead_mail_again(db, sending):
    sending.rcpt_reply = "550 5.7.1 Relaying denied"
    mail = queue_mail(to_address="kim@example.org", subject="Again", text="x")
    db.session.commit()
    db.session.refresh(mail)
    assert mail.state == MailState.DEAD
    sending.rcpt_reply = None
    retry_mail(mail)
    db.session.commit()
    db.session.refresh(mail)
    assert mail.state == MailState.SENT
    assert mail.last_error is None
    assert len(sending.received) == 1


def test_a_worker_killed_mid_send_leaves_the_mail_to_be_sent_once(fresh_database_url, tmp_path):
    from app.extensions import db

    server = SmtpServer(tmp_path).start()
    try:
        app = build_app(fresh_database_url, tmp_path / "instance", **server.environ())
        migrate(app)
        with app.app_context():
            app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # queue it; no inline delivery
            mail_id = queue_mail(to_address="kim@example.org", subject="Killed", text="x").id
            db.session.commit()
            app.config["REDIS_URL"] = None
            db.session.remove()

        server.stalling.set()
        environ = {**os.environ, **conftest.testing_environ(fresh_database_url, **server.environ())}
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "run", "--once"],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert server.in_data.wait(60), "the worker never reached DATA"
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
        server.release()

        with app.app_context():
            assert db.session.get(OutboundMail, mail_id).state == MailState.QUEUED
            message = db.session.scalars(select(OutboxMessage)).one()
            assert message.state == OutboxState.PENDING
            assert message.attempts == 1
            assert deliver_due() == 0  # leased to the dead worker
            assert deliver_due(utc_now() + LEASE + timedelta(seconds=1)) == 1
            assert db.session.get(OutboundMail, mail_id).state == MailState.SENT
            assert deliver_due(utc_now() + timedelta(days=1)) == 0
            db.session.remove()
            db.engine.dispose()
        assert len(server.received) == 1
        assert server.received[0].message["Subject"] == "Killed"
    finally:
        server.stop()

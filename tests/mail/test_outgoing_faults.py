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
from app.mail.outgoing.smtp import DATA_TIMEOUT_FACTOR
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
    waited = (mail.updated_at - mail.created_at).total_seconds()
    assert waited >= DATA_TIMEOUT_FACTOR * 1  # the content's answer gets the longer wait
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
    retry_mail(mail, actor=None)
    db.session.commit()
    db.session.refresh(mail)
    assert mail.state == MailState.SENT
    assert mail.last_error is None
    assert len(sending.received) == 1


def desk_with_queued_mail(database_url: str, folder: Path, server: SmtpServer, count: int):
    """An application of its own on ``database_url`` (committed data that other processes and
    threads see), sending to ``server``, with ``count`` mails queued and committed but not yet
    delivered, as when their RQ jobs were lost. Returns it and the mails' ids."""
    from app.extensions import db

    app = build_app(database_url, folder / "instance", **server.environ())
    migrate(app)
    with app.app_context():
        app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # Redis down: no delivery after commit
        ids = [
            queue_mail(to_address=f"p{n}@example.org", subject=f"Mail {n}", text="x").id
            for n in range(count)
        ]
        db.session.commit()
        app.config["REDIS_URL"] = None
        db.session.remove()
    return app, ids


def test_a_worker_killed_mid_send_leaves_the_mail_to_be_sent_once(
    fresh_database_url, tmp_path, smtp_server
):
    from app.extensions import db

    app, (mail_id,) = desk_with_queued_mail(fresh_database_url, tmp_path, smtp_server, 1)
    smtp_server.stalling.set()
    environ = {
        **os.environ,
        **conftest.testing_environ(fresh_database_url, **smtp_server.environ()),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "run", "--once"],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert smtp_server.in_data.wait(60), "the worker never reached DATA"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    smtp_server.release()

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
    assert len(smtp_server.received) == 1
    assert smtp_server.received[0].message["Subject"] == "Mail 0"


def test_two_workers_draining_together_send_each_mail_once(
    fresh_database_url, tmp_path, smtp_server
):
    import threading

    from app.extensions import db

    app, _ids = desk_with_queued_mail(fresh_database_url, tmp_path, smtp_server, 40)
    ran: list[int] = []

    def worker() -> None:
        with app.app_context():
            while delivered := deliver_due(limit=7):
                ran.append(delivered)
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(ran) == 40
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == sorted(
        f"p{n}@example.org" for n in range(40)
    )
    with app.app_context():
        assert set(states(db)) == {MailState.SENT}
        db.session.remove()
        db.engine.dispose()

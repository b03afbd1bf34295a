"""Housekeeping: each domain's purge removes its spent rows older than its setting and keeps
everything still of use; ``flask deskgraph purge`` runs them all and prints the counts, and
``--dry-run`` counts without changing anything (both databases)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from app import files, submissions
from app.incidents import services as incidents
from app.mail.incoming.mailboxes import purge_raw
from app.mail.incoming.models import InboundMessage, MessageState
from app.notifications.models import MailState, Notification
from app.notifications.services import purge_read
from app.outbox.models import OutboxMessage, OutboxState
from app.outbox.services import purge_done
from app.submissions import FormSubmission
from app.timeutils import utc_now
from tests.notifications.conftest import desk  # noqa: F401  (people around an incident)

NOW = utc_now()
OLD = NOW - timedelta(days=100)  # older than every default
RECENT = NOW - timedelta(days=1)
CUT = NOW - timedelta(days=30)


def count(db, model: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def outbox(db, state: OutboxState, at: Any) -> int:
    message = OutboxMessage(kind="test.purge", payload={}, state=state, updated_at=at)
    db.session.add(message)
    db.session.flush()
    return message.id


def inbound(db, state: MessageState, at: Any) -> int:
    row = InboundMessage(
        message_id=f"<{state.value}.{at.timestamp()}@example.com>",
        from_address="someone@example.com",
        subject="Out of office",
        received_at=at,
        state=state,
        reason="automated: Auto-Submitted: auto-replied",
        raw=None if state == MessageState.DISMISSED else b"From: someone@example.com\r\n\r\nx",
        size=30,
    )
    db.session.add(row)
    db.session.flush()
    return row.id


@pytest.fixture
def spent(db, desk) -> Any:  # noqa: F811
    """For each domain, the rows a purge at NOW with the default settings removes and those
    it must keep (committed)."""
    s = SimpleNamespace()
    s.done_old = outbox(db, OutboxState.DONE, OLD)
    s.done_recent = outbox(db, OutboxState.DONE, RECENT)
    s.dead_old = outbox(db, OutboxState.DEAD, OLD)
    s.pending_old = outbox(db, OutboxState.PENDING, OLD)
    db.session.add_all(
        [FormSubmission(token="a" * 32, created_at=OLD), FormSubmission(token="b" * 32)]
    )
    for _ in range(4):
        incidents.comment(desk.incident, author=desk.agent, body="News.", public=True)
    db.session.commit()
    sent = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.recipient_id == desk.caller.id, Notification.kind == "public_reply")
            .order_by(Notification.id)
        )
    )
    for note, created, read in zip(
        sent, (OLD, OLD, OLD, RECENT), (OLD, None, OLD, RECENT), strict=True
    ):
        note.created_at, note.read_at = created, read
    sent[2].mail = MailState.DIGEST
    s.read_old, s.unread_old, s.digest_old, s.read_recent = [note.id for note in sent]
    s.ignored_old = inbound(db, MessageState.IGNORED, OLD)
    s.ignored_recent = inbound(db, MessageState.IGNORED, RECENT)
    s.quarantined_old = inbound(db, MessageState.QUARANTINED, OLD)
    s.expired = files.put(b"staged import", expires_at=NOW - timedelta(hours=1)).key
    s.staged = files.put(b"another staged import", expires_at=NOW + timedelta(days=1)).key
    s.kept = files.put(b"an attachment").key
    db.session.commit()
    return s


def test_delivered_outbox_messages_go_dead_and_pending_ones_stay(db, spent):
    assert purge_done(CUT) == 1
    db.session.commit()
    left = set(db.session.scalars(select(OutboxMessage.id)))
    assert spent.done_old not in left
    assert {spent.done_recent, spent.dead_old, spent.pending_old} <= left


def test_old_form_tokens_are_forgotten_recent_ones_still_refuse_a_replay(db, spent):
    assert submissions.purge_used(CUT) == 1
    db.session.commit()
    assert db.session.get(FormSubmission, "a" * 32) is None
    with pytest.raises(submissions.AlreadySubmitted):
        submissions.consume_submission("b" * 32)


def test_old_read_notifications_go_unread_and_digest_ones_stay(db, spent):
    assert purge_read(CUT) == 1
    db.session.commit()
    left = set(db.session.scalars(select(Notification.id)))
    assert spent.read_old not in left
    assert {spent.unread_old, spent.digest_old, spent.read_recent} <= left


def test_old_ignored_mail_loses_its_bytes_but_keeps_its_row_and_reason(db, spent):
    assert purge_raw(CUT) == 1
    db.session.commit()
    old = db.session.get(InboundMessage, spent.ignored_old)
    assert old.raw is None
    assert (old.state, old.reason) == (
        MessageState.IGNORED,
        "automated: Auto-Submitted: auto-replied",
    )
    assert db.session.get(InboundMessage, spent.ignored_recent).raw is not None
    assert db.session.get(InboundMessage, spent.quarantined_old).raw is not None


def test_the_command_runs_every_purge_and_says_what_went(app, db, spent):
    dry = app.test_cli_runner().invoke(args=["deskgraph", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 delivered outbox messages would be purged" in dry.output
    assert "1 expired staged files would be purged" in dry.output
    db.session.expire_all()
    assert count(db, OutboxMessage, OutboxMessage.kind == "test.purge") == 4  # nothing changed
    assert db.session.get(InboundMessage, spent.ignored_old).raw is not None

    result = app.test_cli_runner().invoke(args=["deskgraph", "purge"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "1 delivered outbox messages purged",
        "1 used form tokens purged",
        "1 read notifications purged",
        "1 ignored mails' bytes purged",
        "1 expired staged files purged",
        "0 sent webhook deliveries purged",
    ]
    db.session.expire_all()
    assert count(db, OutboxMessage, OutboxMessage.kind == "test.purge") == 3
    assert db.session.get(InboundMessage, spent.ignored_old).raw is None
    assert files.get(spent.expired) is None
    assert files.get(spent.staged) is not None
    assert files.get(spent.kept) is not None
    again = app.test_cli_runner().invoke(args=["deskgraph", "purge"])
    assert all(line.startswith("0 ") for line in again.output.splitlines())


def test_the_settings_choose_how_long_rows_stay(app, db, spent, monkeypatch):
    monkeypatch.setitem(app.config, "PURGE_OUTBOX_DAYS", 365)
    monkeypatch.setitem(app.config, "PURGE_NOTIFICATIONS_DAYS", 365)
    result = app.test_cli_runner().invoke(args=["deskgraph", "purge"])
    assert "0 delivered outbox messages purged" in result.output
    assert "0 read notifications purged" in result.output
    assert "1 used form tokens purged" in result.output


def test_the_quarantine_page_says_which_messages_were_purged(db, spent, signed_in):
    purge_raw(CUT)
    db.session.commit()
    client, _ = signed_in("admin")
    page = client.get("/mail/quarantine").get_data(as_text=True)
    assert page.count("Message purged") == 1
    assert f"/mail/quarantine/{spent.ignored_old}.eml" not in page
    assert f"/mail/quarantine/{spent.ignored_recent}.eml" in page
    assert f"/mail/quarantine/{spent.quarantined_old}.eml" in page
    assert client.get(f"/mail/quarantine/{spent.ignored_old}.eml").status_code == 404

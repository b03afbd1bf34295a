"""The 120 real messages of ``../shared/data/email/`` through ``flask mail receive``: none
crashes, bounces and complaints and auto-replies create no ticket, the Outlook file is refused
with a clear reason, and every message ends processed, ignored or quarantined."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.mail.incoming.models import InboundMessage
from app.tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[2]
DATA = (ROOT / ".." / "shared" / "data" / "email").resolve()
MESSAGES = sorted(p for p in DATA.rglob("*") if p.is_file())
LINE = re.compile(r"^(?:[A-Z]+\d{7}|ignored: .+|quarantined: .+)$")
NO_TICKET = ("flanker/bounce/", "flanker/complaints/")


def test_the_real_messages_are_there():
    assert len(MESSAGES) == 120, DATA


@pytest.mark.parametrize("path", MESSAGES, ids=lambda p: str(p.relative_to(DATA)))
def test_a_real_message_is_received_without_a_crash(app, db, path):
    raw = path.read_bytes()
    result = app.test_cli_runner().invoke(args=["mail", "receive"], input=raw)
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert LINE.match(line), line
    name = str(path.relative_to(DATA))
    tickets = db.session.scalar(select(func.count()).select_from(Ticket))
    if name.startswith(NO_TICKET):
        assert tickets == 0, line
        assert line.startswith(("ignored: ", "quarantined: ")), line
    if name == "mail-parser/mail_outlook_1":
        assert line == "quarantined: an Outlook .msg file, not an RFC 5322 message"
    row = db.session.scalar(select(InboundMessage))
    assert row is not None
    assert (row.state == "processed") == (tickets == 1)

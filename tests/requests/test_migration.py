"""The service request migration widens the ticket kinds on a desk that already has tickets,
without losing a row (SQLite included, where a rebuilt ``tickets`` table would cascade), and
narrows them back on downgrade."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.conftest import build_app

BEFORE = "d5f8a2c1b7e3"
TICKET = (
    "INSERT INTO tickets (kind, number, short_description, description, state, channel, "
    "caller_id, impact, urgency, priority, opened_at, reassignment_count, reopen_count, "
    "version, created_at, updated_at) VALUES (:kind, :number, 'x', '', 'new', 'portal', 1, 3, "
    "3, 4, :at, 0, 0, 1, :at, :at)"
)


def _insert_ticket(connection, kind: str, number: str) -> int:
    connection.execute(text(TICKET), {"kind": kind, "number": number, "at": "2026-01-05 10:00:00"})
    return connection.execute(
        text("SELECT id FROM tickets WHERE number = :n"), {"n": number}
    ).scalar()


def test_upgrade_keeps_existing_tickets_and_accepts_the_new_kinds(fresh_database_url, tmp_path):
    from app.extensions import db

    app = build_app(fresh_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, username, display_name, is_active, source, "
                    "directory_deactivated, version, created_at, updated_at) VALUES (1, 'ann', "
                    "'Ann', :t, 'local', :f, 1, '2026-01-05', '2026-01-05')"
                ),
                {"t": True, "f": False},
            )
            ticket_id = _insert_ticket(connection, "incident", "INC0001001")
            connection.execute(
                text(
                    "INSERT INTO journal_entries (ticket_id, kind, body, changes, created_at) "
                    "VALUES (:id, 'reply', 'hello', '{}', '2026-01-05')"
                ),
                {"id": ticket_id},
            )
        upgrade()
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM journal_entries")).scalar() == 1
            assert connection.execute(text("SELECT count(*) FROM tickets")).scalar() == 1
            _insert_ticket(connection, "catalog_task", "SCTASK0001001")
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            _insert_ticket(connection, "problem", "PRB0001001")
        downgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            kinds = connection.execute(text("SELECT kind FROM tickets")).scalars().all()
            assert kinds == ["incident"]
            assert connection.execute(text("SELECT count(*) FROM journal_entries")).scalar() == 1
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            _insert_ticket(connection, "request", "REQ0001001")
        db.engine.dispose()

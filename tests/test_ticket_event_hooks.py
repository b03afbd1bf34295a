"""The shared session hook of ticket events (app/tickets/event_hooks.py): one action per
commit with everything the transaction's flushes noted, none for a rollback or a savepoint."""

from __future__ import annotations

import pytest


@pytest.fixture
def probe(db):
    """A hook of its own that records each call (the tickets it was given)."""
    from app.tickets.event_hooks import on_ticket_events

    calls: list[set[int]] = []

    def act(session, ticket_ids):
        calls.append(set(ticket_ids))
        assert session.info.get("probe_mark") == "set"  # still readable while acting

    hook = on_ticket_events("probe", act, also_forget=("probe_mark",))
    hook.install()
    yield calls, hook
    hook.uninstall()


def _open(db, caller, title):
    from app.incidents import services

    incident = services.open_incident(caller=caller, opened_by=caller, short_description=title)
    db.session.flush()
    return incident


def test_one_call_per_commit_with_every_flush_of_the_transaction(db, probe, make_user):
    calls, hook = probe
    caller = make_user()
    db.session.info["probe_mark"] = "set"
    first = _open(db, caller, "Printer jams")
    second = _open(db, caller, "VPN drops")
    assert calls == []  # flushes only note
    db.session.commit()
    assert calls == [{first.id, second.id}]
    assert hook.pending not in db.session.info
    assert "probe_mark" not in db.session.info  # a mark lives for one transaction
    db.session.commit()  # nothing new: no call
    assert len(calls) == 1


def test_a_savepoint_waits_for_the_real_commit_and_a_rollback_forgets(db, probe, make_user):
    calls, hook = probe
    caller = make_user()
    with db.session.begin_nested():
        inner = _open(db, caller, "Inside a savepoint")
    assert calls == []
    db.session.info["probe_mark"] = "set"
    db.session.commit()
    assert calls == [{inner.id}]
    _open(db, caller, "Rolled back")
    db.session.info["probe_mark"] = "set"
    db.session.rollback()
    assert hook.pending not in db.session.info
    assert "probe_mark" not in db.session.info
    db.session.commit()
    assert calls == [{inner.id}]


def test_installing_twice_attaches_once(db, probe, make_user):
    calls, hook = probe
    hook.install()
    caller = make_user()
    db.session.info["probe_mark"] = "set"
    ticket = _open(db, caller, "Once")
    db.session.commit()
    assert calls == [{ticket.id}]

"""The fan-out (the RQ worker's job after each write) reads the people around a ticket without
their roles: each read that joined people (the ticket's caller, assignee and queue manager, the
recipients, a journal entry's author, an approval's approver) cost a statement of roles of its
own, five or so per fan-out on the load run, and nothing there needs them (issue 20)."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.incidents import services
from app.notifications.models import Notification
from app.notifications.services import fan_out
from app.tickets import services as tickets
from app.tickets.models import TicketEvent
from tests.conftest import count_queries


def test_a_fan_out_reads_no_roles_and_tells_the_same_people(db, desk, sent, make_user):
    watcher = make_user(email="watcher@example.org")
    staff = make_user(roles=["agent"], email="staff@example.org")
    for person in (watcher, staff):
        tickets.watch(desk.incident, person)
    db.session.commit()
    services.comment(desk.incident, author=desk.colleague, body="Vendor case 4411.", public=False)
    services.comment(desk.incident, author=desk.agent, body="Try the left tray.", public=True)
    db.session.commit()
    events = [
        e.id
        for e in db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == desk.incident.id)
        )
    ]
    db.session.execute(Notification.__table__.delete())  # as if the worker had not run yet
    db.session.commit()
    staff_id, watcher_id, caller_id = staff.id, watcher.id, desk.caller.id
    db.session.expunge_all()  # the worker's session: nothing loaded yet
    with count_queries() as statements:
        fan_out(events)
    db.session.commit()
    roles = [s for s in statements if "FROM role_grants" in s and "role_grants.role =" not in s]
    assert roles == []  # staff are picked by one query of their own ("role_grants.role = ")
    person = db.session.get
    assert sent(person(User, staff_id)) == ["work_note", "public_reply"]  # staff hear both
    assert sent(person(User, watcher_id)) == ["public_reply"]  # an employee not the work note
    assert sent(person(User, caller_id)) == ["public_reply"]

"""``flask users ...`` and ``flask deskgraph demo load`` through Click's runner."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.models import Group, Role, User
from app.demo import read_organisation


def _run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


def test_create_admin_makes_an_account_that_signs_in(app, db, client):
    result = _run(
        app,
        "users",
        "create-admin",
        "--username",
        "Root",
        "--email",
        "root@example.org",
        input="a strong admin secret\na strong admin secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "Administrator 'root' created" in result.output
    user = db.session.scalar(select(User).where(User.username == "root"))
    assert Role.ADMIN in user.roles
    assert user.password_hash
    assert "a strong admin secret" not in user.password_hash
    assert client.login("root", "a strong admin secret").status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_create_admin_refuses_weak_passwords_and_duplicates(app, db, make_user):
    make_user("taken")
    weak = _run(app, "users", "create-admin", "--username", "x1", "--password", "short")
    assert weak.exit_code != 0
    assert "at least 12 characters" in weak.output
    dup = _run(
        app, "users", "create-admin", "--username", "taken", "--password", "long enough secret"
    )
    assert dup.exit_code != 0
    assert "already taken" in dup.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_grant_role_gives_back_admin(app, db, make_user):
    make_user("locked.out", roles=["employee"])
    result = _run(app, "users", "grant-role", "locked.out", "admin")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert Role.ADMIN in db.session.scalar(select(User).where(User.username == "locked.out")).roles
    assert _run(app, "users", "grant-role", "ghost", "admin").exit_code != 0


@pytest.mark.slow
def test_demo_load_seeds_a_realistic_organisation_once(app, db, client):
    data = read_organisation()
    first = _run(app, "deskgraph", "demo", "load")
    assert first.exit_code == 0, first.output
    assert f"{len(data['people'])} people and {len(data['groups'])} groups added" in first.output
    for account in ("admin", "owner", "agent", "employee", "l.marchetti"):
        assert f"{account} " in first.output
        assert data["demo_password"] in first.output

    second = _run(app, "deskgraph", "demo", "load")
    assert second.exit_code == 0
    assert "0 people and 0 groups added" in second.output
    assert db.session.scalar(select(func.count()).select_from(User)) == len(data["people"])
    assert db.session.scalar(select(func.count()).select_from(Group)) == len(data["groups"])

    users = {u.username: u for u in db.session.scalars(select(User))}
    assert len(users) >= 45
    assert len({u.department for u in users.values()}) >= 6
    with_manager = [u for u in users.values() if u.manager is not None]
    assert len(with_manager) == len(users) - 1  # everyone but the CEO reports to someone
    assert users["employee"].manager.username == "l.marchetti"
    names = {g.name for g in db.session.scalars(select(Group))}
    assert {
        "Service Desk",
        "Network",
        "Identity & Access",
        "Applications",
        "Infrastructure",
    } <= names
    expected_roles = {
        "admin": Role.ADMIN,
        "owner": Role.SERVICE_OWNER,
        "agent": Role.AGENT,
        "employee": Role.EMPLOYEE,
    }
    for username, role in expected_roles.items():
        assert role in users[username].roles
        assert client.login(username, data["demo_password"]).status_code == 302
        client.post("/logout")


@pytest.mark.slow  # the first of these loads the whole demo
@pytest.mark.demo("full")
def test_demo_load_keeps_what_an_administrator_changed(app, db):
    agent = db.session.scalar(select(User).where(User.username == "agent"))
    agent.department = "Moved"
    db.session.commit()
    _run(app, "deskgraph", "demo", "load")
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.username == "agent")).department == "Moved"


@pytest.mark.slow  # the first of these loads the whole demo
@pytest.mark.demo("full")
def test_demo_incidents_look_like_a_desk_in_use(app, db):
    from app.incidents.models import Incident
    from app.tickets.models import EntryKind, JournalEntry

    incidents = db.session.scalars(select(Incident)).all()
    assert len(incidents) >= 300
    again = _run(app, "deskgraph", "demo", "load")
    assert again.exit_code == 0, again.output
    assert "Demo incidents: 0 added." in again.output
    assert db.session.scalar(select(func.count()).select_from(Incident)) == len(incidents)
    states = {i.state for i in incidents}
    assert {"new", "in_progress", "on_hold", "resolved", "closed", "canceled"} <= states
    assert {i.priority for i in incidents} >= {1, 2, 3, 4, 5}
    assert len({i.assignment_group_id for i in incidents}) >= 4
    kinds = set(db.session.scalars(select(JournalEntry.kind).distinct()))
    assert {EntryKind.REPLY, EntryKind.WORK_NOTE, EntryKind.CHANGE} <= kinds
    assert all(i.opened_at <= (i.resolved_at or i.opened_at) for i in incidents)
    assert any(i.children for i in incidents)  # a major incident with children

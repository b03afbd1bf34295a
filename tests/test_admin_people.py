"""Administering people: create, edit with optimistic locking, roles, deactivation."""

from __future__ import annotations

from sqlalchemy import func, select

from app.audit import AuditEvent
from app.auth.models import GrantSource, Role, RoleGrant, User


def _count_users(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_admin_creates_a_local_account_that_can_sign_in(signed_in, db, make_user):
    client, admin = signed_in("admin")
    make_user("boss")
    response = client.post(
        "/admin/users/new",
        {
            "username": "New.Person",
            "display_name": "New Person",
            "email": "new.person@example.org",
            "department": "Finance",
            "manager": "boss",
            "password": "a long enough secret",
            "roles": ["employee", "agent"],
        },
    )
    assert response.status_code == 302
    person = db.session.scalar(select(User).where(User.username == "new.person"))
    assert person.manager.username == "boss"
    assert person.roles == {Role.EMPLOYEE, Role.AGENT}
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == person.id
        )
    ).all()
    assert {e.action for e in events} >= {"created"}
    assert all(e.actor_id == admin.id for e in events)
    client.post("/logout")
    assert client.login("new.person", "a long enough secret").status_code == 302


def test_invalid_new_accounts_are_refused_and_nothing_is_saved(signed_in, db, make_user):
    client, _ = signed_in("admin")
    make_user("taken")
    before = _count_users(db)
    cases = [
        ({"username": "taken"}, "already taken"),
        ({"password": "short"}, "at least 12 characters"),
        ({"manager": "ghost"}, "No person has the username"),
        ({"email": "not-an-email"}, "valid email"),
        ({"username": "two words"}, "cannot contain spaces"),
        ({"display_name": ""}, "Enter the person"),
    ]
    for change, message in cases:
        data = {
            "username": "fresh",
            "display_name": "Fresh",
            "password": "a long enough secret",
            "roles": ["employee"],
            **change,
        }
        response = client.post("/admin/users/new", data)
        assert response.status_code == 422, change
        assert message in response.get_data(as_text=True), change
    assert _count_users(db) == before


def test_editing_from_a_stale_form_is_a_conflict_that_loses_nothing(signed_in, db, make_user):
    client, _ = signed_in("admin")
    person = make_user("ann", department="Sales", display_name="Ann")
    first = {"display_name": "Ann", "department": "Marketing", "version": str(person.version)}
    assert client.post(f"/admin/users/{person.id}", first).status_code == 302
    # A second admin saves a form loaded before the first change.
    stale = {"display_name": "Ann", "department": "Legal", "version": str(person.version)}
    response = client.post(f"/admin/users/{person.id}", stale)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "changed by someone else" in body
    assert 'value="Marketing"' in body  # the current value is shown to merge from
    db.session.expire_all()
    assert db.session.get(User, person.id).department == "Marketing"


def test_a_manager_chain_cannot_loop(signed_in, db, make_user):
    client, _ = signed_in("admin")
    boss = make_user("boss", display_name="Boss")
    worker = make_user("worker", display_name="Worker")
    worker.manager = boss
    db.session.commit()
    response = client.post(
        f"/admin/users/{boss.id}",
        {"display_name": "Boss", "manager": "worker", "version": str(boss.version)},
    )
    assert response.status_code == 422
    assert "their own manager" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, boss.id).manager_id is None


def test_local_role_changes_keep_directory_grants(signed_in, db, make_user):
    client, _ = signed_in("admin")
    person = make_user("dir.agent", roles=["employee"])
    person.role_grants.append(RoleGrant(role=Role.AGENT, source=GrantSource.DIRECTORY))
    db.session.commit()
    response = client.post(f"/admin/users/{person.id}/roles", {"roles": ["service_owner"]})
    assert response.status_code == 302
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert person.roles_from(GrantSource.LOCAL) == {Role.SERVICE_OWNER}
    assert person.roles_from(GrantSource.DIRECTORY) == {Role.AGENT}
    assert person.roles == {Role.SERVICE_OWNER, Role.AGENT}


def test_admins_cannot_lock_themselves_out(signed_in, db):
    client, admin = signed_in("admin", "employee")
    response = client.post(f"/admin/users/{admin.id}/roles", {"roles": ["employee"]})
    assert response.status_code == 422
    assert "your own administrator role" in response.get_data(as_text=True)
    response = client.post(f"/admin/users/{admin.id}/active", {"active": "0"})
    assert response.status_code == 422
    db.session.expire_all()
    admin = db.session.get(User, admin.id)
    assert admin.is_active
    assert Role.ADMIN in admin.roles


def test_the_last_active_administrator_stays(db, make_user):
    from app.auth import services

    only_admin = make_user("root", roles=["admin"])
    other = make_user("helper", roles=["admin"])
    services.set_active(other, False, actor=only_admin)
    db.session.commit()
    import pytest

    from app.errors import Invalid

    actor = make_user("ops", roles=["employee"])
    with pytest.raises(Invalid, match="at least one active administrator"):
        services.set_local_roles(only_admin, [Role.EMPLOYEE], actor=actor)
    with pytest.raises(Invalid, match="at least one active administrator"):
        services.set_active(only_admin, False, actor=actor)


def test_deactivation_keeps_the_account_and_records_it(signed_in, db, make_user):
    client, admin = signed_in("admin")
    person = make_user("leaver")
    assert client.post(f"/admin/users/{person.id}/active", {"active": "0"}).status_code == 302
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert person is not None
    assert not person.is_active
    page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "deactivated" in page
    assert client.post(f"/admin/users/{person.id}/active", {"active": "maybe"}).status_code == 400


def test_people_list_filters_and_paginates(signed_in, make_user):
    client, _ = signed_in("admin")
    for n in range(12):
        make_user(f"fin{n:02d}", department="Finance", display_name=f"Finance Person {n:02d}")
    make_user("agent.x", roles=["agent"], department="IT", display_name="Agent X")
    page1 = client.get("/admin/users?department=finance&per_page=5").get_data(as_text=True)
    assert "Finance Person 00" in page1
    assert "Finance Person 05" not in page1
    assert "1–5 of 12" in page1
    page3 = client.get("/admin/users?department=finance&per_page=5&page=3").get_data(as_text=True)
    assert "Finance Person 10" in page3
    assert "Finance Person 00" not in page3
    agents = client.get("/admin/users?role=agent").get_data(as_text=True)
    assert "Agent X" in agents
    assert "Finance Person" not in agents
    # Nonsense filters do not break the page.
    assert client.get("/admin/users?role=pope&page=-4&per_page=abc").status_code == 200
    assert client.get("/admin/users?page=999").status_code == 200


def test_password_reset_is_for_local_accounts_and_checks_strength(signed_in, make_user):
    client, _ = signed_in("admin")
    person = make_user("forgetful")
    weak = client.post(f"/admin/users/{person.id}/password", {"password": "123"})
    assert weak.status_code == 422
    ok = client.post(f"/admin/users/{person.id}/password", {"password": "brand new secret 42"})
    assert ok.status_code == 302
    client.post("/logout")
    assert client.login("forgetful", "brand new secret 42").status_code == 302


def test_callers_made_from_mail_are_listed_unverified_until_activated(signed_in, db):
    from app.mail.incoming import intake
    from tests.mail.intake_mails import mail

    client, admin = signed_in("admin")
    intake.take(mail("pat.new@example.com", name="Pat New"), None)  # an unknown sender
    pat = db.session.scalar(select(User).where(User.email == "pat.new@example.com"))
    assert pat.unverified
    assert "Pat New" not in client.get("/admin/users").get_data(as_text=True)  # not active
    listed = client.get("/admin/users?status=unverified").get_data(as_text=True)
    assert "Pat New" in listed
    assert "unverified" in listed
    assert f'href="/admin/users/{admin.id}"' not in listed
    page = client.get(f"/admin/users/{pat.id}").get_data(as_text=True)
    assert "made from a mail to the desk" in page
    assert "Verify and activate" in page

    edit = {"display_name": "Pat Newman", "version": str(pat.version)}
    assert client.post(f"/admin/users/{pat.id}", edit).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, pat.id).unverified  # an edit alone verifies nothing

    assert client.post(f"/admin/users/{pat.id}/active", {"active": "1"}).status_code == 302
    db.session.expire_all()
    pat = db.session.get(User, pat.id)
    assert (pat.is_active, pat.unverified) == (True, False)
    assert "Pat Newman" not in client.get("/admin/users?status=unverified").get_data(as_text=True)
    page = client.get(f"/admin/users/{pat.id}").get_data(as_text=True)
    assert "made from a mail to the desk" not in page
    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == pat.id
        )
    ).all()
    assert {"verified", "activated"} <= set(actions)

"""Groups and assignment groups: creation, managers managing their own group, members."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.auth import groups as group_services
from app.auth.models import Group, User, group_members


def test_admin_creates_a_queue_and_adds_members(signed_in, db, make_user):
    client, _ = signed_in("admin")
    lead = make_user("lead", roles=["service_owner"])
    make_user("a1", display_name="Agent One")
    make_user("a2", display_name="Agent Two")
    response = client.post(
        "/admin/groups/new",
        {
            "name": "  Service   Desk ",
            "email": "sd@example.org",
            "manager": "lead",
            "is_assignment_group": "y",
        },
    )
    assert response.status_code == 302
    group = db.session.scalar(select(Group).where(Group.name == "Service Desk"))
    assert group.manager_id == lead.id
    assert group.is_assignment_group
    response = client.post(f"/admin/groups/{group.id}/members", {"usernames": "a1, A2"})
    assert response.status_code == 302
    db.session.expire_all()
    assert sorted(u.username for u in db.session.get(Group, group.id).members) == ["a1", "a2"]


def test_duplicate_group_names_are_refused_whatever_the_case(signed_in, db):
    client, admin = signed_in("admin")
    group_services.create_group(actor=admin, name="Network")
    db.session.commit()
    response = client.post("/admin/groups/new", {"name": "NETWORK"})
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Group)) == 1


def _check_passes_meanwhile(monkeypatch):
    """Another request saves the same name between the service's check and the flush: only
    the database's named constraint sees the clash."""
    monkeypatch.setattr(group_services, "_check_name", lambda name, current=None: name)


def test_a_name_saved_meanwhile_is_a_field_error_on_the_form(signed_in, db, monkeypatch):
    client, admin = signed_in("admin")
    group_services.create_group(actor=admin, name="Network")
    other = group_services.create_group(actor=admin, name="Servers")
    db.session.commit()
    _check_passes_meanwhile(monkeypatch)
    response = client.post(f"/admin/groups/{other.id}", {"name": "Network"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="name-error"[^>]*>\s*A group with this name already exists.', page)
    db.session.expire_all()
    assert db.session.get(Group, other.id).name == "Servers"


def test_a_name_saved_meanwhile_is_a_422_that_says_so_not_a_409(signed_in, db, monkeypatch):
    client, admin = signed_in("admin")
    group_services.create_group(actor=admin, name="Network")
    db.session.commit()
    _check_passes_meanwhile(monkeypatch)
    response = client.post("/admin/groups/new", {"name": "Network"})
    assert response.status_code == 422
    assert "A group with this name already exists." in response.get_data(as_text=True)
    json = client.post(
        "/admin/groups/new", {"name": "Network"}, headers={"Accept": "application/json"}
    )
    assert json.status_code == 422
    assert json.get_json()["error"]["fields"] == {
        "name": ["A group with this name already exists."]
    }
    assert db.session.scalar(select(func.count()).select_from(Group)) == 1


def test_unknown_usernames_add_nobody(signed_in, db, make_user):
    client, admin = signed_in("admin")
    group = group_services.create_group(actor=admin, name="Network")
    make_user("known")
    db.session.commit()
    response = client.post(f"/admin/groups/{group.id}/members", {"usernames": "known ghost"})
    assert response.status_code == 422
    assert "Unknown username: ghost" in response.get_data(as_text=True)
    count = db.session.scalar(
        select(func.count()).select_from(group_members).where(group_members.c.group_id == group.id)
    )
    assert count == 0


def test_a_service_owner_manages_only_the_groups_they_manage(signed_in, db, make_user):
    client, owner = signed_in("service_owner")
    admin = make_user("root", roles=["admin"])
    mine = group_services.create_group(actor=admin, name="Applications", manager_id=owner.id)
    theirs = group_services.create_group(actor=admin, name="Network")
    member = make_user("dev1")
    db.session.commit()
    assert client.post(f"/admin/groups/{mine.id}/members", {"usernames": "dev1"}).status_code == 302
    assert (
        client.post(f"/admin/groups/{theirs.id}/members", {"usernames": "dev1"}).status_code == 403
    )
    page = client.get(f"/admin/groups/{theirs.id}").get_data(as_text=True)
    assert "Save group" not in page  # read-only view: no forms it may not use
    assert "Save group" in client.get(f"/admin/groups/{mine.id}").get_data(as_text=True)
    response = client.post(f"/admin/groups/{mine.id}/members/remove", {"user_id": str(member.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Group, mine.id).members == []
    assert client.post("/admin/groups/new", {"name": "Mine now"}).status_code == 403


def test_group_manager_must_be_an_active_person(signed_in, db, make_user):
    client, admin = signed_in("admin")
    gone = make_user("gone")
    gone.is_active = False
    group = group_services.create_group(actor=admin, name="Infra")
    db.session.commit()
    response = client.post(f"/admin/groups/{group.id}", {"name": "Infra", "manager": "gone"})
    assert response.status_code == 422
    assert "active person" in response.get_data(as_text=True)


def test_deleting_a_person_is_impossible_but_removal_from_groups_is(db, make_user):
    admin = make_user("root", roles=["admin"])
    group = group_services.create_group(actor=admin, name="Infra")
    person = make_user("p1")
    group_services.add_members(group, [person], actor=admin)
    assert group_services.add_members(group, [person], actor=admin) == []  # already in
    assert group_services.remove_member(group, person, actor=admin) is True
    assert group_services.remove_member(group, person, actor=admin) is False
    assert db.session.get(User, person.id) is not None


def test_a_name_saved_meanwhile_is_refused_in_the_readers_language(signed_in, db, monkeypatch):
    """The database's unique constraint speaks the message its model declares, translated."""
    client, admin = signed_in("admin")
    group_services.create_group(actor=admin, name="Network")
    other = group_services.create_group(actor=admin, name="Servers")
    db.session.commit()
    _check_passes_meanwhile(monkeypatch)
    response = client.post(
        f"/admin/groups/{other.id}", {"name": "Network"}, headers={"Accept-Language": "sv"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="name-error"[^>]*>\s*Det finns redan en grupp med det här namnet.', page)


def test_the_group_list_shows_managers_at_a_cost_that_does_not_grow(signed_in, db, make_user):
    """Each group's manager comes with the group list's own statement: a page of six groups
    costs what a page of two does, and nobody's roles are read for it."""
    from tests.conftest import count_queries

    client, admin = signed_in("admin")

    def add_groups(names: str) -> None:
        for name in names.split():
            lead = make_user(f"lead{name.lower()}", display_name=f"{name} Lead")
            group_services.create_group(actor=admin, name=name, manager_id=lead.id)
        db.session.commit()

    def listed() -> tuple[str, list[str]]:
        with count_queries() as statements:
            page = client.get("/admin/groups")
        assert page.status_code == 200
        return page.get_data(as_text=True), statements

    add_groups("Network Servers")
    page, two = listed()
    assert "Network Lead" in page
    assert "Servers Lead" in page
    add_groups("Desk Printing Storage Voice")
    page, six = listed()
    assert all(f"{name} Lead" in page for name in ("Desk", "Printing", "Storage", "Voice"))
    assert len(six) == len(two), "\n".join(six)
    assert not [s for s in six if s.lstrip().startswith("SELECT role_grants")]

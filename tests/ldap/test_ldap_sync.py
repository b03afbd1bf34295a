"""``flask ldap sync`` and ``sync_directory`` against the real slapd."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from app.auth.directory import cli as ldap_cli
from app.auth.directory import sync
from app.auth.models import (
    AccountSource,
    DirectorySyncState,
    GrantSource,
    Group,
    Role,
    RoleGrant,
    User,
)
from tests.ldap.conftest import (
    AD,
    DJANGO,
    EXAMPLE,
    GENERATED,
    GENERATED_GROUPS,
    GENERATED_PEOPLE,
    planetexpress,
    settings_for,
)
from tests.ldap.slapd import Database, Slapd, people_ldif


def _count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _user(db, username):
    return db.session.scalar(select(User).where(User.username == username))


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["ldap", "sync", *args])


def _generated(slapd, **extra):
    return settings_for(
        slapd,
        GENERATED,
        LDAP_USER_BASE=f"ou=people,{GENERATED}",
        LDAP_GROUP_BASE=f"ou=groups,{GENERATED}",
        LDAP_GROUP_ROLES="group00001=agent",
        LDAP_GROUP_QUEUES="group00002=Second Line",
        LDAP_PAGE_SIZE="500",
        **extra,
    )


@pytest.mark.slow
def test_paged_sync_of_thousands_of_people_with_managers_and_nested_groups(
    app, db, slapd, use_directory
):
    use_directory(_generated(slapd))
    pages = []
    report = sync.sync_directory(
        sync.directory_from_config(app.config), progress=lambda what, n: pages.append((what, n))
    )
    db.session.commit()
    user_pages = [n for what, n in pages if what == "users"]
    assert user_pages == [500, 1000, 1500, 2000, GENERATED_PEOPLE]  # paged, 500 at a time
    assert report.users_read == GENERATED_PEOPLE
    assert len(report.created) == GENERATED_PEOPLE
    assert report.dangling_managers == []
    assert _count(db, User, User.source == AccountSource.LDAP) == GENERATED_PEOPLE
    assert _user(db, "user00123").manager.username == "user00012"
    assert _user(db, "user00000").manager is None
    mirrors = db.session.scalars(select(Group).where(Group.directory_dn.is_not(None))).all()
    assert len(mirrors) == GENERATED_GROUPS
    nested = db.session.scalar(select(Group).where(Group.name == "group00001"))
    direct = {
        u.username
        for u in db.session.scalar(select(Group).where(Group.name == "group00000")).members
    }
    nested_members = {u.username for u in nested.members}
    assert direct < nested_members  # group00001 holds group00000 as a nested group
    assert Role.AGENT in _user(db, "user00000").roles  # through the nested group
    queue = db.session.scalar(select(Group).where(Group.name == "Second Line"))
    assert queue.is_assignment_group
    assert len(queue.members) == len(range(2, GENERATED_PEOPLE, GENERATED_GROUPS))

    again = sync.sync_directory(sync.directory_from_config(app.config))
    assert (again.created, again.updated, again.roles_changed) == ([], [], [])
    assert again.memberships_added == again.memberships_removed == 0


def test_nested_and_circular_groups(app, db, slapd, use_directory):
    use_directory(
        settings_for(
            slapd,
            DJANGO,
            LDAP_USER_BASE=f"ou=people,{DJANGO}",
            LDAP_GROUP_BASE=f"ou=groups,{DJANGO}",
            LDAP_GROUP_FILTER="(objectClass=groupOfNames)",
            LDAP_GROUP_ROLES="parent_gon=service_owner",
        )
    )
    result = _run(app)
    assert result.exit_code == 0, result.output
    alice, bob = _user(db, "alice"), _user(db, "bob")
    assert Role.SERVICE_OWNER in alice.roles
    assert Role.SERVICE_OWNER not in bob.roles
    circle = {
        name: {
            m.username for m in db.session.scalar(select(Group).where(Group.name == name)).members
        }
        for name in ("parent_gon", "nested_gon", "circular_gon", "empty_gon")
    }
    assert circle == {
        "parent_gon": {"alice"},
        "nested_gon": {"alice"},
        "circular_gon": {"alice"},
        "empty_gon": set(),
    }
    assert _user(db, "dreßler").display_name == "dreßler"
    assert _user(db, "charlie") is None or _user(db, "charlie").source == AccountSource.LDAP


def test_dangling_managers_are_reported_not_fatal(app, db, slapd, use_directory):
    use_directory(settings_for(slapd, EXAMPLE))
    result = _run(app, "--quiet")
    assert result.exit_code == 0, result.output
    assert "manager of" in result.output
    assert "not found" in result.output
    people = _count(db, User, User.source == AccountSource.LDAP)
    assert people >= 999
    assert _count(db, User, User.manager_id.is_not(None)) == 0
    katha = _user(db, "katha_petree")
    assert katha.title == "Supreme Peons President"
    assert katha.department == "Peons"
    assert _user(db, "bjensen").display_name == "Barbara Jensen"


def _person(connection, ou, uid, **extra):
    attributes = {"uid": uid, "cn": f"Person {uid}", "sn": uid, "userPassword": f"pw-{uid}"}
    attributes.update(extra)
    connection.add(f"uid={uid},{ou}", "inetOrgPerson", attributes)


def test_a_person_removed_between_two_syncs_is_deactivated_not_deleted(
    app, db, slapd, subtree, use_directory
):
    ou = subtree()
    with slapd.admin(GENERATED) as connection:
        for uid in ("ann", "ben", "cid"):
            _person(connection, ou, uid, manager=f"uid=ann,{ou}")
    use_directory(settings_for(slapd, GENERATED, LDAP_USER_BASE=ou, LDAP_GROUP_BASE=ou))
    assert _run(app).exit_code == 0
    ben = _user(db, "ben")
    db.session.add(RoleGrant(user_id=ben.id, role=Role.ADMIN, source=GrantSource.LOCAL))
    db.session.commit()
    with slapd.admin(GENERATED) as connection:
        connection.delete(f"uid=ben,{ou}")

    dry = _run(app, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "- deactivate ben" in dry.output
    db.session.expire_all()
    assert _user(db, "ben").is_active  # a dry run writes nothing

    result = _run(app)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    ben = _user(db, "ben")
    assert ben is not None
    assert not ben.is_active
    assert ben.directory_deactivated
    assert Role.ADMIN in ben.roles_from(GrantSource.LOCAL)  # local grants are never removed
    assert _user(db, "cid").is_active
    assert _user(db, "cid").manager.username == "ann"

    with slapd.admin(GENERATED) as connection:
        _person(connection, ou, "ben")
    assert _run(app).exit_code == 0
    db.session.expire_all()
    assert _user(db, "ben").is_active


def test_a_full_sync_that_finds_nobody_refuses_to_deactivate_everyone(
    app, db, slapd, subtree, use_directory
):
    ou = subtree()
    with slapd.admin(GENERATED) as connection:
        _person(connection, ou, "dee")
        _person(connection, ou, "eve")  # a sync that finds nobody deactivates nobody
    use_directory(settings_for(slapd, GENERATED, LDAP_USER_BASE=ou, LDAP_GROUP_BASE=ou))
    assert _run(app).exit_code == 0
    empty = subtree()
    use_directory(settings_for(slapd, GENERATED, LDAP_USER_BASE=empty, LDAP_GROUP_BASE=ou))
    result = _run(app)
    assert result.exit_code == 1
    assert "refusing to deactivate" in result.output
    db.session.expire_all()
    assert _user(db, "dee").is_active


def test_incremental_sync_reads_only_what_changed(app, db, slapd, subtree, use_directory):
    ou = subtree()
    with slapd.admin(GENERATED) as connection:
        _person(connection, ou, "early")
        _person(connection, ou, "steady")
        time.sleep(1.1)  # modifyTimestamp has a one-second resolution
        _person(connection, ou, "late")
    use_directory(settings_for(slapd, GENERATED, LDAP_USER_BASE=ou, LDAP_GROUP_BASE=ou))
    assert _run(app).exit_code == 0
    mark = db.session.scalar(select(DirectorySyncState.high_water_mark))
    assert mark
    assert mark.endswith("Z")
    time.sleep(1.1)
    with slapd.admin(GENERATED) as connection:
        connection.modify(f"uid=early,{ou}", {"title": [("MODIFY_REPLACE", ["Changed"])]})
    report = sync.sync_directory(sync.directory_from_config(app.config), incremental=True)
    read = {u for u in report.updated}
    assert report.users_read == 2  # "late" (at the mark) and "early" (changed since)
    assert read == {"early"}
    assert _user(db, "early").title == "Changed"
    assert _user(db, "steady").is_active  # incremental never deactivates the unread


def test_active_directory_preset_disabled_accounts_and_usn(app, db, slapd, subtree, use_directory):
    ou = subtree(AD)

    def ad_user(connection, name, control, usn, **extra):
        connection.add(
            f"cn={name},{ou}",
            "user",
            {
                "cn": name,
                "sn": name,
                "sAMAccountName": name,
                "userAccountControl": str(control),
                "uSNChanged": str(usn),
                "objectCategory": "person",
                "displayName": name.title(),
                "userPrincipalName": f"{name}@ad.test",
                "department": "Operations",
                **extra,
            },
        )

    with slapd.admin(AD) as connection:
        ad_user(connection, "olga", 512, 100)
        ad_user(connection, "pete", 514, 101, manager=f"cn=olga,{ou}")  # 514: disabled
        connection.add(
            f"cn=desk admins,{ou}",
            "Group",
            {
                "cn": "desk admins",
                "groupType": "-2147483646",
                "member": [f"cn=olga,{ou}"],
                "uSNChanged": "102",
            },
        )
    use_directory(
        settings_for(
            slapd,
            AD,
            LDAP_PRESET="ad",
            LDAP_USER_BASE=ou,
            LDAP_GROUP_BASE=ou,
            LDAP_GROUP_FILTER="(objectClass=Group)",
            LDAP_GROUP_ROLES="desk admins=admin",
        )
    )
    assert _run(app).exit_code == 0
    olga, pete = _user(db, "olga"), _user(db, "pete")
    assert olga.is_active
    assert olga.email == "olga@ad.test"
    assert olga.department == "Operations"
    assert Role.ADMIN in olga.roles
    assert not pete.is_active
    assert pete.manager.username == "olga"
    assert db.session.scalar(select(DirectorySyncState.high_water_mark)) == "101"  # people only
    with slapd.admin(AD) as connection:
        connection.modify(
            f"cn=pete,{ou}",
            {
                "userAccountControl": [("MODIFY_REPLACE", ["512"])],
                "uSNChanged": [("MODIFY_REPLACE", ["103"])],
            },
        )
    report = sync.sync_directory(sync.directory_from_config(app.config), incremental=True)
    assert report.users_read == 1
    assert report.reactivated == ["pete"]
    assert db.session.scalar(select(DirectorySyncState.high_water_mark)) == "103"


def test_server_stopped_mid_run_exits_non_zero_and_changes_nothing(
    app, db, use_directory, monkeypatch, tmp_path
):
    suffix = "dc=short,dc=test"
    server = Slapd([Database(suffix)], workdir=tmp_path / "slapd")
    server.start({suffix: people_ldif(suffix, 600)})
    try:
        use_directory(settings_for(server, suffix, LDAP_PAGE_SIZE="100"))
        before = _count(db, User)

        def stop_after_first_page(what: str, count: int) -> None:
            server.stop()

        monkeypatch.setattr(ldap_cli, "_progress", stop_after_first_page)
        result = _run(app)
        assert result.exit_code == 1
        assert "Directory unavailable, nothing changed" in result.output
        db.session.expire_all()
        assert _count(db, User) == before
        assert _count(db, DirectorySyncState) == 0

        again = _run(app)  # the server is gone: a clear message, still nothing changed
        assert again.exit_code == 1
        assert "Directory unavailable" in again.output
    finally:
        server.cleanup()


def test_sync_without_a_directory_configured_says_so(app, db, use_directory):
    use_directory({})
    result = _run(app)
    assert result.exit_code == 1
    assert "LDAP_URL is not set" in result.output


def test_planetexpress_sync_with_ad_style_groups(app, db, slapd, use_directory):
    use_directory(planetexpress(slapd))
    result = _run(app)
    assert result.exit_code == 0, result.output
    assert _count(db, User, User.source == AccountSource.LDAP) == 7
    crew = db.session.scalar(select(Group).where(Group.name == "Ship Crew"))
    assert crew.is_assignment_group
    assert {m.username for m in crew.members} == {"fry", "leela", "bender"}
    assert Role.ADMIN in _user(db, "professor").roles
    assert _user(db, "amy").display_name == "Amy Wong"


@pytest.mark.parametrize("option", ["--incremental", "--dry-run"])
def test_options_run_against_an_unused_directory(app, db, slapd, use_directory, option):
    use_directory(planetexpress(slapd))
    result = _run(app, option)
    assert result.exit_code == 0, result.output
    if option == "--dry-run":
        assert "+ user fry" in result.output
        assert _count(db, User) == 0
    else:
        assert _count(db, User) == 7


def test_incremental_sync_with_entry_csn_is_exact(app, db, slapd, subtree, use_directory):
    ou = subtree()
    with slapd.admin(GENERATED) as connection:
        for uid in ("one", "two", "three"):
            _person(connection, ou, uid)
    use_directory(
        settings_for(
            slapd, GENERATED, LDAP_USER_BASE=ou, LDAP_GROUP_BASE=ou, LDAP_ATTR_CHANGED="entryCSN"
        )
    )
    assert _run(app).exit_code == 0
    with slapd.admin(GENERATED) as connection:
        connection.modify(f"uid=one,{ou}", {"title": [("MODIFY_REPLACE", ["Changed"])]})
    report = sync.sync_directory(sync.directory_from_config(app.config), incremental=True)
    assert report.users_read == 1
    assert report.updated == ["one"]
    nothing = sync.sync_directory(sync.directory_from_config(app.config), incremental=True)
    assert nothing.updated == []


def test_every_created_person_gets_one_audit_event_with_manager_and_roles(
    app, db, slapd, subtree, use_directory
):
    from app.audit import AuditEvent

    ou = subtree()
    with slapd.admin(GENERATED) as connection:
        _person(connection, ou, "mia")
        _person(connection, ou, "noa", manager=f"uid=mia,{ou}")
    use_directory(settings_for(slapd, GENERATED, LDAP_USER_BASE=ou, LDAP_GROUP_BASE=ou))
    assert _run(app).exit_code == 0
    noa = _user(db, "noa")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "user", AuditEvent.object_id == noa.id)
    ).all()
    assert [e.action for e in events] == ["created"]
    assert events[0].changes["manager"] == [None, "mia"]
    assert events[0].changes["roles"] == [[], ["employee"]]
    assert events[0].actor_id is None


def test_a_directory_deactivation_ends_the_persons_sessions(
    app, client, db, slapd, subtree, use_directory
):
    from tests.conftest import Client

    ou = subtree()
    with slapd.admin(GENERATED) as connection:
        _person(connection, ou, "dee")
        _person(connection, ou, "eve")  # a sync that finds nobody deactivates nobody
    use_directory(settings_for(slapd, GENERATED, LDAP_USER_BASE=ou, LDAP_GROUP_BASE=ou))
    client.get("/login")
    signed_in = client.post("/login", {"username": "dee", "password": "pw-dee", "remember": "y"})
    assert signed_in.status_code == 302
    remembered = client._client.get_cookie("remember_token").value
    with slapd.admin(GENERATED) as connection:
        connection.delete(f"uid=dee,{ou}")
    assert _run(app).exit_code == 0
    with slapd.admin(GENERATED) as connection:
        _person(connection, ou, "dee")
    assert _run(app).exit_code == 0  # back in the directory: reactivated
    db.session.expire_all()
    assert _user(db, "dee").is_active
    # Sessions from before the deactivation stay ended.
    assert client.get("/").status_code == 302
    copy = Client(app.test_client())
    copy._client.set_cookie("remember_token", remembered)
    assert copy.get("/").status_code == 302


def test_the_directorys_preferred_language_follows_each_person(
    app, db, slapd, subtree, use_directory
):
    """RFC 2798 preferredLanguage ("sv-SE", or a list with qualities) becomes the person's
    directory language; a change in the directory follows at the next sync."""
    ou = subtree()
    with slapd.admin(GENERATED) as connection:
        _person(connection, ou, "sven", preferredLanguage="sv-SE, en;q=0.5")
        _person(connection, ou, "nolang")
    use_directory(settings_for(slapd, GENERATED, LDAP_USER_BASE=ou, LDAP_GROUP_BASE=ou))
    assert _run(app).exit_code == 0
    assert _user(db, "sven").directory_language == "sv"
    assert _user(db, "nolang").directory_language is None
    with slapd.admin(GENERATED) as connection:
        connection.modify(f"uid=sven,{ou}", {"preferredLanguage": [("MODIFY_REPLACE", ["en"])]})
    assert _run(app).exit_code == 0
    db.session.expire_all()
    assert _user(db, "sven").directory_language == "en"

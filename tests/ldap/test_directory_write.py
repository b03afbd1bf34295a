"""Directory changes (``app.auth.directory.write``) against the real slapd.

The session's slapd lets ``WRITER`` change the members of groups in ``dc=deskgraph,dc=test``
and ``READER`` only read them (see ``conftest.py``); each test works in its own subtree.
"""

from __future__ import annotations

from dataclasses import dataclass

import ldap3
import pytest
from sqlalchemy import select

from app.auth.directory import write as directory_write
from app.auth.directory.settings import DirectorySettings
from app.auth.directory.write import (
    ADDED,
    ALREADY_MEMBER,
    NOT_MEMBER,
    REMOVED,
    DirectoryWriteError,
    add_group_member,
    remove_group_member,
    write_configured,
)
from app.auth.models import Group, User
from tests.ldap.conftest import (
    AD,
    GENERATED,
    READER,
    READER_PASSWORD,
    WRITER,
    WRITER_PASSWORD,
    settings_for,
)
from tests.ldap.slapd import Database, Slapd, free_port


@dataclass(frozen=True)
class Team:
    ou: str

    def person(self, uid: str) -> str:
        return f"uid={uid},{self.ou}"

    def group(self, cn: str) -> str:
        return f"cn={cn},{self.ou}"


@pytest.fixture
def team(slapd, subtree) -> Team:
    """People amy, hermes and zoidberg; crew (groupOfNames), vault (groupOfUniqueNames) and
    devs (posixGroup) holding amy; and an entry that is not a group."""
    team = Team(subtree())
    with slapd.admin(GENERATED) as connection:
        for uid in ("amy", "hermes", "zoidberg"):
            connection.add(
                team.person(uid),
                "inetOrgPerson",
                {"uid": uid, "cn": uid.title(), "sn": uid, "userPassword": f"pw-{uid}"},
            )
        amy = team.person("amy")
        connection.add(team.group("crew"), "groupOfNames", {"cn": "crew", "member": [amy]})
        connection.add(
            team.group("vault"), "groupOfUniqueNames", {"cn": "vault", "uniqueMember": [amy]}
        )
        connection.add(
            team.group("devs"),
            "posixGroup",
            {"cn": "devs", "gidNumber": "5000", "memberUid": "amy"},
        )
        connection.add(team.group("desk"), "organizationalRole", {"cn": "desk"})
        assert connection.result["result"] == 0
    return team


def writer(slapd: Slapd, **extra: str) -> dict[str, str]:
    account = {"LDAP_WRITE_BIND_DN": WRITER, "LDAP_WRITE_BIND_PASSWORD": WRITER_PASSWORD}
    return settings_for(slapd, GENERATED, **{**account, **extra})


def values(slapd: Slapd, dn: str, attribute: str, suffix: str = GENERATED) -> set[str]:
    """The attribute's values as the directory's administrator sees them (lower-cased)."""
    with slapd.admin(suffix) as connection:
        connection.search(dn, "(objectClass=*)", ldap3.BASE, attributes=[attribute])
        entry = connection.response[0]
        return {str(v).lower() for v in entry["attributes"].get(attribute, [])}


def refused(settings, group_dn: str, member_dn: str, *, add: bool = True) -> DirectoryWriteError:
    call = add_group_member if add else remove_group_member
    with pytest.raises(DirectoryWriteError) as caught:
        call(settings, group_dn, member_dn)
    return caught.value


@pytest.mark.parametrize(("group", "attribute"), [("crew", "member"), ("vault", "uniqueMember")])
def test_adding_to_a_group_of_names_writes_the_member_dn(slapd, team, group, attribute):
    hermes = team.person("hermes")
    change = add_group_member(writer(slapd), team.group(group), hermes)
    assert change.action == ADDED
    assert change.changed
    assert (change.attribute, change.value) == (attribute, hermes)
    assert change.server == f"127.0.0.1:{slapd.port}"
    assert change.message == f"Added {hermes} to {team.group(group)} ({attribute})."
    held = values(slapd, team.group(group), attribute)
    assert held == {team.person("amy").lower(), hermes.lower()}


def test_adding_to_a_posix_group_writes_the_uid(slapd, team):
    settings = DirectorySettings.from_mapping(writer(slapd))
    change = add_group_member(settings, team.group("devs"), team.person("zoidberg"))
    assert (change.action, change.attribute, change.value) == (ADDED, "memberUid", "zoidberg")
    assert values(slapd, team.group("devs"), "memberUid") == {"amy", "zoidberg"}


@pytest.mark.parametrize(
    ("group", "attribute"), [("crew", "member"), ("vault", "uniqueMember"), ("devs", "memberUid")]
)
def test_an_existing_member_is_a_success_without_a_change(slapd, team, group, attribute):
    before = values(slapd, team.group(group), attribute)
    # Another spelling of the same DNs: the directory's matching rules decide, not the string.
    spelled = f"UID=Amy, {team.ou.upper()}"
    change = add_group_member(writer(slapd), f"CN={group.upper()},{team.ou}", spelled)
    assert change.action == ALREADY_MEMBER
    assert not change.changed
    assert "already a member" in change.message
    assert values(slapd, team.group(group), attribute) == before


def test_removing_is_the_mirror_and_idempotent_too(slapd, team):
    hermes = team.person("hermes")
    add_group_member(writer(slapd), team.group("crew"), hermes)
    removed = remove_group_member(writer(slapd), team.group("crew"), hermes)
    assert (removed.action, removed.changed) == (REMOVED, True)
    again = remove_group_member(writer(slapd), team.group("crew"), hermes)
    assert (again.action, again.changed) == (NOT_MEMBER, False)
    assert values(slapd, team.group("crew"), "member") == {team.person("amy").lower()}
    posix = remove_group_member(writer(slapd), team.group("devs"), team.person("amy"))
    assert (posix.action, posix.value) == (REMOVED, "amy")
    assert values(slapd, team.group("devs"), "memberUid") == set()


def test_removing_the_last_member_of_a_group_of_names_is_a_constraint_violation(slapd, team):
    error = refused(writer(slapd), team.group("crew"), team.person("amy"), add=False)
    assert error.reason == "constraint_violation"
    assert "refused to change member of" in str(error)
    assert values(slapd, team.group("crew"), "member") == {team.person("amy").lower()}


@pytest.mark.parametrize(
    ("group", "says"),
    [
        ("cn=nobody-here", "There is no group cn=nobody-here,"),
        ("cn=desk", "is not a group (objectClass: organizationalrole"),
        ("ou=nowhere-at-all,dc=nope", "There is no group ou=nowhere-at-all,dc=nope"),
        ("not a dn", "'not a dn' is not a valid group DN"),
        ("", "No group DN was given."),
    ],
)
def test_an_unknown_group_is_named(slapd, team, group, says):
    group_dn = f"{group},{team.ou}" if group.startswith("cn=") else group
    error = refused(writer(slapd), group_dn, team.person("hermes"))
    assert error.reason == "no_such_group"
    assert says in str(error)
    assert not error.retryable


@pytest.mark.parametrize("group", ["crew", "devs"])
def test_an_unknown_member_is_named_and_nothing_is_written(slapd, team, group):
    ghost = team.person("ghost")
    error = refused(writer(slapd), team.group(group), ghost)
    assert error.reason == "no_such_member"
    assert str(error) == f"There is no {ghost} in the directory."
    assert values(slapd, team.group("crew"), "member") == {team.person("amy").lower()}
    assert values(slapd, team.group("devs"), "memberUid") == {"amy"}


def test_a_member_without_a_uid_cannot_join_a_posix_group(slapd, team):
    error = refused(writer(slapd), team.group("devs"), team.group("desk"))
    assert error.reason == "no_such_member"
    assert "has no uid" in str(error)


def test_read_only_credentials_get_insufficient_access(slapd, team):
    settings = writer(slapd, LDAP_WRITE_BIND_DN=READER, LDAP_WRITE_BIND_PASSWORD=READER_PASSWORD)
    for group in ("crew", "devs"):
        error = refused(settings, team.group(group), team.person("hermes"))
        assert error.reason == "insufficient_access"
        assert f"({READER}) may not change the members of" in str(error)
    assert values(slapd, team.group("crew"), "member") == {team.person("amy").lower()}


def test_a_wrong_password_is_a_refused_bind(slapd, team):
    error = refused(
        writer(slapd, LDAP_WRITE_BIND_PASSWORD="wrong"), team.group("crew"), team.person("amy")
    )
    assert error.reason == "bind_refused"
    assert f"LDAP_WRITE_BIND_DN ({WRITER}): invalidCredentials" in str(error)


@pytest.mark.parametrize(
    ("settings", "reason", "says"),
    [
        ({}, "not_configured", "LDAP_URL is not set"),
        ({"LDAP_WRITE_BIND_DN": ""}, "not_configured", "set LDAP_WRITE_BIND_DN"),
        ({"LDAP_WRITE_BIND_PASSWORD": ""}, "misconfigured", "LDAP_WRITE_BIND_PASSWORD is empty"),
        ({"LDAP_CONNECT_TIMEOUT": "soon"}, "misconfigured", "LDAP_CONNECT_TIMEOUT"),
    ],
)
def test_missing_or_malformed_settings_are_named(slapd, team, settings, reason, says):
    config = {} if settings == {} else {**writer(slapd), **settings}
    assert write_configured(config) == (reason == "misconfigured")
    error = refused(config, team.group("crew"), team.person("hermes"))
    assert (error.reason, error.retryable) == (reason, False)
    assert says in str(error)


def test_settings_without_a_write_account_are_not_configured(slapd, team):
    settings = DirectorySettings.from_mapping(settings_for(slapd, GENERATED))
    assert not settings.can_write
    assert refused(settings, team.group("crew"), team.person("hermes")).reason == "not_configured"


def test_fail_over_and_tls_settings_are_honoured(slapd, team):
    dead = f"ldap://127.0.0.1:{free_port()}"
    settings = writer(slapd, LDAP_URL=f"{dead} {slapd.ldaps_url}", LDAP_CA_FILE=str(slapd.ca_file))
    change = add_group_member(settings, team.group("crew"), team.person("hermes"))
    assert change.action == ADDED
    assert change.server == f"127.0.0.1:{slapd.tls_port}"
    untrusted = writer(slapd, LDAP_URL=slapd.ldaps_url)  # the test CA is not a system CA
    error = refused(untrusted, team.group("crew"), team.person("zoidberg"))
    assert error.reason == "unreachable"


def test_a_stopped_slapd_cannot_be_connected_to(tmp_path):
    suffix = "dc=stopped,dc=test"
    group, person = f"cn=team,{suffix}", f"uid=leela,{suffix}"
    ldif = (
        f"dn: {person}\nobjectClass: inetOrgPerson\nuid: leela\ncn: Leela\nsn: Turanga\n\n"
        f"dn: {group}\nobjectClass: groupOfNames\ncn: team\nmember: {suffix}\n"
    )
    server = Slapd([Database(suffix)], workdir=tmp_path / "slapd")
    try:
        server.start({suffix: ldif})
        settings = settings_for(
            server,
            suffix,
            LDAP_WRITE_BIND_DN=server.admin_dn(suffix),
            LDAP_WRITE_BIND_PASSWORD="slapd-admin-secret",
        )
        assert add_group_member(settings, group, person).action == ADDED
        connect = directory_write._connect

        def connect_then_stop(s: DirectorySettings) -> ldap3.Connection:
            connection = connect(s)
            server.stop()  # bound, then the server goes away before the change
            return connection

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(directory_write, "_connect", connect_then_stop)
            midway = refused(settings, group, person, add=False)
        assert (midway.reason, midway.retryable) == ("unreachable", True)
        assert str(midway).startswith("The directory stopped answering during the change")
        error = refused(settings, group, person, add=False)
        assert error.reason == "unreachable"
        assert error.retryable
        assert str(error).startswith("Cannot connect to the directory: No directory server")
    finally:
        server.cleanup()


def test_an_active_directory_style_group_gets_member_and_memberof(slapd, subtree):
    ou = subtree(AD)
    with slapd.admin(AD) as connection:
        connection.add(f"cn=kif,{ou}", "user", {"cn": "kif", "sn": "Kroker", "uid": "kif"})
        connection.add(f"cn=nimbus,{ou}", "Group", {"cn": "nimbus", "groupType": "-2147483646"})
    settings = settings_for(
        slapd,
        AD,
        LDAP_PRESET="ad",
        LDAP_WRITE_BIND_DN=slapd.admin_dn(AD),
        LDAP_WRITE_BIND_PASSWORD="slapd-admin-secret",
    )
    change = add_group_member(settings, f"cn=nimbus,{ou}", f"cn=kif,{ou}")
    assert (change.action, change.attribute) == (ADDED, "member")
    assert values(slapd, f"cn=kif,{ou}", "memberOf", AD) == {f"cn=nimbus,{ou}".lower()}
    again = add_group_member(settings, f"cn=nimbus,{ou}", f"cn=kif,{ou}")
    assert again.action == ALREADY_MEMBER


def test_a_sync_after_the_change_sees_the_new_membership(app, db, slapd, team, use_directory):
    use_directory(
        writer(
            slapd,
            LDAP_USER_BASE=team.ou,
            LDAP_GROUP_BASE=team.ou,
            LDAP_GROUP_QUEUES="crew=Crew queue",
        )
    )
    sync = app.test_cli_runner()
    assert sync.invoke(args=["ldap", "sync", "--quiet"]).exit_code == 0

    def members(name: str) -> set[str]:
        group = db.session.scalar(select(Group).where(Group.name == name))
        db.session.refresh(group)
        return {m.username for m in group.members}

    assert members("crew") == members("Crew queue") == {"amy"}
    # What a fulfilment would pass: the DNs the sync stored (normalised, lower-cased).
    mirror = db.session.scalar(select(Group).where(Group.name == "crew"))
    hermes = db.session.scalar(select(User).where(User.username == "hermes"))
    change = add_group_member(app.config, mirror.directory_dn, hermes.directory_dn)
    assert change.action == ADDED
    result = sync.invoke(args=["ldap", "sync", "--quiet"])
    assert result.exit_code == 0, result.output
    assert members("crew") == members("Crew queue") == {"amy", "hermes"}

"""Signing in with directory credentials, against the real slapd."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from ldap3.core.exceptions import LDAPBindError
from sqlalchemy import func, select

from app.auth import services
from app.auth.directory.adapter import Directory
from app.auth.directory.settings import DirectorySettings
from app.auth.models import AccountSource, GrantSource, Group, Role, SignInFailure, User
from tests.conftest import PASSWORD
from tests.ldap.conftest import DJANGO, GENERATED, PLANET, planetexpress, settings_for
from tests.ldap.slapd import Database, Slapd, free_port, make_ca, people_ldif


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_correct_password_creates_the_account_from_the_directory(client, db, slapd, use_directory):
    use_directory(planetexpress(slapd))
    response = client.login("fry", "fry")
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    user = _user(db, "fry")
    assert user.source == AccountSource.LDAP
    assert user.display_name == "Fry"  # displayName wins over cn
    assert user.email == "fry@planetexpress.com"
    assert user.directory_dn == f"cn=philip j. fry,ou=people,{PLANET}"
    assert user.password_hash is None  # the directory keeps the password
    assert user.roles_from(GrantSource.DIRECTORY) == {Role.EMPLOYEE, Role.AGENT}
    assert user.last_login_at is not None
    queue = db.session.scalar(select(Group).where(Group.name == "Ship Crew"))
    assert queue is None  # sign-in only joins queues that exist; the sync creates them
    assert "Hello, Fry" in client.get("/").get_data(as_text=True)


def test_group_membership_maps_to_roles_and_queues(client, db, slapd, use_directory):
    use_directory(planetexpress(slapd))
    queue = Group(name="Ship Crew", is_assignment_group=True)
    db.session.add(queue)
    db.session.commit()
    assert client.login("professor", "professor").status_code == 302
    professor = _user(db, "professor")
    assert professor.has_role(Role.ADMIN)
    assert not professor.has_role(Role.AGENT)
    client.post("/logout")
    assert client.login("leela", "leela").status_code == 302
    leela = _user(db, "leela")
    assert leela.roles == {Role.EMPLOYEE, Role.AGENT}
    db.session.refresh(queue)
    assert [m.username for m in queue.members] == ["leela"]


def test_a_second_sign_in_updates_the_account_and_keeps_local_roles(
    app, client, db, slapd, use_directory
):
    use_directory(planetexpress(slapd))
    assert client.login("hermes", "hermes").status_code == 302
    hermes = _user(db, "hermes")
    admin = User(username="boss", display_name="Boss", source=AccountSource.LOCAL)
    db.session.add(admin)
    db.session.flush()
    services.set_local_roles(hermes, {Role.SERVICE_OWNER}, actor=admin)
    hermes.display_name = "Someone Else"
    db.session.commit()
    client.post("/logout")
    assert client.login("hermes", "hermes").status_code == 302
    hermes = _user(db, "hermes")
    assert hermes.display_name == "Hermes Conrad"
    assert hermes.roles_from(GrantSource.LOCAL) == {Role.SERVICE_OWNER}
    assert Role.ADMIN in hermes.roles_from(GrantSource.DIRECTORY)


@pytest.mark.parametrize("username", ["fry", "nobody"])
def test_wrong_password_or_unknown_user_is_refused_and_counted(
    client, db, slapd, use_directory, username
):
    use_directory(planetexpress(slapd))
    response = client.login(username, "not-the-password")
    assert response.status_code == 401
    assert "The username or password is not correct." in response.get_data(as_text=True)
    assert _user(db, username) is None
    failures = db.session.scalar(select(func.count()).select_from(SignInFailure))
    assert failures == 1


def test_empty_password_is_refused_before_any_bind(app, db, slapd, use_directory):
    use_directory(planetexpress(slapd))
    directory = Directory(DirectorySettings.from_mapping(app.config))
    assert directory.authenticate("fry", "") is None
    with pytest.raises(services.SignInRefused):
        services.authenticate("fry", "", address="127.0.0.1")
    assert _user(db, "fry") is None


def test_an_unknown_user_costs_the_same_binds_as_a_wrong_password(
    app, slapd, use_directory, monkeypatch
):
    """Timing must not tell which usernames exist: both refusals open a connection as the
    service account, then make one refused bind, and the unknown name is never bound as."""
    use_directory(planetexpress(slapd))
    directory = Directory(DirectorySettings.from_mapping(app.config))
    binds: list[tuple[str, str]] = []
    real_connect = Directory.connect

    def counting_connect(self, user, password, **options):
        who = "service" if user == directory.settings.bind_dn else str(user)
        try:
            connection = real_connect(self, user, password, **options)
        except LDAPBindError:
            binds.append((who, "refused"))
            raise
        binds.append((who, "bound"))
        return connection

    monkeypatch.setattr(Directory, "connect", counting_connect)
    assert directory.authenticate("fry", "not-the-password") is None
    wrong_password = [outcome for _who, outcome in binds]
    binds.clear()
    assert directory.authenticate("nobody", "not-the-password") is None
    assert [outcome for _who, outcome in binds] == wrong_password == ["bound", "refused"]
    assert binds[0][0] == "service"
    assert "nobody" not in binds[1][0]


@pytest.mark.parametrize(
    "username",
    ["*", "*)(uid=*", "fr*", "fry)(|(uid=*", "*)(objectClass=*", "\\2a"],
)
def test_filter_injection_does_not_match_anybody(client, db, slapd, use_directory, username):
    use_directory(planetexpress(slapd))
    response = client.login(username, "fry")
    assert response.status_code in (401, 422)
    assert client.get("/").status_code == 302  # still anonymous
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_nul_in_the_username_never_reaches_the_directory(client, db, slapd, use_directory):
    """Control characters are stripped from every submitted field (issue 13), so "fry\\x00" is
    the name fry typed with an invisible character: it signs in as fry, and no NUL ever
    reaches an LDAP filter."""
    use_directory(planetexpress(slapd))
    assert client.login("fry\x00", "fry").status_code == 302
    assert db.session.scalars(select(User.username)).all() == ["fry"]


def test_non_ascii_username_and_multi_valued_rdn(client, db, slapd, use_directory):
    use_directory(settings_for(slapd, DJANGO, LDAP_USER_BASE=f"ou=people,{DJANGO}"))
    assert client.login("dreßler", "password").status_code == 302
    wolfgang = _user(db, "dreßler")
    assert wolfgang.directory_dn == f"uid=dreßler,ou=people,{DJANGO}"
    client.post("/logout")
    use_directory(planetexpress(slapd))
    assert client.login("amy", "amy").status_code == 302
    amy = _user(db, "amy")
    assert amy.directory_dn == f"cn=amy wong+sn=kroker,ou=people,{PLANET}"
    assert amy.display_name == "Amy Wong"


def test_a_local_account_is_never_taken_over_by_the_directory(
    client, make_user, slapd, use_directory
):
    use_directory(planetexpress(slapd))
    make_user("fry")  # a local account that happens to share the name
    assert client.login("fry", "fry").status_code == 401
    assert client.login("fry", PASSWORD).status_code == 302


def test_unreachable_directory_says_so_and_local_admin_still_signs_in(
    client, make_user, slapd, use_directory
):
    make_user("admin", roles=["admin", "employee"])
    use_directory(planetexpress(slapd, LDAP_URL=f"ldap://127.0.0.1:{free_port()}"))
    started = time.monotonic()
    response = client.login("fry", "fry")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert "directory is unavailable" in response.get_data(as_text=True)
    assert client.login("admin").status_code == 302


@pytest.fixture
def hung_directory():
    """A loopback server that accepts every connection and never says a word; yields its
    port and the connections it accepted."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    accepted = []

    def accept() -> None:
        while True:
            try:
                accepted.append(silent.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield silent.getsockname()[1], accepted
    finally:
        silent.close()
        for conn in accepted:
            conn.close()


def _timed_login(client, username, password):
    started = time.monotonic()
    response = client.login(username, password)
    return response, time.monotonic() - started


def test_a_directory_that_never_answers_times_out(client, slapd, use_directory, hung_directory):
    port, _accepted = hung_directory
    use_directory(
        planetexpress(slapd, LDAP_URL=f"ldap://127.0.0.1:{port}", LDAP_RECEIVE_TIMEOUT="1")
    )
    response, took = _timed_login(client, "fry", "fry")
    assert took < 3
    assert response.status_code == 503
    assert "directory is unavailable" in response.get_data(as_text=True)


@pytest.mark.slow
def test_a_hung_directory_opens_the_breaker_and_sign_in_fails_fast(
    client, db, make_user, slapd, use_directory, hung_directory
):
    port, accepted = hung_directory
    make_user("admin", roles=["admin", "employee"])
    use_directory(
        planetexpress(
            slapd,
            LDAP_URL=f"ldap://127.0.0.1:{port}",
            LDAP_RECEIVE_TIMEOUT="1",
            LDAP_BREAKER_FAILURES="3",
            LDAP_BREAKER_COOLDOWN="2",
        )
    )
    for n in range(3):  # each waits for the receive timeout, then gives up
        response, took = _timed_login(client, f"stranger{n}", "guess")
        assert response.status_code == 503
        assert took < 3
    time.sleep(0.2)
    connections = len(accepted)
    assert connections == 3

    # Open: the directory is not asked any more, the answer comes at once.
    response, took = _timed_login(client, "fry", "fry")
    assert response.status_code == 503
    assert "directory is unavailable" in response.get_data(as_text=True)
    assert took < 0.8
    time.sleep(0.2)
    assert len(accepted) == connections
    # Every one of those sign-ins counted towards the throttle.
    assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 4

    time.sleep(2.1)  # the cool-down: one trial goes to the directory again
    response, took = _timed_login(client, "fry", "fry")
    assert response.status_code == 503
    time.sleep(0.2)
    assert len(accepted) == connections + 1
    assert client.login("admin").status_code == 302  # local accounts were never held up


def test_the_breaker_closes_when_the_directory_answers_again():
    from app.auth.directory.breaker import Breaker, DirectoryDown

    now = [0.0]
    breaker = Breaker(threshold=2, cooldown=30, clock=lambda: now[0])
    breaker.failed()
    breaker.before_call()  # one failure: still closed
    breaker.failed()
    with pytest.raises(DirectoryDown, match="30 s"):
        breaker.before_call()
    now[0] = 31
    breaker.before_call()  # the trial
    with pytest.raises(DirectoryDown):
        breaker.before_call()  # only one trial at a time
    breaker.succeeded()
    breaker.before_call()
    assert not breaker.is_open


def test_fail_over_to_the_second_server(client, db, slapd, use_directory):
    urls = f"ldap://127.0.0.1:{free_port()} {slapd.url}"
    use_directory(planetexpress(slapd, LDAP_URL=urls))
    assert client.login("bender", "bender").status_code == 302
    assert _user(db, "bender").display_name == "Bender"


@pytest.mark.parametrize(
    "setting",
    [
        {"LDAP_BIND_PASSWORD": "wrong"},
        {"LDAP_USER_FILTER": "objectClass=person"},
        {"LDAP_USER_BASE": "ou=nowhere,dc=planetexpress,dc=com"},
        {"LDAP_GROUP_ROLES": "ship_crew=captain"},
        {"LDAP_CONNECT_TIMEOUT": "soon"},
    ],
)
def test_a_misconfigured_directory_is_reported_as_unavailable(
    client, slapd, use_directory, setting
):
    use_directory(planetexpress(slapd, **setting))
    response = client.login("fry", "fry")
    assert response.status_code == 503
    assert "directory is unavailable" in response.get_data(as_text=True)


def test_nested_and_circular_groups_grant_roles_at_sign_in(client, db, slapd, use_directory):
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
    assert client.login("alice", "password").status_code == 302  # nested_gon → parent_gon
    assert Role.SERVICE_OWNER in _user(db, "alice").roles
    client.post("/logout")
    assert client.login("bob", "password").status_code == 302
    assert _user(db, "bob").roles == {Role.EMPLOYEE}


@pytest.mark.parametrize("transport", ["starttls", "ldaps"])
def test_tls_with_the_directory_ca(client, db, slapd, use_directory, transport):
    settings = {"LDAP_CA_FILE": str(slapd.ca_file)}
    if transport == "starttls":
        settings["LDAP_START_TLS"] = "true"
    else:
        settings["LDAP_URL"] = slapd.ldaps_url
    use_directory(planetexpress(slapd, **settings))
    assert client.login("zoidberg", "zoidberg").status_code == 302
    assert _user(db, "zoidberg") is not None


@pytest.mark.parametrize("transport", ["starttls", "ldaps"])
def test_tls_with_an_untrusted_certificate_is_unavailable(
    client, slapd, use_directory, transport, tmp_path
):
    other_ca = make_ca(tmp_path, "stranger")
    settings = {"LDAP_CA_FILE": str(other_ca)}
    if transport == "starttls":
        settings["LDAP_START_TLS"] = "true"
    else:
        settings["LDAP_URL"] = slapd.ldaps_url
    use_directory(planetexpress(slapd, **settings))
    response = client.login("zoidberg", "zoidberg")
    assert response.status_code == 503
    assert "directory is unavailable" in response.get_data(as_text=True)


def test_sign_in_links_the_manager_creating_them_from_the_directory(
    client, db, slapd, use_directory
):
    use_directory(
        settings_for(
            slapd,
            GENERATED,
            LDAP_USER_BASE=f"ou=people,{GENERATED}",
            LDAP_GROUP_BASE=f"ou=groups,{GENERATED}",
        )
    )
    assert client.login("user00123", "pw-user00123").status_code == 302
    manager = _user(db, "user00123").manager
    assert manager.username == "user00012"
    assert manager.last_login_at is None  # created from the directory, never signed in
    client.post("/logout")
    assert client.login("user00124", "pw-user00124").status_code == 302
    assert _user(db, "user00124").manager.id == manager.id  # the same account, not a copy
    assert db.session.scalar(select(func.count()).select_from(User)) == 3


def test_start_tls_refused_by_the_server_never_falls_back_to_clear_text(
    client, use_directory, tmp_path
):
    suffix = "dc=plain,dc=test"
    with Slapd([Database(suffix)], workdir=tmp_path / "plain") as plain:  # no TLS at all
        plain.start({suffix: people_ldif(suffix, 3)})
        use_directory(settings_for(plain, suffix, LDAP_START_TLS="true"))
        response = client.login("user00001", "pw-user00001")
        assert response.status_code == 503
        assert "directory is unavailable" in response.get_data(as_text=True)
        use_directory(settings_for(plain, suffix))
        assert client.login("user00001", "pw-user00001").status_code == 302


@pytest.mark.parametrize(
    ("username", "password", "status"),
    [("nobody", "whatever", 401), ("fry", "wrong", 401), ("fry", "fry", 302), ("admin", "x", 401)],
)
def test_every_sign_in_checks_a_password_hash_as_a_local_account_does(
    client, make_user, slapd, use_directory, monkeypatch, username, password, status
):
    """With a directory, a name without a local account used to skip the password hash a
    local account costs (11 ms against 111 ms), which told who has one."""
    make_user("admin", roles=["admin"])
    use_directory(planetexpress(slapd))
    checked = []
    real = services.check_password_hash

    def spy(stored, given):
        checked.append(given)
        return real(stored, given)

    monkeypatch.setattr(services, "check_password_hash", spy)
    assert client.login(username, password).status_code == status
    assert checked == [password]

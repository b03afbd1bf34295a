"""Fixtures for the directory tests: one real slapd per test session (per xdist worker).

The session's slapd serves five directories on 127.0.0.1, on a free port:

- ``dc=planetexpress,dc=com``: docker-test-openldap's crew (multi-valued RDN, AD-style
  ``Group`` objects, ``memberOf`` kept by the overlay; passwords equal the uid);
- ``o=test``: django-auth-ldap's directory (nested and circular groups, ``dreßler``);
- ``dc=example,dc=com``: OpenLDAP's 999-person directory (managers that do not exist) together
  with the classic ``test.ldif``;
- ``dc=deskgraph,dc=test``: a generated organisation of 2,100 people with valid managers and
  groups, for paged sync; tests add their own subtrees to it and remove them afterwards. Two
  service accounts live in ``ou=services``: ``WRITER`` may change the members of groups
  (``member``, ``uniqueMember``, ``memberUid``), ``READER`` may only read;
- ``dc=ad,dc=test``: empty, with the memberOf overlay, for Active Directory-like entries.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.ldap.slapd import ADMIN_PASSWORD, DATA, Database, Slapd, people_ldif

PLANET = "dc=planetexpress,dc=com"
DJANGO = "o=test"
EXAMPLE = "dc=example,dc=com"
GENERATED = "dc=deskgraph,dc=test"
AD = "dc=ad,dc=test"
GENERATED_PEOPLE = 2100
GENERATED_GROUPS = 12
SERVICES = f"ou=services,{GENERATED}"
WRITER, WRITER_PASSWORD = f"cn=deskgraph-writer,{SERVICES}", "writer-secret"
READER, READER_PASSWORD = f"cn=deskgraph-reader,{SERVICES}", "reader-secret"
GROUP_CLASSES = (
    "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))"
)
WRITER_ACCESS = (
    f"access to filter={GROUP_CLASSES} attrs=member,uniqueMember,memberUid"
    f' by dn.exact="{WRITER}" write by * read',
)


def service_accounts_ldif() -> str:
    entries = [f"dn: {SERVICES}\nobjectClass: organizationalUnit\nou: services\n"]
    for dn, password in ((WRITER, WRITER_PASSWORD), (READER, READER_PASSWORD)):
        cn = dn.split(",")[0].removeprefix("cn=")
        entries.append(
            f"dn: {dn}\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\n"
            f"cn: {cn}\nuserPassword: {password}\n"
        )
    return "\n".join(entries)


def databases() -> list[Database]:
    planet = DATA / "docker-test-openldap" / "data"
    tests = DATA / "openldap-tests"
    return [
        Database(PLANET, tuple(sorted(planet.glob("*.ldif"))), memberof_group_class="Group"),
        Database(DJANGO, (DATA / "django-auth-ldap" / "tests.ldif",)),
        Database(EXAMPLE, (tests / "its9282-exampledb.ldif.gz", tests / "test.ldif")),
        Database(GENERATED, access=WRITER_ACCESS),
        Database(AD, memberof_group_class="Group"),
    ]


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    if not DATA.is_dir():
        pytest.fail(f"the shared LDAP test data is missing: {DATA}", pytrace=False)
    server = Slapd(databases(), workdir=tmp_path_factory.mktemp("slapd"), tls=True)
    generated = people_ldif(GENERATED, GENERATED_PEOPLE, groups=GENERATED_GROUPS)
    server.start({GENERATED: generated + "\n" + service_accounts_ldif()})
    yield server
    server.cleanup()


def settings_for(slapd: Slapd, suffix: str, **extra: str) -> dict[str, str]:
    """LDAP_* settings pointing at one of the session's directories."""
    return {
        "LDAP_URL": slapd.url,
        "LDAP_BIND_DN": slapd.admin_dn(suffix),
        "LDAP_BIND_PASSWORD": ADMIN_PASSWORD,
        "LDAP_USER_BASE": suffix,
        "LDAP_CONNECT_TIMEOUT": "2",
        "LDAP_RECEIVE_TIMEOUT": "5",
        **extra,
    }


def planetexpress(slapd: Slapd, **extra: str) -> dict[str, str]:
    settings = {
        "LDAP_USER_BASE": f"ou=people,{PLANET}",
        "LDAP_GROUP_FILTER": "(objectClass=Group)",
        "LDAP_GROUP_ROLES": "admin_staff=admin; ship_crew=agent",
        "LDAP_GROUP_QUEUES": "ship_crew=Ship Crew",
        **extra,
    }
    return settings_for(slapd, PLANET, **settings)


@pytest.fixture(autouse=True)
def _fresh_circuit_breakers() -> Iterator[None]:
    """Each test starts with every directory presumed up (the breakers live in the process)."""
    from app.auth.directory.breaker import reset_breakers

    reset_breakers()
    yield
    reset_breakers()


@pytest.fixture
def use_directory(app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``use_directory(settings)``: the app talks to that directory for this test only."""

    def configure(settings: dict[str, str]) -> None:
        for key in [k for k in app.config if k.startswith("LDAP_")]:
            monkeypatch.delitem(app.config, key)
        for key, value in settings.items():
            monkeypatch.setitem(app.config, key, value)

    return configure


@pytest.fixture
def subtree(slapd: Slapd) -> Iterator[Any]:
    """A fresh ``ou=`` under a suffix, deleted (with everything in it) after the test."""
    created: list[tuple[str, str]] = []

    def make(suffix: str = GENERATED) -> str:
        dn = f"ou=run-{uuid.uuid4().hex[:10]},{suffix}"
        with slapd.admin(suffix) as connection:
            connection.add(dn, "organizationalUnit")
        created.append((suffix, dn))
        return dn

    yield make
    import ldap3

    for suffix, dn in created:
        if slapd.process is None:
            break
        with slapd.admin(suffix) as connection:
            connection.search(dn, "(objectClass=*)", ldap3.SUBTREE, attributes=["1.1"])
            for entry in sorted(connection.response, key=lambda e: -len(e["dn"])):
                connection.delete(entry["dn"])

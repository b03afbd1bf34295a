"""The directory adapter's pure parts: settings, DN normalisation, range keys, nesting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.auth.directory.entries import DirectoryGroup, expand_groups, parse_range_key
from app.auth.directory.settings import (
    DirectoryMisconfigured,
    DirectorySettings,
    normalise_dn,
    parse_group_map,
)

BASE = {"LDAP_URL": "ldap://a.example", "LDAP_USER_BASE": "dc=example,dc=com"}


def test_openldap_preset_is_the_default():
    settings = DirectorySettings.from_mapping(BASE)
    assert settings.urls == ("ldap://a.example",)
    assert settings.attr("username") == ("uid",)
    assert settings.user_filter == "(objectClass=inetOrgPerson)"
    assert settings.group_base == "dc=example,dc=com"
    assert settings.connect_timeout == 5
    assert settings.receive_timeout == 10
    assert (settings.breaker_failures, settings.breaker_cooldown) == (3, 30)


def test_active_directory_preset_and_overrides():
    settings = DirectorySettings.from_mapping(
        {
            **BASE,
            "LDAP_URL": "ldaps://dc1.corp.example ldaps://dc2.corp.example",
            "LDAP_PRESET": "AD",
            "LDAP_ATTR_TITLE": "jobTitle",
            "LDAP_GROUP_ROLES": '{"CN=Desk Admins,OU=Groups,DC=corp": "admin", "Agents": "agent"}',
            "LDAP_GROUP_QUEUES": "cn=net,ou=groups,dc=corp=Network\nhelpdesk = Service Desk",
        }
    )
    assert settings.urls == ("ldaps://dc1.corp.example", "ldaps://dc2.corp.example")
    assert settings.attr("username") == ("sAMAccountName",)
    assert settings.attr("disabled") == ("userAccountControl",)
    assert settings.attr("changed") == ("uSNChanged",)
    assert settings.attr("title") == ("jobTitle",)
    assert settings.group_roles == {"cn=desk admins,ou=groups,dc=corp": "admin", "agents": "agent"}
    assert settings.group_queues == {
        "cn=net,ou=groups,dc=corp": "Network",
        "helpdesk": "Service Desk",
    }


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"LDAP_URL": ""}, "LDAP_URL"),
        ({"LDAP_URL": "http://x"}, "LDAP_URL"),
        ({"LDAP_USER_BASE": ""}, "LDAP_USER_BASE"),
        ({"LDAP_PRESET": "novell"}, "LDAP_PRESET"),
        ({"LDAP_USER_FILTER": "uid=*"}, "LDAP_USER_FILTER"),
        ({"LDAP_RECEIVE_TIMEOUT": "0"}, "LDAP_RECEIVE_TIMEOUT"),
        ({"LDAP_CONNECT_TIMEOUT": "fast"}, "LDAP_CONNECT_TIMEOUT"),
        ({"LDAP_BREAKER_FAILURES": "0"}, "LDAP_BREAKER_FAILURES"),
        ({"LDAP_BREAKER_COOLDOWN": "soon"}, "LDAP_BREAKER_COOLDOWN"),
        ({"LDAP_PAGE_SIZE": "0"}, "LDAP_PAGE_SIZE"),
        ({"LDAP_START_TLS": "maybe"}, "LDAP_START_TLS"),
        ({"LDAP_GROUP_ROLES": "admins"}, "LDAP_GROUP_ROLES"),
        ({"LDAP_GROUP_ROLES": "{not json"}, "LDAP_GROUP_ROLES"),
        ({"LDAP_BIND_DN": "cn=svc", "LDAP_BIND_PASSWORD": ""}, "LDAP_BIND_PASSWORD"),
    ],
)
def test_malformed_settings_name_the_variable(changes, named):
    with pytest.raises(DirectoryMisconfigured, match=named):
        DirectorySettings.from_mapping({**BASE, **changes})


def test_group_map_accepts_names_and_dns():
    assert parse_group_map("", "X") == {}
    assert parse_group_map("Ship_Crew=agent;cn=a\\,b,dc=x=admin", "X") == {
        "ship_crew": "agent",
        "cn=a\\,b,dc=x": "admin",
    }


def test_normalise_dn():
    assert normalise_dn("CN=Amy Wong+sn=Kroker, ou=People,DC=x") == normalise_dn(
        "sn=kroker+cn=amy wong,ou=people,dc=x"
    )
    assert normalise_dn("uid=dreßler,ou=people,o=test") == "uid=dreßler,ou=people,o=test"
    assert normalise_dn("not a dn") == "not a dn"


def test_range_keys():
    assert parse_range_key("member;range=0-1499") == ("member", 0, 1499)
    assert parse_range_key("member;range=1500-*") == ("member", 1500, None)
    assert parse_range_key("member") is None


def test_nested_groups_with_a_cycle_terminate():
    groups = {
        g.key: g
        for g in (
            DirectoryGroup("cn=a,o=t", "a", ("cn=b,o=t", "uid=ann,o=t")),
            DirectoryGroup("cn=b,o=t", "b", ("cn=c,o=t", "uid=bob,o=t")),
            DirectoryGroup("cn=c,o=t", "c", ("CN=A,o=t", "")),
            DirectoryGroup("cn=d,o=t", "d", ()),
        )
    }
    expanded = expand_groups(groups)
    everyone = {"uid=ann,o=t", "uid=bob,o=t"}
    assert expanded["cn=a,o=t"] == everyone
    assert expanded["cn=c,o=t"] == everyone
    assert expanded["cn=d,o=t"] == frozenset()


def test_the_adapter_does_not_import_flask():
    code = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location(\n"
        "    'directory', 'app/auth/directory/adapter.py'\n"
        ")\n"
        "module = sys.modules['directory'] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlalchemy'}))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "[]"


def test_the_account_for_changes_is_optional_and_its_password_stays_out_of_repr():
    assert not DirectorySettings.from_mapping(BASE).can_write
    settings = DirectorySettings.from_mapping(
        {
            **BASE,
            "LDAP_WRITE_BIND_DN": " cn=writer,dc=example,dc=com ",
            "LDAP_WRITE_BIND_PASSWORD": "s3",
        }
    )
    assert settings.can_write
    assert settings.write_bind_dn == "cn=writer,dc=example,dc=com"
    assert "s3" not in repr(settings)
    with pytest.raises(DirectoryMisconfigured, match="LDAP_WRITE_BIND_PASSWORD is empty"):
        DirectorySettings.from_mapping(
            {**BASE, "LDAP_WRITE_BIND_DN": "cn=writer,dc=example,dc=com"}
        )

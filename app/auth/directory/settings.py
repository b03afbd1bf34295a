"""The directory's settings: ``LDAP_*`` values, validated and completed by a preset.

No Flask here. ``DirectorySettings.from_mapping`` turns the ``LDAP_*`` keys of any mapping
(the app's config, a test's dict) into a frozen dataclass, filling what is not set from the
OpenLDAP or Active Directory preset. A malformed value raises ``DirectoryMisconfigured``
naming the key.

The adapter's two errors live here because a bad setting is the first way the directory can
fail, and ``normalise_dn`` because the group maps (``LDAP_GROUP_ROLES``, ``LDAP_GROUP_QUEUES``)
are keyed by normalised DN.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# What the desk reads of a person, then what it reads to know groups and changes.
PERSON_KEYS = (
    "username",
    "display_name",
    "email",
    "department",
    "title",
    "phone",
    "language",
    "manager",
)
ATTRIBUTE_KEYS = (
    *PERSON_KEYS,
    "member",
    "member_of",
    "group_name",
    "disabled",
    "changed",
)

PRESETS: dict[str, dict[str, Any]] = {
    "openldap": {
        "user_filter": "(objectClass=inetOrgPerson)",
        "group_filter": "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))",
        "attributes": {
            "username": "uid",
            "display_name": "displayName,cn",
            "email": "mail",
            "department": "ou,departmentNumber",
            "title": "title",
            "phone": "telephoneNumber",
            "language": "preferredLanguage",
            "manager": "manager",
            "member": "member,uniqueMember",
            "member_of": "memberOf",
            "group_name": "cn",
            "disabled": "",
            "changed": "modifyTimestamp",
        },
    },
    "ad": {
        "user_filter": "(&(objectCategory=person)(objectClass=user))",
        "group_filter": "(objectClass=group)",
        "attributes": {
            "username": "sAMAccountName",
            "display_name": "displayName,cn",
            "email": "mail,userPrincipalName",
            "department": "department",
            "title": "title",
            "phone": "telephoneNumber",
            "language": "preferredLanguage",
            "manager": "manager",
            "member": "member",
            "member_of": "memberOf",
            "group_name": "cn",
            "disabled": "userAccountControl",
            "changed": "uSNChanged",
        },
    },
}


class DirectoryUnavailable(Exception):
    """The directory cannot answer: unreachable, too slow, or misconfigured."""


class DirectoryMisconfigured(DirectoryUnavailable):
    """An ``LDAP_*`` setting is missing or malformed; the message names it."""


def normalise_dn(dn: str) -> str:
    """A comparable form of a DN: attribute types and values lower-cased, spaces around
    separators dropped, the parts of a multi-valued RDN sorted."""
    from ldap3.core import exceptions as ldap_errors  # here: ldap3 loads with a directory
    from ldap3.utils.dn import parse_dn

    try:
        parts = parse_dn(dn.strip(), strip=True)
    except (ldap_errors.LDAPInvalidDnError, ValueError, IndexError):
        return dn.strip().lower()
    rdns: list[list[str]] = [[]]
    for attr, value, separator in parts:
        rdns[-1].append(f"{attr.lower()}={value.lower()}")
        if separator == ",":
            rdns.append([])
    return ",".join("+".join(sorted(rdn)) for rdn in rdns if rdn)


def _split(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.replace(";", ",").split(",") if p.strip())


def parse_group_map(raw: str, setting: str) -> dict[str, str]:
    """Parse ``LDAP_GROUP_ROLES``/``LDAP_GROUP_QUEUES``: a JSON object, or ``group=value``
    pairs separated by ``;`` or new lines (a group is its name or its full DN; the value is
    whatever follows the last ``=``). Keys come back as normalised DNs or lower-cased names."""
    raw = raw.strip()
    if not raw:
        return {}
    if raw.startswith("{"):
        try:
            pairs = json.loads(raw)
        except json.JSONDecodeError as error:
            raise DirectoryMisconfigured(f"{setting} is not valid JSON: {error}") from None
        if not isinstance(pairs, dict) or not all(isinstance(v, str) for v in pairs.values()):
            raise DirectoryMisconfigured(f"{setting} must map group names to strings")
        items = list(pairs.items())
    else:
        items = []
        for chunk in re.split(r"[;\n]", raw):
            if not chunk.strip():
                continue
            if "=" not in chunk:
                raise DirectoryMisconfigured(f"{setting}: expected group=value, got {chunk!r}")
            key, value = chunk.rsplit("=", 1)
            items.append((key, value))
    result = {}
    for key, value in items:
        key, value = key.strip(), value.strip()
        if not key or not value:
            raise DirectoryMisconfigured(f"{setting}: empty group or value in {raw!r}")
        result[normalise_dn(key) if "=" in key else key.lower()] = value
    return result


def _float(env: Mapping[str, Any], name: str, default: float) -> float:
    raw = str(env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise DirectoryMisconfigured(f"{name} must be a number of seconds, got {raw!r}") from None
    if not 0 < value <= 600:
        raise DirectoryMisconfigured(f"{name} must be between 0 and 600 seconds, got {raw!r}")
    return value


def _count(env: Mapping[str, Any], name: str, default: int) -> int:
    raw = str(env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdecimal() or not 1 <= int(raw) <= 1000:
        raise DirectoryMisconfigured(f"{name} must be a whole number from 1 to 1000, got {raw!r}")
    return int(raw)


def _flag(env: Mapping[str, Any], name: str, default: bool) -> bool:
    raw = str(env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise DirectoryMisconfigured(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True)
class DirectorySettings:
    """Validated directory settings. Attribute map values list LDAP attributes in order of
    preference (the first one with a value wins)."""

    urls: tuple[str, ...]
    user_base: str
    group_base: str
    preset: str = "openldap"
    bind_dn: str = ""
    bind_password: str = field(default="", repr=False)
    write_bind_dn: str = ""
    write_bind_password: str = field(default="", repr=False)
    user_filter: str = PRESETS["openldap"]["user_filter"]
    group_filter: str = PRESETS["openldap"]["group_filter"]
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    group_roles: Mapping[str, str] = field(default_factory=dict)
    group_queues: Mapping[str, str] = field(default_factory=dict)
    default_role: str = "employee"
    start_tls: bool = False
    ca_file: str = ""
    verify_certificate: bool = True
    connect_timeout: float = 5.0
    receive_timeout: float = 10.0
    breaker_failures: int = 3
    breaker_cooldown: float = 30.0
    page_size: int = 500
    nested_groups: bool = True
    import_groups: bool = True

    @classmethod
    def from_mapping(cls, env: Mapping[str, Any]) -> DirectorySettings:
        """Build settings from ``LDAP_*`` keys. :raise DirectoryMisconfigured: naming the key."""
        urls = _split(str(env.get("LDAP_URL") or "").replace(" ", ","))
        if not urls:
            raise DirectoryMisconfigured("LDAP_URL is not set")
        for url in urls:
            if not re.match(r"^ldaps?://[^/\s]+/?$", url, re.I):
                raise DirectoryMisconfigured(
                    f"LDAP_URL must list ldap:// or ldaps:// URLs, got {url!r}"
                )
        preset = str(env.get("LDAP_PRESET") or "openldap").strip().lower()
        if preset not in PRESETS:
            raise DirectoryMisconfigured(f"LDAP_PRESET must be one of {', '.join(PRESETS)}")
        defaults = PRESETS[preset]
        user_base = str(env.get("LDAP_USER_BASE") or env.get("LDAP_BASE_DN") or "").strip()
        if not user_base:
            raise DirectoryMisconfigured("LDAP_USER_BASE (or LDAP_BASE_DN) is not set")
        group_base = str(env.get("LDAP_GROUP_BASE") or env.get("LDAP_BASE_DN") or user_base)
        attributes = {
            key: _split(str(env.get(f"LDAP_ATTR_{key.upper()}") or defaults["attributes"][key]))
            for key in ATTRIBUTE_KEYS
        }
        for key in ("username", "group_name"):
            if not attributes[key]:
                raise DirectoryMisconfigured(f"LDAP_ATTR_{key.upper()} must name an attribute")
        filters = {}
        for key in ("user_filter", "group_filter"):
            value = str(env.get(f"LDAP_{key.upper()}") or defaults[key]).strip()
            if not (value.startswith("(") and value.endswith(")")):
                raise DirectoryMisconfigured(
                    f"LDAP_{key.upper()} must be an LDAP filter in parentheses"
                )
            filters[key] = value
        page_size = str(env.get("LDAP_PAGE_SIZE") or "500").strip()
        if not page_size.isdecimal() or not 1 <= int(page_size) <= 5000:
            raise DirectoryMisconfigured("LDAP_PAGE_SIZE must be a whole number from 1 to 5000")
        settings = cls(
            urls=urls,
            preset=preset,
            bind_dn=str(env.get("LDAP_BIND_DN") or "").strip(),
            bind_password=str(env.get("LDAP_BIND_PASSWORD") or ""),
            write_bind_dn=str(env.get("LDAP_WRITE_BIND_DN") or "").strip(),
            write_bind_password=str(env.get("LDAP_WRITE_BIND_PASSWORD") or ""),
            user_base=user_base,
            group_base=str(group_base).strip(),
            attributes=attributes,
            group_roles=parse_group_map(str(env.get("LDAP_GROUP_ROLES") or ""), "LDAP_GROUP_ROLES"),
            group_queues=parse_group_map(
                str(env.get("LDAP_GROUP_QUEUES") or ""), "LDAP_GROUP_QUEUES"
            ),
            default_role=str(env.get("LDAP_DEFAULT_ROLE") or "employee").strip().lower(),
            start_tls=_flag(env, "LDAP_START_TLS", False),
            ca_file=str(env.get("LDAP_CA_FILE") or "").strip(),
            verify_certificate=_flag(env, "LDAP_TLS_VERIFY", True),
            connect_timeout=_float(env, "LDAP_CONNECT_TIMEOUT", 5.0),
            receive_timeout=_float(env, "LDAP_RECEIVE_TIMEOUT", 10.0),
            breaker_failures=_count(env, "LDAP_BREAKER_FAILURES", 3),
            breaker_cooldown=_float(env, "LDAP_BREAKER_COOLDOWN", 30.0),
            page_size=int(page_size),
            nested_groups=_flag(env, "LDAP_NESTED_GROUPS", True),
            import_groups=_flag(env, "LDAP_IMPORT_GROUPS", True),
            **filters,
        )
        if settings.bind_dn and not settings.bind_password:
            raise DirectoryMisconfigured("LDAP_BIND_PASSWORD is empty but LDAP_BIND_DN is set")
        if settings.write_bind_dn and not settings.write_bind_password:
            raise DirectoryMisconfigured(
                "LDAP_WRITE_BIND_PASSWORD is empty but LDAP_WRITE_BIND_DN is set"
            )
        return settings

    @property
    def can_write(self) -> bool:
        """Whether an account for directory changes (``LDAP_WRITE_BIND_DN``) is configured."""
        return bool(self.write_bind_dn)

    def attr(self, key: str) -> tuple[str, ...]:
        return tuple(self.attributes.get(key, ()))

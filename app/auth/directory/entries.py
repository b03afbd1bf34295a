"""What the directory returns, as plain data: people, groups and their nesting.

No Flask and no connection here. ``user_from_entry`` turns one search result (a DN and its raw
attribute values) into a ``DirectoryUser`` using the settings' attribute map; ``expand_groups``
resolves nested groups; ``parse_range_key`` reads Active Directory's slices of a large
multi-valued attribute (``member;range=0-1499``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.auth.directory.settings import PERSON_KEYS, DirectorySettings, normalise_dn

AD_ACCOUNT_DISABLED = 0x2  # userAccountControl bit ACCOUNTDISABLE
AD_RANGE_STEP = 1500  # Active Directory's MaxValRange: larger groups come in slices
_RANGE_KEY = re.compile(r"^(?P<attr>[^;]+);range=(?P<low>\d+)-(?P<high>\d+|\*)$", re.I)


@dataclass(frozen=True)
class DirectoryUser:
    dn: str
    username: str
    display_name: str
    email: str | None = None
    department: str | None = None
    title: str | None = None
    phone: str | None = None
    language: str | None = None  # preferredLanguage, as the directory writes it
    manager_dn: str | None = None
    member_of: tuple[str, ...] = ()
    disabled: bool = False
    changed: str | None = None

    @property
    def key(self) -> str:
        return normalise_dn(self.dn)


@dataclass(frozen=True)
class DirectoryGroup:
    dn: str
    name: str
    member_dns: tuple[str, ...] = ()
    changed: str | None = None

    @property
    def key(self) -> str:
        return normalise_dn(self.dn)


def attribute_values(raw: Mapping[str, list[bytes]], names: tuple[str, ...]) -> list[str]:
    """Values of the first of ``names`` present in an entry's raw attributes, decoded."""
    lowered = {k.lower(): v for k, v in raw.items()}
    for name in names:
        values = [v.decode("utf-8", "replace").strip() for v in lowered.get(name.lower(), [])]
        values = [v for v in values if v]
        if values:
            return values
    return []


def attribute_value(raw: Mapping[str, list[bytes]], names: tuple[str, ...]) -> str | None:
    """The first value of ``attribute_values``, or ``None``."""
    values = attribute_values(raw, names)
    return values[0] if values else None


def user_attribute_names(settings: DirectorySettings) -> list[str]:
    """The LDAP attributes to ask for when reading a person."""
    names = [n for key in PERSON_KEYS for n in settings.attr(key)]
    names += list(settings.attr("member_of")) + list(settings.attr("disabled"))
    return sorted(set(names + list(settings.attr("changed"))))


def user_from_entry(
    settings: DirectorySettings, dn: str, raw: Mapping[str, list[bytes]]
) -> DirectoryUser | None:
    """A person from one search result; ``None`` when the entry has no username."""
    s = settings
    username = attribute_value(raw, s.attr("username"))
    if not username:
        return None
    flags = attribute_value(raw, s.attr("disabled"))
    disabled = bool(flags and flags.lstrip("-").isdecimal() and int(flags) & AD_ACCOUNT_DISABLED)
    return DirectoryUser(
        dn=dn,
        username=username,
        display_name=attribute_value(raw, s.attr("display_name")) or username,
        email=attribute_value(raw, s.attr("email")),
        department=attribute_value(raw, s.attr("department")),
        title=attribute_value(raw, s.attr("title")),
        phone=attribute_value(raw, s.attr("phone")),
        language=attribute_value(raw, s.attr("language")),
        manager_dn=attribute_value(raw, s.attr("manager")),
        member_of=tuple(attribute_values(raw, s.attr("member_of"))),
        disabled=disabled,
        changed=attribute_value(raw, s.attr("changed")),
    )


def parse_range_key(key: str) -> tuple[str, int, int | None] | None:
    """``member;range=0-1499`` → ``("member", 0, 1499)``; the last slice ends in ``*`` →
    ``None``. Any other attribute name → ``None``."""
    match = _RANGE_KEY.match(key)
    if match is None:
        return None
    high = match["high"]
    return match["attr"], int(match["low"]), None if high == "*" else int(high)


def expand_groups(groups: Mapping[str, DirectoryGroup]) -> dict[str, frozenset[str]]:
    """Each group's members, nested groups included: ``{group key: {member keys}}``.

    A member that is itself a group in ``groups`` contributes its own members, recursively.
    Cycles (A contains B contains A) are cut: every group is visited once per expansion, so
    the members of a cycle all belong to each group in it. The group keys themselves are not
    members. Linear in the number of membership edges per group."""
    direct = {key: {normalise_dn(m) for m in g.member_dns if m} for key, g in groups.items()}
    expanded: dict[str, frozenset[str]] = {}
    for root in direct:
        seen = {root}
        people: set[str] = set()
        stack = [root]
        while stack:
            for member in direct[stack.pop()]:
                if member in direct:
                    if member not in seen:
                        seen.add(member)
                        stack.append(member)
                else:
                    people.add(member)
        expanded[root] = frozenset(people)
    return expanded

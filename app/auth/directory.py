"""The directory adapter: LDAP sign-in and reading people and groups, on ldap3.

No Flask here: ``DirectorySettings.from_mapping`` turns the ``LDAP_*`` settings (validated,
completed by an OpenLDAP or Active Directory preset) into a frozen dataclass, and
``Directory`` talks to the servers. Everything it returns is plain data (``DirectoryUser``,
``DirectoryGroup``); ``app.auth.sync`` turns that into accounts.

Every way the directory can fail to answer (no server reachable, a server that accepts the
connection and then says nothing, a service account that cannot bind, a malformed setting)
becomes one exception, ``DirectoryUnavailable``, with a message meant for the operator. A wrong
password is not a failure of the directory: ``authenticate`` returns ``None``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import ssl
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import ldap3
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

log = logging.getLogger(__name__)

AD_ACCOUNT_DISABLED = 0x2  # userAccountControl bit ACCOUNTDISABLE
AD_RANGE_STEP = 1500  # Active Directory's MaxValRange: larger groups come in slices
_RANGE_KEY = re.compile(r"^(?P<attr>[^;]+);range=(?P<low>\d+)-(?P<high>\d+|\*)$", re.I)

ATTRIBUTE_KEYS = (
    "username",
    "display_name",
    "email",
    "department",
    "title",
    "phone",
    "manager",
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
        if not page_size.isdigit() or not 1 <= int(page_size) <= 5000:
            raise DirectoryMisconfigured("LDAP_PAGE_SIZE must be a whole number from 1 to 5000")
        settings = cls(
            urls=urls,
            preset=preset,
            bind_dn=str(env.get("LDAP_BIND_DN") or "").strip(),
            bind_password=str(env.get("LDAP_BIND_PASSWORD") or ""),
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
            page_size=int(page_size),
            nested_groups=_flag(env, "LDAP_NESTED_GROUPS", True),
            import_groups=_flag(env, "LDAP_IMPORT_GROUPS", True),
            **filters,
        )
        if settings.bind_dn and not settings.bind_password:
            raise DirectoryMisconfigured("LDAP_BIND_PASSWORD is empty but LDAP_BIND_DN is set")
        return settings

    def attr(self, key: str) -> tuple[str, ...]:
        return tuple(self.attributes.get(key, ()))


@dataclass(frozen=True)
class DirectoryUser:
    dn: str
    username: str
    display_name: str
    email: str | None = None
    department: str | None = None
    title: str | None = None
    phone: str | None = None
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


def _texts(raw: Mapping[str, list[bytes]], names: tuple[str, ...]) -> list[str]:
    """Values of the first of ``names`` present in an entry's raw attributes, decoded."""
    lowered = {k.lower(): v for k, v in raw.items()}
    for name in names:
        values = [v.decode("utf-8", "replace").strip() for v in lowered.get(name.lower(), [])]
        values = [v for v in values if v]
        if values:
            return values
    return []


def _first(raw: Mapping[str, list[bytes]], names: tuple[str, ...]) -> str | None:
    values = _texts(raw, names)
    return values[0] if values else None


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


Progress = Callable[[str, int], None]


def close(connection: ldap3.Connection) -> None:
    """Unbind, ignoring a connection that is already broken, and release its socket (ldap3
    keeps the socket of a failed connection attempt open)."""
    with contextlib.suppress(ldap_errors.LDAPException, OSError):
        connection.unbind()
    sock = getattr(connection, "socket", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.close()


class Directory:
    """A client for one configured directory. Each public call opens its own connection and
    closes it, so a ``Directory`` can be shared between threads."""

    def __init__(self, settings: DirectorySettings) -> None:
        self.settings = settings
        self._servers = [self._server(url) for url in settings.urls]

    def _server(self, url: str) -> ldap3.Server:
        s = self.settings
        tls = None
        if url.lower().startswith("ldaps://") or s.start_tls:
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED if s.verify_certificate else ssl.CERT_NONE,
                ca_certs_file=s.ca_file or None,
            )
        return ldap3.Server(url, get_info=ldap3.NONE, connect_timeout=s.connect_timeout, tls=tls)

    def _open(self, user: str | None, password: str | None) -> ldap3.Connection:
        """Open and bind on the first server that answers (fail-over in ``LDAP_URL`` order).

        :raise DirectoryUnavailable: no server answered, or the TLS handshake failed.
        :raise ldap_errors.LDAPBindError: a server answered and refused the credentials.
        """
        problems = []
        for server in self._servers:
            connection = ldap3.Connection(
                server,
                user=user,
                password=password,
                receive_timeout=max(1, math.ceil(self.settings.receive_timeout)),
                raise_exceptions=False,
                read_only=True,
                auto_referrals=False,
            )
            try:
                connection.open()
                if self.settings.start_tls and not server.ssl and not connection.start_tls():
                    # Never fall back to sending the password in clear.
                    raise ldap_errors.LDAPStartTLSError("the server refused StartTLS")
                if user is None:
                    return connection
                if connection.bind():
                    return connection
                result = connection.result or {}
            except (ldap_errors.LDAPException, OSError, ValueError) as error:
                # Unreachable, timed out, reset, or the TLS handshake failed: try the next one.
                problems.append(f"{server.host}:{server.port}: {error}")
                close(connection)
                continue
            close(connection)
            raise ldap_errors.LDAPBindError(result.get("description") or "bind refused")
        raise DirectoryUnavailable(
            "No directory server answered: " + "; ".join(problems or ["no server configured"])
        )

    def service_connection(self) -> ldap3.Connection:
        """A connection bound as the service account (anonymous when none is set).

        :raise DirectoryUnavailable: unreachable, or the service account cannot bind.
        """
        s = self.settings
        try:
            return self._open(s.bind_dn or None, s.bind_password or None)
        except ldap_errors.LDAPBindError as error:
            raise DirectoryMisconfigured(
                f"The service account LDAP_BIND_DN cannot bind: {error}"
            ) from None

    def _user_attributes(self) -> list[str]:
        keys = ("username", "display_name", "email", "department", "title", "phone", "manager")
        names = [n for key in keys for n in self.settings.attr(key)]
        names += list(self.settings.attr("member_of")) + list(self.settings.attr("disabled"))
        return sorted(set(names + list(self.settings.attr("changed"))))

    def _to_user(self, dn: str, raw: Mapping[str, list[bytes]]) -> DirectoryUser | None:
        s = self.settings
        username = _first(raw, s.attr("username"))
        if not username:
            return None
        flags = _first(raw, s.attr("disabled"))
        disabled = bool(flags and flags.lstrip("-").isdigit() and int(flags) & AD_ACCOUNT_DISABLED)
        return DirectoryUser(
            dn=dn,
            username=username,
            display_name=_first(raw, s.attr("display_name")) or username,
            email=_first(raw, s.attr("email")),
            department=_first(raw, s.attr("department")),
            title=_first(raw, s.attr("title")),
            phone=_first(raw, s.attr("phone")),
            manager_dn=_first(raw, s.attr("manager")),
            member_of=tuple(_texts(raw, s.attr("member_of"))),
            disabled=disabled,
            changed=_first(raw, s.attr("changed")),
        )

    def _search(
        self,
        connection: ldap3.Connection,
        base: str,
        search_filter: str,
        attributes: list[str],
        *,
        scope: str = ldap3.SUBTREE,
        progress: Progress | None = None,
        what: str = "entries",
    ) -> Iterator[tuple[str, dict[str, list[bytes]]]]:
        """Paged search yielding ``(dn, raw attributes)``.

        :raise DirectoryUnavailable: the server failed or went away in the middle.
        """
        cookie: bytes | None = None
        count = 0
        while True:
            try:
                connection.search(
                    base,
                    search_filter,
                    search_scope=scope,
                    attributes=attributes,
                    paged_size=self.settings.page_size,
                    paged_cookie=cookie,
                )
            except ldap_errors.LDAPException as error:
                raise DirectoryUnavailable(f"The directory stopped answering: {error}") from None
            result = connection.result or {}
            code = result.get("result", 0)
            if code == 32:  # noSuchObject: the base does not exist
                raise DirectoryMisconfigured(f"The search base {base!r} does not exist")
            if code not in (0, 4):  # 4: sizeLimitExceeded still returns what it found
                raise DirectoryUnavailable(
                    f"The directory refused the search: {result.get('description')} "
                    f"{result.get('message') or ''}".strip()
                )
            for item in connection.response or []:
                if item.get("type") == "searchResEntry":
                    count += 1
                    yield item["dn"], item.get("raw_attributes") or {}
            if progress is not None:
                progress(what, count)
            controls = result.get("controls") or {}
            cookie = controls.get("1.2.840.113556.1.4.319", {}).get("value", {}).get("cookie")
            if not cookie:
                return

    def _escaped(self, names: tuple[str, ...], value: str) -> str:
        value = escape_filter_chars(value)
        terms = [f"({name}={value})" for name in names]
        return terms[0] if len(terms) == 1 else "(|" + "".join(terms) + ")"

    def find_user(
        self, username: str, connection: ldap3.Connection | None = None
    ) -> DirectoryUser | None:
        """The entry whose username attribute equals ``username`` (escaped), or ``None`` when
        there is none or more than one."""
        s = self.settings
        conn = connection or self.service_connection()
        try:
            search_filter = f"(&{s.user_filter}{self._escaped(s.attr('username'), username)})"
            found = list(self._search(conn, s.user_base, search_filter, self._user_attributes()))
        finally:
            if connection is None:
                close(conn)
        if len(found) != 1:
            if found:
                log.warning("%d directory entries match username %r", len(found), username)
            return None
        return self._to_user(*found[0])

    def authenticate(self, username: str, password: str) -> DirectoryUser | None:
        """Search the user as the service account, then bind as the DN found.

        Returns the user, or ``None`` for an unknown user, a wrong password or an empty
        password (refused before any bind: an unauthenticated bind would "succeed").

        :raise DirectoryUnavailable: the directory cannot be asked.
        """
        if not password or not username or not username.strip():
            return None
        user = self.find_user(username.strip())
        if user is None:
            return None
        try:
            connection = self._open(user.dn, password)
        except ldap_errors.LDAPBindError:
            return None
        close(connection)
        return user

    def user_by_dn(self, dn: str, connection: ldap3.Connection) -> DirectoryUser | None:
        """Read one user entry by DN (``None`` if it does not exist or is not a user)."""
        try:
            found = list(
                self._search(
                    connection,
                    dn,
                    self.settings.user_filter,
                    self._user_attributes(),
                    scope=ldap3.BASE,
                )
            )
        except DirectoryMisconfigured:  # noSuchObject for this DN
            return None
        return self._to_user(*found[0]) if found else None

    def iter_users(
        self,
        *,
        changed_since: str | None = None,
        progress: Progress | None = None,
        connection: ldap3.Connection | None = None,
    ) -> Iterator[DirectoryUser]:
        """Every user under the user base (paged), or only those changed since the mark."""
        s = self.settings
        search_filter = s.user_filter
        if changed_since and s.attr("changed"):
            # uSNChanged and entryCSN are unique per change: read strictly after the mark.
            # modifyTimestamp has a one-second resolution: entries of the mark's second are
            # read again (harmless) rather than missed.
            name = s.attr("changed")[0]
            if changed_since.isdigit():
                since = f"({name}>={int(changed_since) + 1})"
            else:
                mark = escape_filter_chars(changed_since)
                since = f"({name}>={mark})"
                if "#" in changed_since:  # an OpenLDAP CSN
                    since = f"(&{since}(!({name}={mark})))"
            search_filter = f"(&{search_filter}{since})"
        conn = connection or self.service_connection()
        try:
            for dn, raw in self._search(
                conn,
                s.user_base,
                search_filter,
                self._user_attributes(),
                progress=progress,
                what="users",
            ):
                user = self._to_user(dn, raw)
                if user is not None:
                    yield user
        finally:
            if connection is None:
                close(conn)

    def _full_members(
        self, connection: ldap3.Connection, dn: str, raw: Mapping[str, list[bytes]]
    ) -> list[str]:
        """A group's members, following Active Directory range retrieval when the server
        sent only a slice (``member;range=0-1499``)."""
        members = _texts(raw, self.settings.attr("member"))
        for key, values in raw.items():
            parsed = parse_range_key(key)
            if parsed is None:
                continue
            attr, _low, high = parsed
            members.extend(v.decode("utf-8", "replace") for v in values)
            while high is not None:
                wanted = f"{attr};range={high + 1}-*"
                page = list(
                    self._search(connection, dn, "(objectClass=*)", [wanted], scope=ldap3.BASE)
                )
                if not page:
                    break
                high = None
                for next_key, next_values in page[0][1].items():
                    next_range = parse_range_key(next_key)
                    if next_range is not None:
                        members.extend(v.decode("utf-8", "replace") for v in next_values)
                        high = next_range[2]
        return [m for m in members if m.strip()]

    def iter_groups(
        self,
        *,
        progress: Progress | None = None,
        connection: ldap3.Connection | None = None,
        search_filter: str | None = None,
    ) -> Iterator[DirectoryGroup]:
        """Every group under the group base (paged), members in full."""
        s = self.settings
        attributes = sorted(set(s.attr("group_name") + s.attr("member") + s.attr("changed")))
        conn = connection or self.service_connection()
        try:
            found = list(
                self._search(
                    conn,
                    s.group_base,
                    search_filter or s.group_filter,
                    attributes,
                    progress=progress,
                    what="groups",
                )
            )
            for dn, raw in found:
                yield DirectoryGroup(
                    dn=dn,
                    name=_first(raw, s.attr("group_name")) or dn,
                    member_dns=tuple(self._full_members(conn, dn, raw)),
                    changed=_first(raw, s.attr("changed")),
                )
        finally:
            if connection is None:
                close(conn)

    def groups_of(
        self, user: DirectoryUser, connection: ldap3.Connection | None = None
    ) -> list[DirectoryGroup]:
        """The groups ``user`` belongs to, directly or (when enabled) through nested groups.

        Asks the directory for groups whose member attribute holds the user's DN, then for
        groups holding those groups, until nothing new turns up (cycle-safe)."""
        s = self.settings
        conn = connection or self.service_connection()
        try:
            found: dict[str, DirectoryGroup] = {}
            frontier = [user.dn]
            while frontier:
                terms = "".join(
                    f"({name}={escape_filter_chars(dn)})"
                    for dn in frontier
                    for name in s.attr("member")
                )
                search_filter = f"(&{s.group_filter}(|{terms}))"
                frontier = []
                for group in self.iter_groups(connection=conn, search_filter=search_filter):
                    if group.key not in found:
                        found[group.key] = group
                        frontier.append(group.dn)
                if not s.nested_groups:
                    break
            return list(found.values())
        finally:
            if connection is None:
                close(conn)

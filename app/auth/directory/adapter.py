"""The directory adapter: LDAP sign-in and reading people and groups, on ldap3.

No Flask here. ``Directory`` talks to the servers configured by a ``DirectorySettings``
(``app.auth.directory.settings``): fail-over across ``LDAP_URL``, TLS and StartTLS, paged
searches, bind as the user, Active Directory range retrieval and nested groups. Everything it
returns is plain data (``DirectoryUser``, ``DirectoryGroup`` from ``app.auth.directory.entries``);
``app.auth.directory.sync`` turns that into accounts.

Every way the directory can fail to answer (no server reachable, a server that accepts the
connection and then says nothing, a service account that cannot bind, a malformed setting)
becomes one exception, ``DirectoryUnavailable``, with a message meant for the operator. A wrong
password is not a failure of the directory: ``authenticate`` returns ``None``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import ssl
from collections.abc import Callable, Iterator, Mapping

import ldap3
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars

from app.auth.directory.breaker import breaker_for
from app.auth.directory.entries import (
    DirectoryGroup,
    DirectoryUser,
    attribute_value,
    attribute_values,
    parse_range_key,
    user_attribute_names,
    user_from_entry,
)
from app.auth.directory.settings import (
    DirectoryMisconfigured,
    DirectorySettings,
    DirectoryUnavailable,
)

log = logging.getLogger(__name__)

# The RDN bound to when a username is unknown (see ``Directory.authenticate``).
NOBODY_RDN = "deskgraph-no-such-user"

Progress = Callable[[str, int], None]  # called with ("users" or "groups", entries read so far)


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
        self._breaker = breaker_for(settings)

    def _server(self, url: str) -> ldap3.Server:
        s = self.settings
        tls = None
        if url.lower().startswith("ldaps://") or s.start_tls:
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED if s.verify_certificate else ssl.CERT_NONE,
                ca_certs_file=s.ca_file or None,
            )
        return ldap3.Server(url, get_info=ldap3.NONE, connect_timeout=s.connect_timeout, tls=tls)

    def connect(
        self, user: str | None, password: str | None, *, read_only: bool = True
    ) -> ldap3.Connection:
        """Open and bind on the first server that answers (fail-over in ``LDAP_URL`` order),
        with the settings' TLS and timeouts. Reads use ``read_only`` connections; only
        ``app.auth.directory.write`` asks for a writable one. The caller closes it.

        While the directory is down (``app.auth.directory.breaker``) no connection is tried.

        :raise DirectoryUnavailable: no server answered, or the TLS handshake failed, or the
            breaker is open.
        :raise ldap_errors.LDAPBindError: a server answered and refused the credentials.
        """
        self._breaker.before_call()
        problems = []
        for server in self._servers:
            connection = ldap3.Connection(
                server,
                user=user,
                password=password,
                receive_timeout=max(1, math.ceil(self.settings.receive_timeout)),
                raise_exceptions=False,
                read_only=read_only,
                auto_referrals=False,
            )
            try:
                connection.open()
                if self.settings.start_tls and not server.ssl and not connection.start_tls():
                    # Never fall back to sending the password in clear.
                    raise ldap_errors.LDAPStartTLSError("the server refused StartTLS")
                if user is None:  # anonymous: the first search tells whether it answers
                    return connection
                if connection.bind():
                    self._breaker.succeeded()
                    return connection
                result = connection.result or {}
            except (ldap_errors.LDAPException, OSError, ValueError) as error:
                # Unreachable, timed out, reset, or the TLS handshake failed: try the next one.
                problems.append(f"{server.host}:{server.port}: {error}")
                close(connection)
                continue
            close(connection)
            self._breaker.succeeded()  # refusing a bind is an answer
            raise ldap_errors.LDAPBindError(result.get("description") or "bind refused")
        self._breaker.failed()
        raise DirectoryUnavailable(
            "No directory server answered: " + "; ".join(problems or ["no server configured"])
        )

    def service_connection(self) -> ldap3.Connection:
        """A connection bound as the service account (anonymous when none is set).

        :raise DirectoryUnavailable: unreachable, or the service account cannot bind.
        """
        s = self.settings
        try:
            return self.connect(s.bind_dn or None, s.bind_password or None)
        except ldap_errors.LDAPBindError as error:
            raise DirectoryMisconfigured(
                f"The service account LDAP_BIND_DN cannot bind: {error}"
            ) from None

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
                self._breaker.failed()
                raise DirectoryUnavailable(f"The directory stopped answering: {error}") from None
            self._breaker.succeeded()
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
            found = list(self._search(conn, s.user_base, search_filter, user_attribute_names(s)))
        finally:
            if connection is None:
                close(conn)
        if len(found) != 1:
            if found:
                log.warning("%d directory entries match username %r", len(found), username)
            return None
        return user_from_entry(self.settings, *found[0])

    def authenticate(self, username: str, password: str) -> DirectoryUser | None:
        """Search the user as the service account, then bind as the DN found.

        Returns the user, or ``None`` for an unknown user, a wrong password or an empty
        password (refused before any bind: an unauthenticated bind would "succeed"). An
        unknown user still costs a refused bind, so the time to answer does not tell which
        usernames exist.

        :raise DirectoryUnavailable: the directory cannot be asked.
        """
        if not password or not username or not username.strip():
            return None
        user = self.find_user(username.strip())
        if user is None:
            self._bind_as_nobody(password)
            return None
        try:
            connection = self.connect(user.dn, password)
        except ldap_errors.LDAPBindError:
            return None
        close(connection)
        return user

    def _bind_as_nobody(self, password: str) -> None:
        """Spend what a wrong password costs (a connection and a refused bind) on a DN that
        names no entry, whatever the outcome: the caller refuses the sign-in anyway. The DN
        is not derived from the username, so no real account can be locked out by it."""
        try:
            connection = self.connect(f"cn={NOBODY_RDN},{self.settings.user_base}", password)
        except (ldap_errors.LDAPBindError, DirectoryUnavailable):
            return
        close(connection)

    def user_by_dn(self, dn: str, connection: ldap3.Connection) -> DirectoryUser | None:
        """Read one user entry by DN (``None`` if it does not exist or is not a user)."""
        try:
            found = list(
                self._search(
                    connection,
                    dn,
                    self.settings.user_filter,
                    user_attribute_names(self.settings),
                    scope=ldap3.BASE,
                )
            )
        except DirectoryMisconfigured:  # noSuchObject for this DN
            return None
        return user_from_entry(self.settings, *found[0]) if found else None

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
            if changed_since.isdecimal():
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
                user_attribute_names(self.settings),
                progress=progress,
                what="users",
            ):
                user = user_from_entry(s, dn, raw)
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
        members = attribute_values(raw, self.settings.attr("member"))
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
                    name=attribute_value(raw, s.attr("group_name")) or dn,
                    member_dns=tuple(self._full_members(conn, dn, raw)),
                    changed=attribute_value(raw, s.attr("changed")),
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

"""Directory changes: add a person to a group in LDAP, or take them out, with ldap3.

No Flask here. With an account for changes configured (``LDAP_WRITE_BIND_DN`` and
``LDAP_WRITE_BIND_PASSWORD``), ``add_group_member`` binds as it on the servers of ``LDAP_URL``
(same fail-over, TLS and timeouts as the reads in ``app.auth.directory.adapter``), reads the group's
object classes to pick the membership attribute, checks that the person exists, and adds the
value with one ``MODIFY_ADD``. ``remove_group_member`` is its mirror with ``MODIFY_DELETE``.

Both are idempotent: adding a member who is already there (or removing one who is not) succeeds
without a change. The database is never touched: the caller records the returned
``MembershipChange`` (on a ticket's timeline, say). Every failure is one
``DirectoryWriteError`` whose message says what went wrong in words a fulfilment agent can act
on, and whose ``reason`` is a stable code.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ldap3
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.dn import parse_dn

from app.auth.directory.adapter import Directory, close
from app.auth.directory.entries import attribute_value, attribute_values
from app.auth.directory.settings import (
    DirectoryMisconfigured,
    DirectorySettings,
    DirectoryUnavailable,
)
from app.i18n import N_
from app.i18n.stored import english, stored

log = logging.getLogger(__name__)

# Group object class (lower-case) → membership attribute and whether its values are DNs.
# Classes holding DNs win over posixGroup, so an RFC 2307bis group (groupOfNames with the
# auxiliary posixGroup) gets ``member``, as its clients read it.
DN_MEMBER_ATTRIBUTES = {
    "groupofnames": "member",
    "group": "member",  # Active Directory
    "groupofuniquenames": "uniqueMember",
}
UID_MEMBER_ATTRIBUTE = {"posixgroup": "memberUid"}

# LDAP result codes (RFC 4511) the mapping below names.
NO_SUCH_ATTRIBUTE = 16
CONSTRAINT_VIOLATION = 19
VALUE_EXISTS = 20
INVALID_SYNTAX = 21
NO_SUCH_OBJECT = 32
INVALID_DN_SYNTAX = 34
INSUFFICIENT_ACCESS = 50
UNWILLING_TO_PERFORM = 53  # Active Directory: removing someone who is not a member
OBJECT_CLASS_VIOLATION = 65  # e.g. removing the last member of a groupOfNames
ALREADY_EXISTS = 68  # Active Directory: adding someone who is already a member
REFUSED_VALUE = {CONSTRAINT_VIOLATION, INVALID_SYNTAX, OBJECT_CLASS_VIOLATION}

ADDED, ALREADY_MEMBER, REMOVED, NOT_MEMBER = "added", "already a member", "removed", "not a member"


class DirectoryWriteError(Exception):
    """A directory change that did not happen. ``text`` says why for a person, as a stored
    message (:mod:`app.i18n.stored`) worded in each reader's language; ``str(error)`` is its
    English (logs, the CLI). ``reason`` is one of ``not_configured``, ``misconfigured``,
    ``unreachable``, ``bind_refused``, ``no_such_group``, ``no_such_member``,
    ``insufficient_access``, ``constraint_violation``, ``refused``."""

    def __init__(self, reason: str, text: dict[str, Any]) -> None:
        super().__init__(english(text))
        self.reason = reason
        self.text = text

    @property
    def retryable(self) -> bool:
        """Whether trying again later may succeed without anybody changing anything."""
        return self.reason == "unreachable"


@dataclass(frozen=True)
class MembershipChange:
    """What a call did, for a ticket's timeline."""

    action: str  # ADDED, ALREADY_MEMBER, REMOVED or NOT_MEMBER
    group_dn: str
    member_dn: str
    attribute: str  # member, uniqueMember or memberUid
    value: str  # the value written or found: a DN, or a uid for memberUid
    server: str  # host:port of the server that answered

    @property
    def changed(self) -> bool:
        return self.action in (ADDED, REMOVED)

    @property
    def message(self) -> str:
        """What was done in English (logs, the CLI)."""
        return english(self.stored_message)

    @property
    def stored_message(self) -> dict[str, Any]:
        """What was done as a stored message (:mod:`app.i18n.stored`), for a timeline its
        readers read in their language."""
        where = f"{self.group_dn} ({self.attribute})"
        return stored(CHANGE_WORDS[self.action], member=self.member_dn, where=where)


# What is wrong with a DN the caller gave, by what it names.
DN_WORDS = {
    "group": (N_("No group DN was given."), N_("%(dn)s is not a valid group DN.")),
    "member": (N_("No member DN was given."), N_("%(dn)s is not a valid member DN.")),
}

CHANGE_WORDS = {
    ADDED: N_("Added %(member)s to %(where)s."),
    REMOVED: N_("Removed %(member)s from %(where)s."),
    ALREADY_MEMBER: N_("%(member)s is already a member of %(where)s; nothing changed."),
    NOT_MEMBER: N_("%(member)s is not a member of %(where)s; nothing changed."),
}


def write_configured(config: Mapping[str, Any]) -> bool:
    """Whether ``config`` names a directory and an account for changes (no network, no
    validation: a malformed setting still shows up as an error of the write itself)."""
    return bool(str(config.get("LDAP_URL") or "").strip()) and bool(
        str(config.get("LDAP_WRITE_BIND_DN") or "").strip()
    )


def add_group_member(
    settings: DirectorySettings | Mapping[str, Any], group_dn: str, member_dn: str
) -> MembershipChange:
    """Make ``member_dn`` a member of ``group_dn`` (the attribute follows the group's object
    class). ``settings`` may be a ``DirectorySettings`` or a mapping of ``LDAP_*`` keys.

    :raise DirectoryWriteError: nothing was changed; the message says why.
    """
    return _change(settings, group_dn, member_dn, add=True)


def remove_group_member(
    settings: DirectorySettings | Mapping[str, Any], group_dn: str, member_dn: str
) -> MembershipChange:
    """Take ``member_dn`` out of ``group_dn``; the mirror of ``add_group_member``.

    :raise DirectoryWriteError: nothing was changed; the message says why.
    """
    return _change(settings, group_dn, member_dn, add=False)


def _settings(settings: DirectorySettings | Mapping[str, Any]) -> DirectorySettings:
    if not isinstance(settings, DirectorySettings):
        if not str(settings.get("LDAP_URL") or "").strip():
            raise DirectoryWriteError(
                "not_configured", stored(N_("No directory is configured (LDAP_URL is not set)."))
            )
        try:
            settings = DirectorySettings.from_mapping(settings)
        except DirectoryMisconfigured as error:
            raise DirectoryWriteError(
                "misconfigured", stored(N_("Directory misconfigured: %(error)s"), error=str(error))
            ) from None
    if not settings.can_write:
        raise DirectoryWriteError(
            "not_configured",
            stored(
                N_(
                    "Directory changes are not configured: set LDAP_WRITE_BIND_DN and "
                    "LDAP_WRITE_BIND_PASSWORD to an account allowed to change group members."
                )
            ),
        )
    return settings


def _checked_dn(dn: str, what: str, reason: str) -> str:
    dn = (dn or "").strip()
    missing, invalid = DN_WORDS[what]
    if not dn:
        raise DirectoryWriteError(reason, stored(missing))
    try:
        parts = parse_dn(dn, strip=True)
    except (ldap_errors.LDAPInvalidDnError, ValueError, IndexError):
        raise DirectoryWriteError(reason, stored(invalid, dn=repr(dn))) from None
    # ldap3 refuses spaces around the separators that RFC 4514 readers accept.
    return "".join(f"{attr}={value}{separator}" for attr, value, separator in parts)


def _connect(settings: DirectorySettings) -> ldap3.Connection:
    try:
        return Directory(settings).connect(
            settings.write_bind_dn, settings.write_bind_password, read_only=False
        )
    except DirectoryUnavailable as error:
        raise DirectoryWriteError(
            "unreachable",
            stored(N_("Cannot connect to the directory: %(error)s"), error=str(error)),
        ) from None
    except ldap_errors.LDAPBindError as error:
        raise DirectoryWriteError(
            "bind_refused",
            stored(
                N_(
                    "The directory refused the account for changes LDAP_WRITE_BIND_DN "
                    "(%(account)s): %(error)s."
                ),
                account=settings.write_bind_dn,
                error=str(error),
            ),
        ) from None


def _result(connection: ldap3.Connection) -> tuple[int, str]:
    result = connection.result or {}
    words = " ".join(str(result.get(k) or "") for k in ("description", "message")).strip()
    return int(result.get("result") or 0), words


def _read(
    connection: ldap3.Connection, dn: str, attributes: list[str]
) -> tuple[str, dict[str, list[bytes]]] | None:
    """One entry by DN (``None`` when there is none, or the account may not see it)."""
    connection.search(dn, "(objectClass=*)", ldap3.BASE, attributes=attributes)
    code, words = _result(connection)
    if code in (NO_SUCH_OBJECT, INVALID_DN_SYNTAX):
        return None
    if code != 0:
        raise DirectoryWriteError(
            "refused",
            stored(N_("The directory refused to read %(dn)s: %(words)s."), dn=dn, words=words),
        )
    for item in connection.response or []:
        if item.get("type") == "searchResEntry":
            return item["dn"], item.get("raw_attributes") or {}
    return None


def _membership_attribute(group_dn: str, raw: Mapping[str, list[bytes]]) -> tuple[str, bool]:
    """The group's membership attribute and whether it holds DNs (else uids)."""
    classes = {c.lower() for c in attribute_values(raw, ("objectClass",))}
    for name, attribute in DN_MEMBER_ATTRIBUTES.items():
        if name in classes:
            return attribute, True
    for name, attribute in UID_MEMBER_ATTRIBUTE.items():
        if name in classes:
            return attribute, False
    raise DirectoryWriteError(
        "no_such_group",
        stored(
            N_(
                "%(dn)s is not a group (objectClass: %(classes)s); "
                "expected groupOfNames, groupOfUniqueNames, posixGroup or group."
            ),
            dn=group_dn,
            classes=", ".join(sorted(classes)) or stored(N_("none")),
        ),
    )


def _change(
    settings: DirectorySettings | Mapping[str, Any], group_dn: str, member_dn: str, *, add: bool
) -> MembershipChange:
    s = _settings(settings)
    group_dn = _checked_dn(group_dn, "group", "no_such_group")
    member_dn = _checked_dn(member_dn, "member", "no_such_member")
    connection = _connect(s)
    try:
        return _modify(s, connection, group_dn, member_dn, add=add)
    except (ldap_errors.LDAPCommunicationError, ldap_errors.LDAPResponseTimeoutError) as error:
        raise DirectoryWriteError(
            "unreachable",
            stored(
                N_("The directory stopped answering during the change: %(error)s"), error=str(error)
            ),
        ) from None
    except ldap_errors.LDAPException as error:
        raise DirectoryWriteError(
            "refused", stored(N_("The change could not be made: %(error)s"), error=str(error))
        ) from None
    finally:
        close(connection)


def _modify(
    s: DirectorySettings, connection: ldap3.Connection, group_dn: str, member_dn: str, *, add: bool
) -> MembershipChange:
    group = _read(connection, group_dn, ["objectClass"])
    if group is None:
        raise DirectoryWriteError(
            "no_such_group", stored(N_("There is no group %(dn)s in the directory."), dn=group_dn)
        )
    group_dn = group[0]
    attribute, holds_dns = _membership_attribute(group_dn, group[1])
    uid_names = ("uid", *s.attr("username"))
    member = _read(connection, member_dn, ["1.1"] if holds_dns else list(uid_names))
    if member is None:
        raise DirectoryWriteError(
            "no_such_member", stored(N_("There is no %(dn)s in the directory."), dn=member_dn)
        )
    member_dn = member[0]
    value = member_dn if holds_dns else attribute_value(member[1], uid_names)
    if not value:
        raise DirectoryWriteError(
            "no_such_member",
            stored(
                N_("%(member)s has no uid, so it cannot be put in the posixGroup %(group)s."),
                member=member_dn,
                group=group_dn,
            ),
        )
    server = f"{connection.server.host}:{connection.server.port}"

    def outcome(action: str) -> MembershipChange:
        change = MembershipChange(action, group_dn, member_dn, attribute, value, server)
        log.info("Directory change by %s: %s", s.write_bind_dn, change.message)
        return change

    operation = ldap3.MODIFY_ADD if add else ldap3.MODIFY_DELETE
    connection.modify(group_dn, {attribute: [(operation, [value])]})
    code, words = _result(connection)
    if code == 0:
        return outcome(ADDED if add else REMOVED)
    # Already (or not) there: OpenLDAP says so with its own codes, Active Directory with
    # entryAlreadyExists and unwillingToPerform. Ask the directory before calling it a success.
    unchanged = {VALUE_EXISTS, ALREADY_EXISTS} if add else {NO_SUCH_ATTRIBUTE, UNWILLING_TO_PERFORM}
    if code in unchanged and _holds(connection, group_dn, attribute, value) == add:
        return outcome(ALREADY_MEMBER if add else NOT_MEMBER)
    raise _refusal(s, code, words, group_dn, member_dn, attribute)


def _holds(connection: ldap3.Connection, dn: str, attribute: str, value: str) -> bool:
    """Whether the entry's attribute holds the value (LDAP compare, so the directory's own
    matching rule decides: DNs compare whatever their case and spacing)."""
    return bool(connection.compare(dn, attribute, value))


def _refusal(
    s: DirectorySettings, code: int, words: str, group_dn: str, member_dn: str, attribute: str
) -> DirectoryWriteError:
    if code == INSUFFICIENT_ACCESS:
        return DirectoryWriteError(
            "insufficient_access",
            stored(
                N_(
                    "The account for changes (%(account)s) may not change the members of "
                    "%(group)s: insufficient access rights."
                ),
                account=s.write_bind_dn,
                group=group_dn,
            ),
        )
    if code in REFUSED_VALUE:
        return DirectoryWriteError(
            "constraint_violation",
            stored(
                N_(
                    "The directory refused to change %(attribute)s of %(group)s for "
                    "%(member)s: %(words)s."
                ),
                attribute=attribute,
                group=group_dn,
                member=member_dn,
                words=words or stored(N_("constraint violation")),
            ),
        )
    if code == NO_SUCH_OBJECT:  # deleted between the read and the change
        return DirectoryWriteError(
            "no_such_group", stored(N_("There is no group %(dn)s any more."), dn=group_dn)
        )
    return DirectoryWriteError(
        "refused",
        stored(
            N_("The directory refused to change the members of %(group)s: %(words)s."),
            group=group_dn,
            words=words,
        ),
    )

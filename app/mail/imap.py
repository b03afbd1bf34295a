"""Mail in over IMAP (``imap-tools``), without Flask or the database: read the messages waiting
in a folder as raw bytes, leaving them unseen, and move each one the desk has stored to a
"processed" folder (created when missing). Nothing is ever deleted; a message the desk failed
to store stays where it was and is read again at the next poll, so nothing is lost.

Use::

    for fetched in fetch(settings):
        store(fetched.raw)      # and commit
        fetched.done()          # then move it out of the way

or, holding the connection yourself, ``with Mailbox(settings) as mailbox:`` and
``mailbox.fetch()`` / ``mailbox.done(uid)``. Any failure to reach or use the server raises
``MailboxUnavailable``.
"""

from __future__ import annotations

import contextlib
import enum
import imaplib
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError
from imap_tools.utils import encode_folder

DEFAULT_PORTS = {"none": 143, "starttls": 143, "ssl": 993}
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class Security(enum.StrEnum):
    NONE = "none"  # plain text: only for a server on the same host or a trusted network
    STARTTLS = "starttls"
    SSL = "ssl"  # implicit TLS, usually port 993


class MailboxUnavailable(Exception):
    """The mailbox cannot be read now: the server is down or refuses the login, the folder is
    missing, the connection broke. Nothing was lost; try again at the next poll."""


@dataclass(frozen=True)
class ImapSettings:
    """One mailbox to poll. ``ca_file`` trusts a private CA (or a self-signed certificate) in
    addition to the system's; certificates are always verified for ``starttls`` and ``ssl``."""

    host: str
    port: int | None = None  # the usual port for the security when not given
    security: Security = Security.SSL
    username: str = ""
    password: str = field(default="", repr=False)
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    timeout: float = 30.0
    ca_file: str | None = None
    # Larger messages are not downloaded (see ``Fetched``); None downloads everything. Callers
    # that set it must handle ``Fetched.complete`` (parse's limit is ``MAX_BYTES``).
    max_bytes: int | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.effective_port}"

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[Security(self.security).value]


@dataclass(frozen=True)
class Fetched:
    """One message read from the folder: its IMAP ``uid``, its ``raw`` bytes as stored and its
    ``size``. A message over ``ImapSettings.max_bytes`` (when set) is not downloaded:
    ``complete`` is false and ``raw`` holds its headers only (quarantine it with that reason,
    then ``done()``, so that it never blocks the mailbox)."""

    uid: str
    raw: bytes
    size: int = 0
    complete: bool = True
    mailbox: Mailbox | None = field(default=None, repr=False, compare=False)

    def done(self) -> None:
        """Move this message to the processed folder (the connection it came by must be open)."""
        if self.mailbox is None:
            raise MailboxUnavailable("this message was not read from an open mailbox")
        self.mailbox.done(self.uid)


def fetch(settings: ImapSettings, *, limit: int | None = None) -> Iterator[Fetched]:
    """The messages waiting in the folder, oldest first, at most ``limit``; each one's
    ``done()`` moves it away. The connection closes when the iteration ends."""
    with Mailbox(settings) as mailbox:
        yield from mailbox.fetch(limit=limit)


class Mailbox:
    """An open IMAP session on one mailbox's folder (a context manager)."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self._box: Any = None
        self._processed_ready = False

    def __enter__(self) -> Mailbox:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        settings = self.settings
        try:
            self._box = _connect(settings)
        except (OSError, imaplib.IMAP4.error, ImapToolsError, ValueError) as error:
            raise MailboxUnavailable(
                f"cannot connect to the IMAP server {settings.address}: {_describe(error)}"
            ) from error
        try:
            if f"{settings.username}{settings.password}".isascii():
                self._box.login(settings.username, settings.password, initial_folder=None)
            else:  # LOGIN takes ASCII only; AUTHENTICATE PLAIN carries UTF-8
                self._box.login_utf8(settings.username, settings.password, initial_folder=None)
            _refresh_capabilities(self._box.client)
        except (OSError, imaplib.IMAP4.error, ImapToolsError, ValueError) as error:
            self.close()
            raise MailboxUnavailable(
                f"the IMAP server {settings.address} refused the login of "
                f"{settings.username!r}: {_describe(error)}"
            ) from error
        self._select()

    def close(self) -> None:
        box, self._box = self._box, None
        if box is None:
            return
        try:
            box.logout()
        except Exception:  # a broken connection has nothing left to close politely
            with contextlib.suppress(Exception):
                box.client.shutdown()

    def fetch(self, *, limit: int | None = None) -> Iterator[Fetched]:
        """The folder's messages (not those flagged deleted), oldest first, left unseen."""
        uids = self._call(lambda box: box.uids("UNDELETED"), "list the messages")
        uids = uids[:limit] if limit is not None else uids
        sizes = self._call(lambda box: _sizes(box, uids), "read the message sizes")
        for uid in uids:
            size = sizes.get(uid)
            if size is None:  # gone meanwhile (another poller moved it): nothing to do
                continue
            max_bytes = self.settings.max_bytes
            complete = max_bytes is None or size <= max_bytes
            section = "BODY.PEEK[]" if complete else "BODY.PEEK[HEADER]"
            raw = self._call(
                lambda box, uid=uid, section=section: _peek(box, uid, section),
                f"read message {uid}",
            )
            if raw is not None:
                yield Fetched(uid=uid, raw=raw, size=size, complete=complete, mailbox=self)

    def done(self, uid: str) -> None:
        """Move the message to the processed folder, creating the folder the first time."""
        target = self.settings.processed_folder
        if not self._processed_ready:
            self._call(lambda box: _ensure_folder(box, target), f"create the folder {target!r}")
            self._processed_ready = True
        self._call(lambda box: _move(box, uid, target), f"move message {uid} to {target!r}")

    def _select(self) -> None:
        folder = self.settings.folder
        self._call(lambda box: box.folder.set(folder), f"open the folder {folder!r}")

    def _call(self, action: Any, what: str) -> Any:
        if self._box is None:
            raise MailboxUnavailable(f"the IMAP connection to {self.settings.address} is closed")
        try:
            return action(self._box)
        except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort, ImapToolsError) as error:
            self.close()
            raise MailboxUnavailable(
                f"IMAP server {self.settings.address} could not {what}: {_describe(error)}"
            ) from error


def _connect(settings: ImapSettings) -> Any:
    security = Security(settings.security)
    port = settings.effective_port
    if security is Security.NONE:
        return MailBoxUnencrypted(settings.host, port, timeout=settings.timeout)
    context = ssl.create_default_context(cafile=settings.ca_file)
    if security is Security.STARTTLS:
        return MailBoxStartTls(settings.host, port, timeout=settings.timeout, ssl_context=context)
    return MailBox(settings.host, port, timeout=settings.timeout, ssl_context=context)


def _refresh_capabilities(client: imaplib.IMAP4) -> None:
    """Read the capabilities again: servers announce some (MOVE, UIDPLUS) only after login,
    and ``imaplib`` keeps those of the greeting."""
    status, data = client.capability()
    if status == "OK" and data and isinstance(data[-1], bytes):
        client.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())


def _sizes(box: Any, uids: list[str], chunk: int = 500) -> dict[str, int]:
    """The size of each message (``RFC822.SIZE``), a few hundred per command (servers limit
    the length of a command line)."""
    sizes = {}
    for start in range(0, len(uids), chunk):
        status, data = box.client.uid(
            "FETCH", ",".join(uids[start : start + chunk]), "(RFC822.SIZE)"
        )
        if status != "OK":
            raise imaplib.IMAP4.error(f"FETCH RFC822.SIZE answered {status}: {data!r}")
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if isinstance(line, bytes):
                uid, size = _UID.search(line), _SIZE.search(line)
                if uid and size:
                    sizes[uid.group(1).decode()] = int(size.group(1))
    return sizes


def _peek(box: Any, uid: str, section: str = "BODY.PEEK[]") -> bytes | None:
    """The message's bytes exactly as stored, without setting ``\\Seen`` (``BODY.PEEK``)."""
    status, data = box.client.uid("FETCH", uid, f"({section})")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH {uid} answered {status}: {data!r}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and _UID.search(item[0]):
            return bytes(item[1])
    return None


def _ensure_folder(box: Any, name: str) -> None:
    if not box.folder.exists(name):
        box.folder.create(name)


def _move(box: Any, uid: str, target: str) -> None:
    """``UID MOVE`` (RFC 6851); without it, copy, flag the original deleted, and expunge that
    one message only (``UID EXPUNGE``, RFC 4315) when the server can; never a plain EXPUNGE,
    which would remove other people's deleted messages too."""
    client = box.client
    if "MOVE" in client.capabilities:
        _ok(client.uid("MOVE", uid, encode_folder(target)), "MOVE")
        return
    _ok(client.uid("COPY", uid, encode_folder(target)), "COPY")
    _ok(client.uid("STORE", uid, "+FLAGS", "(\\Deleted)"), "STORE")
    if "UIDPLUS" in client.capabilities:
        _ok(client.uid("EXPUNGE", uid), "EXPUNGE")


def _ok(result: tuple[str, Any], command: str) -> None:
    status, data = result
    if status != "OK":
        raise imaplib.IMAP4.error(f"{command} answered {status}: {data!r}")


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__

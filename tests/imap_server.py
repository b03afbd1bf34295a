"""A throw-away Dovecot IMAP server for tests and benchmarks.

``Dovecot`` writes a configuration of its own into a temporary directory (base_dir, state_dir,
the log, a passwd-file with one user, the Maildir, a self-signed certificate for 127.0.0.1), starts
``/usr/sbin/dovecot -F -c <conf>`` on free loopback ports (plain/STARTTLS and implicit TLS), waits
for them, and stops it on ``stop()``; ``start()`` again serves the same mailbox. It never touches
the system's Dovecot service or ``/etc/dovecot``. Debian's ``dovecot-imapd`` is installed by
``scripts/test`` (``ensure_dovecot``); without it the tests that need it are skipped.

Run as root (as in the test containers), the mail processes run as Dovecot's own ``dovecot``
user, which cannot read pytest's private temporary folders: the server's folder is made under
the system's temporary directory instead and handed to that user.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from imap_tools import imap_utf7

DOVECOT = Path("/usr/sbin/dovecot")
USER = "desk"
PASSWORD = "desk-imap-secret"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:{root}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Dovecot:
    """One Dovecot serving one user's Maildir on 127.0.0.1: ``port`` (plain, STARTTLS offered)
    and ``ssl_port`` (implicit TLS); ``cert_file`` is the certificate to trust."""

    def __init__(self, *, capabilities: str | None = None, password: str = PASSWORD) -> None:
        """``capabilities`` replaces what the server announces after login (to test a client
        against an older server: without MOVE, without UIDPLUS); ``password`` is ``USER``'s."""
        self.capabilities = capabilities
        self.password = password
        self.root = Path(tempfile.mkdtemp(prefix="deskgraph-dovecot-"))
        self.port = free_port()
        self.ssl_port = free_port()
        self.cert_file = self.root / "cert.pem"
        self.process: subprocess.Popen[bytes] | None = None
        self._write_config()

    def _write_config(self) -> None:
        root = self.root
        for folder in ("run", "state", "home"):
            (root / folder).mkdir()
        if os.getuid() == 0:
            mail_user = pwd.getpwnam("dovecot")
            user, login_user = "dovecot", "dovenull"
            uid, gid = mail_user.pw_uid, mail_user.pw_gid
            root.chmod(0o755)
            os.chown(root / "home", uid, gid)
        else:
            me = pwd.getpwuid(os.getuid())
            user = login_user = me.pw_name
            uid, gid = me.pw_uid, me.pw_gid
        group = _group_name(gid)
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{self.password}\n", encoding="utf-8")
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", str(root / "key.pem"), "-out", str(self.cert_file),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        config = CONFIG.format(
            root=root,
            user=user,
            group=group,
            login_user=login_user,
            uid=uid,
            gid=gid,
            port=self.port,
            ssl_port=self.ssl_port,
        )
        if self.capabilities is not None:
            config += f"imap_capability = {self.capabilities}\n"
        (root / "dovecot.conf").write_text(config)

    def start(self) -> None:
        with open(self.root / "stderr.log", "ab") as stderr:
            self.process = subprocess.Popen(
                [str(DOVECOT), "-F", "-c", str(self.root / "dovecot.conf")],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start:\n{self.log()}")
            if _answers(self.port) and _answers(self.ssl_port):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not open its ports:\n{self.log()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        deadline = time.monotonic() + 10
        while (_answers(self.port) or _answers(self.ssl_port)) and time.monotonic() < deadline:
            time.sleep(0.05)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        parts = []
        for name in ("stderr.log", "dovecot.log"):
            path = self.root / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-4000:])
        return "\n".join(parts)

    @contextlib.contextmanager
    def session(self) -> Iterator[imaplib.IMAP4]:
        """A plain IMAP session as the user, for setting up and inspecting the mailbox."""
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            credentials = f"\0{USER}\0{self.password}".encode()
            client.authenticate("PLAIN", lambda _challenge: credentials)
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver a raw message into a folder (IMAP APPEND), unseen."""
        with self.session() as client:
            status, data = client.append(_quoted(folder), "", None, raw)
            if status != "OK":
                raise RuntimeError(f"APPEND to {folder} failed: {data!r}")

    def folders(self) -> list[str]:
        with self.session() as client:
            _status, data = client.list()
        names = []
        for line in data:
            if isinstance(line, bytes):
                encoded = line.rsplit(b' "/" ', 1)[-1].strip(b'"')
                names.append(imap_utf7.utf7_decode(encoded))
        return sorted(names)

    def create(self, folder: str) -> None:
        with self.session() as client:
            client.create(_quoted(folder))

    def messages(self, folder: str = "INBOX") -> list[tuple[bytes, set[str]]]:
        """The folder's messages (bytes and flags), without changing their flags."""
        with self.session() as client:
            status, _ = client.select(_quoted(folder), readonly=True)
            if status != "OK":
                return []
            _status, data = client.uid("SEARCH", "ALL")
            found = []
            for uid in data[0].split():
                _status, items = client.uid("FETCH", uid, "(FLAGS BODY.PEEK[])")
                head, body = items[0]
                flags = set(imaplib.ParseFlags(head))
                found.append((bytes(body), {flag.decode() for flag in flags}))
            return found


def _quoted(folder: str) -> str:
    """A folder name as IMAP wants it: modified UTF-7, quoted."""
    return '"' + imap_utf7.utf7_encode(folder).decode("ascii") + '"'


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


@contextlib.contextmanager
def running_dovecot(**options: Any) -> Iterator[Dovecot]:
    """A running Dovecot with an empty mailbox for ``USER``, removed afterwards (skips the test
    when Dovecot is not installed)."""
    if not DOVECOT.exists() or shutil.which("openssl") is None:
        pytest.skip("Debian's dovecot-imapd (and openssl) are needed: scripts/test installs them")
    server = Dovecot(**options)
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A running Dovecot of this test's own, with an empty mailbox for ``USER``."""
    with running_dovecot() as server:
        yield server

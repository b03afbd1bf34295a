"""A real SMTP server of a test's own (aiosmtpd on 127.0.0.1, a free port) that keeps what it
accepted as bytes, and that a test can stop and start, make refuse, or make stall on DATA.

``smtp_server`` is the fixture; :class:`SmtpServer` can also be used directly (the benchmark
does). ``environ()`` gives the settings that point an application at it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USERNAME, PASSWORD = "deskgraph", "smtp-secret"


@dataclass(frozen=True)
class Received:
    """One accepted mail: the envelope and the exact bytes of the message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key, made by ``openssl`` in
    ``folder``; the certificate is its own CA (give it to the client as SMTP_CA_FILE)."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],  # fmt: skip
        check=True,
        capture_output=True,
    )
    return cert, key


class SmtpServer:
    """The server and what it received. ``security`` is ``none``, ``starttls`` (required
    before MAIL) or ``ssl`` (TLS from the first byte); ``auth`` requires AUTH LOGIN/PLAIN
    with USERNAME and PASSWORD."""

    def __init__(self, folder: Path, *, security: str = "none", auth: bool = False) -> None:
        self.folder = folder
        self.security = security
        self.auth = auth
        self.port = free_port()
        self.received: list[Received] = []
        self.logins: list[str] = []
        self.rcpt_reply: str | None = None  # e.g. "451 4.3.0 Try later": refuse recipients
        self.data_reply: str | None = None  # e.g. "554 5.6.0 Rejected": refuse the content
        self.stalling = threading.Event()  # set: DATA waits until release() or disconnect
        self.in_data = threading.Event()  # set once a client is stalled in DATA
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self.cert: Path | None = None
        if security != "none":
            self.cert, self.key = self_signed_certificate(folder)

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:  # fmt: skip
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        while self.stalling.is_set():  # cancelled by aiosmtpd if the client goes away
            self.in_data.set()
            await asyncio.sleep(0.02)
        if self.data_reply:
            return self.data_reply
        with self._lock:
            self.received.append(
                Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 Message accepted for delivery"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      data: Any) -> AuthResult:  # fmt: skip
        if isinstance(data, LoginPassword):
            login = data.login.decode()
            if login == USERNAME and data.password.decode() == PASSWORD:
                self.logins.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    # control
    def _context(self) -> ssl.SSLContext:
        assert self.cert is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {}
        if self.security == "starttls":
            kwargs.update(tls_context=self._context(), require_starttls=True)
        elif self.security == "ssl":
            kwargs.update(ssl_context=self._context())
        if self.auth:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=self.security == "starttls",
            )
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening; this thread's kept client connection is closed first, as a server
        going down would drop it."""
        from app.mail.outgoing import smtp

        smtp.close(polite=False)
        self.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def release(self) -> None:
        """Stop stalling: a mail waiting in DATA is accepted (if its client is still there)."""
        self.stalling.clear()

    def environ(self) -> dict[str, str]:
        """The settings that point Deskgraph at this server."""
        settings = {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.port),
            "SMTP_SECURITY": self.security,
            "SMTP_TIMEOUT": "5",
            "MAIL_FROM": "servicedesk@desk.example.org",
            "MAIL_REPLY_TO": "help@desk.example.org",
        }
        if self.cert is not None:
            settings["SMTP_CA_FILE"] = str(self.cert)
        if self.auth:
            settings.update(SMTP_USERNAME=USERNAME, SMTP_PASSWORD=PASSWORD)
        return settings

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [received.message for received in self.received]


@pytest.fixture
def smtp_server(tmp_path: Path) -> Any:
    """A started plain SMTP server; ``smtp_server.start()``/``stop()`` to take it down."""
    server = SmtpServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def sending(app: Any, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    """The test's application sends to ``smtp_server`` (its settings patched for the test)."""
    point_at(app, smtp_server, monkeypatch)
    return smtp_server


def point_at(app: Any, server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Patch ``app``'s mail settings, for one test, to those of ``server``."""
    from app.config import load_config

    config = load_config(Path(app.instance_path), {**_base_environ(app), **server.environ()})
    for name, value in config.items():
        if name.startswith(("SMTP_", "MAIL_")):
            monkeypatch.setitem(app.config, name, value)


def _base_environ(app: Any) -> dict[str, str]:
    return {"DESKGRAPH_ENV": "testing", "SECRET_KEY": app.config["SECRET_KEY"]}

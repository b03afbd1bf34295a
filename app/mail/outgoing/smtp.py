"""Talk to the SMTP server: one connection per thread, kept open between mails (so a worker
draining the outbox sends thousands of mails over one connection), checked with ``NOOP``
after a pause and opened again when the server dropped it.

No Flask here: the settings arrive as :class:`SmtpSettings`.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

IDLE_CHECK_SECONDS = 5.0
"""A connection unused for longer is checked with NOOP before it carries a mail."""

DATA_TIMEOUT_FACTOR = 6
"""How many times ``SMTP_TIMEOUT`` the server may take to answer the message's content."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str = "none"  # none | starttls | ssl
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    ca_file: str | None = None  # extra CA certificates to trust (a private CA)

    @classmethod
    def from_config(cls, config: Any) -> SmtpSettings | None:
        """The settings from Flask's config, or ``None`` when ``SMTP_HOST`` is unset."""
        if not config.get("SMTP_HOST"):
            return None
        return cls(
            host=config["SMTP_HOST"],
            port=config["SMTP_PORT"],
            security=config["SMTP_SECURITY"],
            username=config.get("SMTP_USERNAME"),
            password=config.get("SMTP_PASSWORD"),
            timeout=config.get("SMTP_TIMEOUT", 10),
            ca_file=config.get("SMTP_CA_FILE"),
        )


class SendError(Exception):
    """A mail was not accepted. ``permanent`` when the server refused it for good (a 5xx
    answer to the recipient or the content): no retry can help."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


class _Open(threading.local):
    smtp: smtplib.SMTP | None = None
    settings: SmtpSettings | None = None
    used_at: float = 0.0


_open = _Open()


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.ca_file:
        context.load_verify_locations(cafile=settings.ca_file)
    return context


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    smtp: smtplib.SMTP
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=_tls_context(settings)
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        smtp.ehlo()
        if settings.security == "starttls":
            smtp.starttls(context=_tls_context(settings))
            smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def probe(settings: SmtpSettings) -> None:
    """Open a connection as sending would (TLS, login), then say goodbye: a deployment check.

    :raise OSError, smtplib.SMTPException: the server cannot be reached or refuses us.
    """
    _connect(settings).quit()


def close(*, polite: bool = True) -> None:
    """Close this thread's connection if one is open: with QUIT, or at once after an error."""
    smtp, _open.smtp = _open.smtp, None
    if smtp is None:
        return
    if polite:
        try:
            smtp.quit()
            return
        except (smtplib.SMTPException, OSError):
            pass
    smtp.close()


def _connection(settings: SmtpSettings) -> smtplib.SMTP:
    smtp = _open.smtp
    if smtp is not None and _open.settings != settings:
        close(polite=False)
        smtp = None
    if smtp is not None and time.monotonic() - _open.used_at > IDLE_CHECK_SECONDS:
        try:
            alive = smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            alive = False
        if not alive:
            smtp.close()
            smtp = _open.smtp = None
    if smtp is None:
        smtp = _open.smtp = _connect(settings)
        _open.settings = settings
        # A thread that ends (a web server's request thread) takes its connection along.
        weakref.finalize(threading.current_thread(), smtp.close)
    return smtp


def _refused(stage: str, code: int, answer: bytes | str) -> SendError:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer
    return SendError(f"{stage} refused: {code} {text}".strip(), permanent=500 <= code < 600)


def send(settings: SmtpSettings, sender: str, recipient: str, data: bytes) -> None:
    """Hand one message (``data``, CRLF line ends) to the server for ``recipient``.

    :raise SendError: not accepted; ``permanent`` for a 5xx answer to the sender, the
        recipient or the data, otherwise (no connection, time-out, 4xx, authentication)
        worth a retry. The connection is dropped after any error but a refusal.
    """
    try:
        smtp = _connection(settings)
        code, answer = smtp.mail(sender)
        if code != 250:
            smtp.rset()
            raise _refused("sender", code, answer)
        code, answer = smtp.rcpt(recipient)
        if code not in (250, 251):
            smtp.rset()
            raise _refused("recipient", code, answer)
        # The answer to the message itself may be slow (content scanning; RFC 5321 allows ten
        # minutes): giving up early would send it twice, so it gets a longer wait.
        if smtp.sock is not None:
            smtp.sock.settimeout(settings.timeout * DATA_TIMEOUT_FACTOR)
        code, answer = smtp.data(data)
        if smtp.sock is not None:
            smtp.sock.settimeout(settings.timeout)
        if code != 250:
            smtp.rset()
            raise _refused("message", code, answer)
        _open.used_at = time.monotonic()
    except SendError:
        _open.used_at = time.monotonic()
        raise
    except smtplib.SMTPDataError as error:  # refused at DATA, before the content went out
        close(polite=False)
        raise _refused("message", error.smtp_code, error.smtp_error) from error
    except smtplib.SMTPAuthenticationError as error:
        close(polite=False)
        refusal = _refused("authentication", error.smtp_code, error.smtp_error)
        refusal.permanent = False  # a setting to fix: the mails wait for it
        raise refusal from error
    except (smtplib.SMTPException, OSError) as error:
        close(polite=False)
        raise SendError(f"{type(error).__name__}: {error}", permanent=False) from error

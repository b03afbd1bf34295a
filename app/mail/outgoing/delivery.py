"""The outbox handler that sends a queued mail (kind ``mail.send``, payload ``{"id": ...}``).

Idempotent: only a ``queued`` or ``failed`` mail is sent, so a second delivery of a sent
mail does nothing. On success the mail is marked ``sent`` in the outbox's transaction (it
commits with the outbox message marked done). On failure the mail's state (``failed`` with
the reason, or ``dead``) is committed at once, before the handler raises for the outbox to
retry or give up: the outbox rolls the handler's changes back, and the admin page must still
say why.

The one window at-least-once delivery leaves open: a worker that dies after the server
accepted the mail but before the commit sends it again after the outbox's lease. The copy
carries the same Message-ID and Date, so mail clients show it once.
"""

from __future__ import annotations

from typing import NoReturn

from flask import current_app
from sqlalchemy import update

from app.extensions import db
from app.mail.outgoing import smtp
from app.mail.outgoing.compose import MailParts, compose
from app.mail.outgoing.models import MailState, OutboundMail
from app.outbox import MAX_ATTEMPTS, PermanentFailure, handler
from app.timeutils import utc_now

SEND = "mail.send"


class TemporaryFailure(Exception):
    """The mail was not accepted this time; the outbox retries it with backoff."""


def parts_of(mail: OutboundMail) -> MailParts:
    """What ``mail`` goes out as, with the desk's current From and Reply-To."""
    config = current_app.config
    return MailParts(
        message_id=mail.message_id,
        from_address=config["MAIL_FROM"],
        from_name=config["MAIL_FROM_NAME"],
        to_address=mail.to_address,
        to_name=mail.to_name,
        reply_to=config["MAIL_REPLY_TO"],
        subject=mail.subject,
        text=mail.text_body,
        html=mail.html_body,
        date=mail.created_at,
        in_reply_to=mail.in_reply_to,
        references=tuple(mail.references.split()),
        auto_generated=mail.auto_generated,
    )


def message_bytes(mail: OutboundMail) -> bytes:
    """The mail exactly as it is (or would be) handed to the SMTP server."""
    return compose(parts_of(mail)).as_bytes()


@handler(SEND)
def send_mail(payload: dict[str, object]) -> None:
    """Send the mail ``payload["id"]`` if it still waits to be sent.

    :raise PermanentFailure: the server refused it for good, or it ran out of attempts.
    :raise TemporaryFailure: not accepted this time (no connection, 4xx): retried later.
    """
    # Locked: a second delivery of the same mail (an admin's retry) waits, then finds it sent.
    mail = db.session.get(OutboundMail, payload["id"], with_for_update=True)
    if mail is None or mail.state not in (MailState.QUEUED, MailState.FAILED):
        return  # sent already, recorded, or given up: nothing to send
    settings = smtp.SmtpSettings.from_config(current_app.config)
    if settings is None:  # SMTP_HOST was removed since the mail was queued
        mail.state = MailState.RECORDED
        mail.last_error = "Not sent: no SMTP server is configured (SMTP_HOST)."
        db.session.flush()
        return
    try:
        data = message_bytes(mail)
        smtp.send(settings, current_app.config["MAIL_FROM"], mail.to_address, data)
    except (smtp.SendError, ValueError) as error:
        _record_failure(mail, error)
    mail.state = MailState.SENT
    mail.attempts += 1
    mail.sent_at = utc_now()
    mail.last_error = None
    db.session.flush()


def _record_failure(mail: OutboundMail, error: Exception) -> NoReturn:
    attempts = mail.attempts + 1
    permanent = getattr(error, "permanent", True) or attempts >= MAX_ATTEMPTS
    reason = str(error)[:2000]
    db.session.rollback()
    db.session.execute(
        update(OutboundMail)
        .where(OutboundMail.id == mail.id)
        .values(
            state=MailState.DEAD if permanent else MailState.FAILED,
            attempts=attempts,
            last_error=reason,
            updated_at=utc_now(),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    raise PermanentFailure(reason) if permanent else TemporaryFailure(reason)

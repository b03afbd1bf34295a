"""The edge of mail in, where transactions end: one message received and committed, or, when
receiving fails, rolled back and quarantined with the reason in a fresh transaction, so that
nothing is half-saved and nothing is lost. The pipe command, the IMAP poll and the quarantine
page's "Process again" call :func:`take`."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from app.extensions import db
from app.i18n import N_
from app.i18n.stored import stored
from app.mail.incoming.models import InboundMessage, Mailbox
from app.mail.incoming.services import Outcome, quarantine, receive

log = logging.getLogger(__name__)


def mailbox_named(name: str | None) -> Mailbox | None:
    """The mailbox called ``name`` (None: no mailbox, the settings' defaults apply).

    :raise LookupError: there is no mailbox of that name.
    """
    if not name:
        return None
    found = db.session.scalar(select(Mailbox).where(Mailbox.name == name))
    if found is None:
        raise LookupError(f"there is no mailbox named {name!r}")
    return found


def take(
    raw: bytes,
    mailbox: Mailbox | None,
    now: datetime | None = None,
    *,
    again: InboundMessage | None = None,
) -> Outcome:
    """Receive ``raw`` and commit. A failure while applying it (a bug, a rule that refused,
    a lost race) rolls back and quarantines the message with the reason.

    :raise sqlalchemy.exc.SQLAlchemyError: the message could not be stored at all (the
        database is down): the sender (an MTA) must try again.
    """
    mailbox_id = mailbox.id if mailbox else None
    again_id = again.id if again else None
    try:
        outcome = receive(raw, mailbox, now, again=again)
        db.session.commit()
        return outcome
    except IntegrityError:  # most often a parallel delivery of the same message
        db.session.rollback()
        reason = stored(N_("the database refused it (a conflicting change); process it again"))
    except OperationalError:
        db.session.rollback()
        raise
    except Exception as error:  # anything the mail triggers is quarantined, never lost
        db.session.rollback()
        log.exception("mail could not be processed")
        reason = stored(
            N_("could not be processed: %(error)s"), error=f"{type(error).__name__}: {error}"
        )
    box = db.session.get(Mailbox, mailbox_id) if mailbox_id else None
    outcome = quarantine(raw, box, reason, again_id=again_id)
    db.session.commit()
    return outcome

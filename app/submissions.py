"""One submission per form: a creating form carries a one-time token (see
:class:`app.forms.OneSubmission`), and :func:`consume_submission` records it in the same
transaction as what the form creates. A replayed post (a double click, the browser's "resend",
a copied request) finds its token used and creates nothing: the person is sent (303) to the
page where what the first post created shows (their tickets, the incident...), told that the
form was already sent; a client that wants JSON gets a 409. A refused or rolled-back
submission leaves the token unused, so the person can correct the form and send it again.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, Table, bindparam, delete
from sqlalchemy.orm import Mapped, mapped_column

from app.db import bulk, is_postgresql, upsert
from app.errors import DomainError
from app.extensions import Model, db
from app.timeutils import utc_now

TOKEN = re.compile(r"[0-9a-f]{32}")


class FormSubmission(Model):
    """A submission token that was used, and when."""

    __tablename__ = "form_submissions"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class AlreadySubmitted(DomainError):
    """A replayed submission; ``location`` is where what the first one created shows."""

    status = 409
    title = _l("Already sent")

    def __init__(self, location: str | None = None) -> None:
        super().__init__(_("This form was already sent, and what it created is saved."))
        self.location = location


def consume_submission(token: str | None, done: str | None = None) -> None:
    """Use ``token`` once, in the caller's transaction (flushes). A missing or malformed token
    is not checked (a client that does not render the form's token gets no protection).

    :param done: where to send a replay: a page that shows what the submission created.
    :raise AlreadySubmitted: the token was used by an earlier submission.
    """
    if not token or not TOKEN.fullmatch(token):
        return
    # One statement: the row is written unless the token is there. A concurrent duplicate
    # waits for the first transaction on the primary key, then writes nothing once that one
    # commits (or writes the row if it rolled back): no savepoint, no read before.
    statement = _record(is_postgresql(db.session))
    if db.session.execute(statement, {"used": token, "at": utc_now()}).first() is None:
        raise AlreadySubmitted(done)


@cache
def _record(postgresql: bool) -> Any:
    """:func:`consume_submission`'s ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, built once
    per database (``postgresql``, the session's; the token and the time are parameters)."""
    table = cast(Table, FormSubmission.__table__)
    statement = upsert(db.session, table).values(
        token=bindparam("used", type_=table.c.token.type),
        created_at=bindparam("at", type_=table.c.created_at.type),
    )
    return statement.on_conflict_do_nothing(index_elements=["token"]).returning(table.c.token)


def purge_used(before: datetime) -> int:
    """Forget the tokens used before ``before``; how many went. A form rendered before then
    and posted again afterwards is no longer recognised as a replay, so ``before`` should lie
    well behind the longest a page stays open (a session)."""
    return bulk(db.session, delete(FormSubmission).where(FormSubmission.created_at < before))

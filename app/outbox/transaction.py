"""Run code when the session's transaction ends: after a commit, or after a rollback.

Callbacks are kept on the session (``session.info``) until its outermost transaction ends:
:func:`after_commit` callbacks run once it has committed (not when a savepoint is released),
:func:`after_rollback` callbacks once it ended any other way (rolled back, or closed without a
commit). Each list is dropped when it ran, so a callback runs at most once. A callback that
raises is logged and never undoes the commit, which has already happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.extensions import db

log = logging.getLogger(__name__)

ON_COMMIT = "deskgraph_after_commit"
ON_ROLLBACK = "deskgraph_after_rollback"


def after_commit(callback: Callable[[], Any], session: Session | None = None) -> None:
    """Run ``callback()`` once the current transaction of ``session`` (``db.session``) commits."""
    _callbacks(session, ON_COMMIT).append(callback)


def after_rollback(callback: Callable[[], Any], session: Session | None = None) -> None:
    """Run ``callback()`` if the current transaction of ``session`` ends without a commit."""
    _callbacks(session, ON_ROLLBACK).append(callback)


def _callbacks(session: Session | None, key: str) -> list[Callable[[], Any]]:
    target = session if session is not None else db.session()
    return target.info.setdefault(key, [])


def _run(callbacks: list[Callable[[], Any]], when: str) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("a callback %s failed", when)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint was released; the transaction goes on
        return
    session.info.pop(ON_ROLLBACK, None)
    _run(session.info.pop(ON_COMMIT, []), "after commit")


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    session.info.pop(ON_COMMIT, None)
    _run(session.info.pop(ON_ROLLBACK, []), "after rollback")

"""Sign-in throttling: growing delays per (username, client address), a ceiling per address.

A lockout per username lets anyone lock anyone out (five wrong passwords from anywhere). The
throttle is kept per pair instead: the first ``SIGNIN_MAX_FAILURES`` failures of a username
from one address cost nothing, then each further attempt from that address waits twice as
long as the one before (``SIGNIN_DELAY_SECONDS``, doubling, capped at ``SIGNIN_MAX_DELAY``).
The person at their own address is never held back by a stranger guessing elsewhere; a
guesser spreading over usernames meets the per-address ceiling
(``SIGNIN_MAX_FAILURES_PER_ADDRESS`` failures within ``SIGNIN_WINDOW``).

An attempt is *claimed* before the password is checked, under a row lock (INSERT ... ON
CONFLICT DO NOTHING, then SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers),
and counted as a failure until it succeeds. So concurrent guesses queue on the row and cannot
slip past the limit between a check and a write. The caller commits after the answer, which
releases the row.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from app.auth.models import SignInFailure, SignInThrottle
from app.db import upsert
from app.errors import DomainError
from app.extensions import db


class SignInThrottled(DomainError):
    status = 429
    title = _l("Too many attempts")

    def __init__(self, retry_after: int) -> None:
        if retry_after < 60:
            message = ngettext(
                "Too many failed sign-ins. Try again in %(num)d second.",
                "Too many failed sign-ins. Try again in %(num)d seconds.",
                retry_after,
            )
        else:
            minutes = -(-retry_after // 60)
            message = ngettext(
                "Too many failed sign-ins. Try again in %(num)d minute.",
                "Too many failed sign-ins. Try again in %(num)d minutes.",
                minutes,
            )
        super().__init__(message)
        self.retry_after = retry_after


def delay_after(failures: int) -> timedelta:
    """How long the next attempt waits after ``failures`` failures in a row."""
    config = current_app.config
    free = config["SIGNIN_MAX_FAILURES"]
    if failures < free:
        return timedelta(0)
    seconds = config["SIGNIN_DELAY_SECONDS"] * 2 ** min(failures - free, 32)
    return timedelta(seconds=min(seconds, config["SIGNIN_MAX_DELAY_SECONDS"]))


def _retry_after(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def check_address(address: str, now: datetime) -> None:
    """:raise SignInThrottled: this address failed too often within the window, whatever
    usernames it tried."""
    config = current_app.config
    window = timedelta(seconds=config["SIGNIN_WINDOW_SECONDS"])
    count, oldest = db.session.execute(
        select(func.count(), func.min(SignInFailure.failed_at)).where(
            SignInFailure.address == address, SignInFailure.failed_at > now - window
        )
    ).one()
    if count >= config["SIGNIN_MAX_FAILURES_PER_ADDRESS"] and oldest is not None:
        raise SignInThrottled(_retry_after(oldest + window, now))


def _insert(values: dict[str, object]) -> postgresql.Insert | sqlite.Insert:
    return upsert(db.session, SignInThrottle).values(**values).on_conflict_do_nothing()


def claim_attempt(username: str, address: str, now: datetime) -> None:
    """Count an attempt of ``username`` from ``address`` before its password is checked (a
    success clears it again), or refuse it while the pair must still wait.

    :raise SignInThrottled: the delay earned by earlier failures has not passed yet.
    """
    window = timedelta(seconds=current_app.config["SIGNIN_WINDOW_SECONDS"])
    db.session.execute(
        _insert(
            {
                "username": username,
                "address": address,
                "failures": 0,
                "last_failed_at": now,
                # Not ``now``: an attempt queued on the lock may carry an earlier ``now``.
                "next_attempt_at": now - window,
            }
        )
    )
    row = db.session.scalars(
        select(SignInThrottle)
        .where(SignInThrottle.username == username, SignInThrottle.address == address)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if row.next_attempt_at > now:
        raise SignInThrottled(_retry_after(row.next_attempt_at, now))
    if now - row.last_failed_at > window:  # quiet for a whole window: start afresh
        row.failures = 0
    row.failures += 1
    row.last_failed_at = max(row.last_failed_at, now)
    # Only a real delay moves the next attempt: attempts that queued on the row lock carry
    # an earlier ``now`` and must not be refused by the free ones before them.
    if delay := delay_after(row.failures):
        row.next_attempt_at = now + delay
    db.session.flush()


def record_failure(username: str, address: str, now: datetime) -> None:
    """Keep a refused attempt for the per-address ceiling (the pair's own count was taken by
    ``claim_attempt``); forget failures older than the window."""
    window = timedelta(seconds=current_app.config["SIGNIN_WINDOW_SECONDS"])
    db.session.execute(delete(SignInFailure).where(SignInFailure.failed_at < now - window))
    # Rows another sign-in holds are skipped: waiting for them could deadlock two pruners.
    stale = (
        select(SignInThrottle.username, SignInThrottle.address)
        .where(SignInThrottle.last_failed_at < now - window, SignInThrottle.next_attempt_at < now)
        .with_for_update(skip_locked=True)
    )
    db.session.execute(
        delete(SignInThrottle).where(
            tuple_(SignInThrottle.username, SignInThrottle.address).in_(stale)
        )
    )
    db.session.add(SignInFailure(username=username, address=address, failed_at=now))
    db.session.flush()


def clear(username: str, address: str) -> None:
    """A successful sign-in forgets the pair's failures."""
    for model in (SignInThrottle, SignInFailure):
        db.session.execute(
            delete(model).where(model.username == username, model.address == address)
        )

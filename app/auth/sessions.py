"""Session generations: how signing out, a password change or a deactivation ends every
session and every "keep me signed in" cookie of a person, on every device.

Flask-Login stores ``User.get_id()`` in the session and signs it into the remember-me cookie.
That id is ``"<user id>:<session generation>"``; ``end_sessions`` bumps the generation, so
every cookie issued before carries a generation that no longer matches and ``load_user``
refuses it. The bump is a plain atomic UPDATE outside the row's optimistic lock: ending
sessions is not an edit of the account and must never conflict with one.
"""

from __future__ import annotations

from functools import cache
from typing import cast

from sqlalchemy import Integer, Select, Table, bindparam, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app import settings_cache
from app.auth.models import User
from app.extensions import db


@cache
def _by_id() -> Select[User, int]:
    """:func:`load_user`'s statement, built once (``Session.get`` built it, and generated its
    cache key, at every request, to look first in an identity map that is empty when a request
    begins). Every page asks for the person's roles (the policy, the navigation): they come
    in the person's own statement, joined, instead of a second select after it (roles load
    lazily elsewhere); their manager, which only their own pages show, is read by the pages
    that show it. The desk settings' token comes as a column of the same statement: the
    request's cached settings are checked against it (:mod:`app.settings_cache`). Built on
    first use, not at import: naming a relationship configures every mapper, and a module
    imported before the CMDB's models would fail on their names."""
    return (
        select(User, settings_cache.token_column())
        .options(joinedload(User.role_grants))
        .where(User.id == bindparam("user_id", Integer))
    )


def load_user(session_user_id: str) -> User | None:
    """The active user a session id names, or ``None`` when the id is malformed, from an
    older generation (signed out, password changed, signed out everywhere) or the account is
    deactivated."""
    user_key, _, generation = session_user_id.partition(":")
    if not (user_key.isdecimal() and generation.isdecimal()):
        return None
    found = db.session.execute(_by_id(), {"user_id": int(user_key)}).unique().one_or_none()
    if found is None:
        return None
    user, token = found
    settings_cache.remember(token)
    if not user.is_active or user.session_generation != int(generation):
        return None
    return user


def end_sessions(user: User) -> None:
    """Make every session and remember-me cookie of ``user`` invalid from the next request.
    The caller commits (and signs the current browser in again if it should stay)."""
    table = cast(Table, User.__table__)  # a plain UPDATE: the account's version is untouched
    generation = db.session.execute(
        table.update()
        .where(table.c.id == user.id)
        .values(session_generation=table.c.session_generation + 1)
        .returning(table.c.session_generation)
    ).scalar_one()
    set_committed_value(user, "session_generation", generation)

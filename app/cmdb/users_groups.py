"""Keep the CMDB graph current when the people behind a CI's users group change.

A CI's users group (``ConfigurationItem.users_group``) stands for its active members, and the
cached graph holds them (:func:`app.cmdb.cache.load_graph`). Whatever changes who those members
are sends one of :mod:`app.auth.signals` in its own transaction: adding or removing members
(:mod:`app.auth.groups`, the directory sync's
:func:`app.auth.directory.sync_groups.apply_memberships`) and activating or deactivating people
(:func:`app.auth.services.set_active`, the directory sync). The receivers here (connected by the
application factory) bump the CMDB revision, listing the CIs that name one of those groups as
their users, so every process patches them in its graph at its next use; other group changes
cost one query and nothing else. Blinker runs them
synchronously, in the sender's transaction. Flushes nothing and never commits.

Nothing deletes groups today; whatever comes to must send ``memberships_changed`` first
(the database then sets the CIs' users group to NULL, and they fall back on ``users_count``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import ColumnElement, select

from app.auth.models import group_members
from app.cmdb.models import ConfigurationItem
from app.extensions import db

CHUNK = 500


def on_memberships_changed(_sender: object, *, group_ids: Iterable[int]) -> bool:
    """Members joined or left these groups (``app.auth.signals.memberships_changed``): bump
    the CMDB revision for the CIs whose users group is one of them. Returns whether it did."""
    in_use = ConfigurationItem.users_group_id
    return _bump_for(lambda chunk: in_use.in_(chunk), group_ids)


def on_people_changed(_sender: object, *, user_ids: Iterable[int]) -> bool:
    """These people were activated or deactivated (``app.auth.signals.people_changed``): bump
    the CMDB revision for the CIs whose users group has one of them as a member. Returns
    whether it did."""
    member = group_members.c
    return _bump_for(
        lambda chunk: ConfigurationItem.users_group_id.in_(
            select(member.group_id).where(member.user_id.in_(chunk))
        ),
        user_ids,
    )


def _bump_for(
    condition: Callable[[list[int]], ColumnElement[bool]], ids: Iterable[int | None]
) -> bool:
    """Bump the revision for the CIs meeting ``condition`` for some chunk of ``ids`` (all
    of them listed, or a bulk change when they are too many)."""
    from app.cmdb.cache import LIST_AT_MOST, bump_revision  # here: it imports numpy

    wanted = sorted({i for i in ids if i is not None})
    found: set[int] = set()
    for start in range(0, len(wanted), CHUNK):
        query = select(ConfigurationItem.id).where(condition(wanted[start : start + CHUNK]))
        found.update(db.session.scalars(query.limit(LIST_AT_MOST + 1)))
        if len(found) > LIST_AT_MOST:
            bump_revision(None)
            return True
    if found:
        bump_revision(found)
    return bool(found)

"""Keep the CMDB graph current when the people behind a CI's users group change.

A CI's users group (``ConfigurationItem.users_group``) stands for its active members, and the
cached graph holds them (:func:`app.cmdb.cache.load_graph`). Whatever changes who those members
are sends one of :mod:`app.auth.signals` in its own transaction: adding or removing members
(:mod:`app.auth.groups`, the directory sync's
:func:`app.auth.directory.sync_groups.apply_memberships`) and activating or deactivating people
(:func:`app.auth.services.set_active`, the directory sync). The receivers here (connected by the
application factory) bump the CMDB revision, so
every process reloads its graph at its next use, only when some CI names one of those groups as
its users: other group changes cost one ``EXISTS`` query and nothing else. Blinker runs them
synchronously, in the sender's transaction. Flushes nothing and never commits.

Nothing deletes groups today; whatever comes to must send ``memberships_changed`` first
(the database then sets the CIs' users group to NULL, and they fall back on ``users_count``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import Exists, exists, select

from app.auth.models import group_members
from app.cmdb.models import ConfigurationItem
from app.extensions import db

CHUNK = 500


def on_memberships_changed(_sender: object, *, group_ids: Iterable[int]) -> bool:
    """Members joined or left these groups (``app.auth.signals.memberships_changed``): bump
    the CMDB revision when a CI's users group is one of them. Returns whether it did."""
    in_use = ConfigurationItem.users_group_id
    return _bump_if(lambda chunk: exists().where(in_use.in_(chunk)), group_ids)


def on_people_changed(_sender: object, *, user_ids: Iterable[int]) -> bool:
    """These people were activated or deactivated (``app.auth.signals.people_changed``): bump
    the CMDB revision when one of them is a member of a group some CI names as its users.
    Returns whether it did."""
    member = group_members.c
    return _bump_if(
        lambda chunk: (
            select(member.group_id)
            .join(ConfigurationItem, ConfigurationItem.users_group_id == member.group_id)
            .where(member.user_id.in_(chunk))
            .exists()
        ),
        user_ids,
    )


def _bump_if(condition: Callable[[list[int]], Exists], ids: Iterable[int | None]) -> bool:
    from app.cmdb.cache import bump_revision  # here: the cache imports numpy, scipy, networkx

    wanted = sorted({i for i in ids if i is not None})
    for start in range(0, len(wanted), CHUNK):
        if db.session.scalar(select(condition(wanted[start : start + CHUNK]))):
            bump_revision()
            return True
    return False

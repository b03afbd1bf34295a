"""Who may read, write and review knowledge articles (see ``app.policy``).

Reviewing (publishing, sending back, retiring any article, the deflection report) is for
knowledge managers: administrators and the members of the directory group named by
``KB_MANAGER_GROUP`` (default "Knowledge managers"). A group, not a new role: the directory
already manages group membership (and syncs it from LDAP), so no schema change to the shared
role enum is needed and a desk names its reviewers where it names its other teams.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context

from app.auth.models import Role
from app.policy import rule

STAFF = (Role.AGENT, Role.SERVICE_OWNER, Role.ADMIN)
DEFAULT_MANAGER_GROUP = "Knowledge managers"


def is_staff(user: Any) -> bool:
    """IT staff read every audience (they support everyone) and write articles."""
    return bool(user.has_role(*STAFF))


def manager_group_name() -> str:
    configured = current_app.config.get("KB_MANAGER_GROUP") if has_app_context() else None
    return str(configured or DEFAULT_MANAGER_GROUP)


def is_manager(user: Any) -> bool:
    if user.has_role(Role.ADMIN):
        return True
    name = manager_group_name()
    return is_staff(user) and any(group.name == name for group in user.groups)


@rule("kb.read")
def may_read(user: Any, obj: Any) -> bool:
    return bool(user.has_role(Role.EMPLOYEE, *STAFF))


@rule("kb.write")
def may_write(user: Any, obj: Any) -> bool:
    """Write articles, link them to incidents, flag them: IT staff."""
    return is_staff(user)


@rule("kb.edit")
def may_edit(user: Any, article: Any) -> bool:
    """Change an article's working copy or send it for review: its owner or a knowledge
    manager (without an article: may this person edit some article at all)."""
    if not is_staff(user):
        return False
    return article is None or article.owner_id == user.id or is_manager(user)


@rule("kb.review")
def may_review(user: Any, obj: Any) -> bool:
    return is_manager(user)


@rule("kb.retire")
def may_retire(user: Any, article: Any) -> bool:
    return is_manager(user) or (
        article is not None and is_staff(user) and article.owner_id == user.id
    )

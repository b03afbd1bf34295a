"""Authorization rules for people, groups and roles (see ``app.policy``)."""

from __future__ import annotations

from typing import Any

from app.auth.models import Group, Role
from app.policy import rule


@rule("portal.use")
def may_use_portal(user: Any, obj: Any) -> bool:
    return user.has_role(Role.EMPLOYEE)


@rule("admin.users")
def may_administer_users(user: Any, obj: Any) -> bool:
    return user.has_role(Role.ADMIN)


@rule("groups.view")
def may_view_groups(user: Any, obj: Any) -> bool:
    """Admins see every group; agents and service owners see the group directory too."""
    return user.has_role(Role.ADMIN, Role.SERVICE_OWNER, Role.AGENT)


@rule("groups.create")
def may_create_groups(user: Any, obj: Any) -> bool:
    return user.has_role(Role.ADMIN)


@rule("groups.manage")
def may_manage_group(user: Any, obj: Group | None) -> bool:
    """Admins manage any group; a service owner manages the groups they are the manager of.

    Called without a group (at the view's door), it asks whether the user could manage some
    group at all; the view asks again with the group it loaded.
    """
    if user.has_role(Role.ADMIN):
        return True
    if not user.has_role(Role.SERVICE_OWNER):
        return False
    return obj is None or obj.manager_id == user.id


@rule("people.search")
def may_search_people(user: Any, obj: Any) -> bool:
    """Staff find anyone by name, username or e-mail for the fields that name people;
    employees too, for "who is it for?" when ordering (and see less of each person)."""
    return user.has_role(Role.EMPLOYEE, Role.AGENT, Role.SERVICE_OWNER, Role.ADMIN)


def sees_contact_details(user: Any) -> bool:
    """Whether people search shows this user others' e-mail and department (staff only)."""
    return user.has_role(Role.AGENT, Role.SERVICE_OWNER, Role.ADMIN)

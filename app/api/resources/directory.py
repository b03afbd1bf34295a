"""``/api/v1/users`` and ``/api/v1/groups``: people and groups, read only.

People are found as the people pickers find them (``app.auth.people.search_people``: active
people matching every word, never a list of everyone), by anyone who may search people; an
employee sees names only, IT staff also e-mail and department (``sees_contact_details``), as
in the pickers. Groups are read by those who see the group directory (``groups.view``).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.api import scopes
from app.api.auth import operation
from app.api.pagination import PageArgs, page_of
from app.api.resources.common import page_list, person
from app.api.schemas import Input, PersonRef, page_schema
from app.api.spec import Blueprint
from app.auth.groups import members_by_group
from app.auth.models import Group, User
from app.auth.people import search_people
from app.auth.permissions import sees_contact_details
from app.errors import NotFound
from app.extensions import db

AREA = scopes.add_area("directory", "People and groups: read")
READ = f"{AREA}:read"
MAX_PEOPLE = 100  # a search answers at most this many people (add words to narrow it)

blp = Blueprint("directory_api", __name__, description="People and groups (read only).")


class DirectoryUserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    email = ma.fields.String(allow_none=True, metadata={"description": "IT staff only"})
    department = ma.fields.String(allow_none=True, metadata={"description": "IT staff only"})
    title = ma.fields.String(allow_none=True, metadata={"description": "IT staff only"})


UserPage = page_schema(DirectoryUserSchema, "UserPage")


class UserFilters(PageArgs, Input):
    q = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Words of the name, username or e-mail (every word matches)"},
    )


class DirectoryGroupSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(allow_none=True)
    email = ma.fields.String(allow_none=True)
    manager = ma.fields.Nested(PersonRef, allow_none=True)
    is_assignment_group = ma.fields.Boolean(required=True)
    members = ma.fields.List(
        ma.fields.Nested(PersonRef), metadata={"description": "Active members (one group only)"}
    )


GroupPage = page_schema(DirectoryGroupSchema, "GroupPage")


class GroupFilters(PageArgs, Input):
    assignment = ma.fields.Boolean(metadata={"description": "Only assignment groups (or others)"})


def dump_user(user: User) -> dict[str, Any]:
    shown: dict[str, Any] = person(user) or {}
    if sees_contact_details(current_user):
        shown |= {"email": user.email, "department": user.department, "title": user.title}
    return shown


def dump_group(group: Group, members: list[User] | None = None) -> dict[str, Any]:
    shown = {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "email": group.email,
        "manager": person(group.manager),
        "is_assignment_group": group.is_assignment_group,
    }
    if members is not None:
        shown["members"] = [person(m) for m in members]
    return shown


@blp.route("/users", methods=["GET"])
@operation("people.search", READ)
@blp.arguments(UserFilters, location="query", as_kwargs=True)
@blp.response(200, UserPage)
def list_users(cursor: str | None, limit: int, q: str) -> Any:
    """Find active people by name, username or e-mail, by name."""
    page = page_list(search_people(q, MAX_PEOPLE), cursor, limit)
    return {**page, "items": [dump_user(u) for u in page["items"]]}


@blp.route("/users/<int:user_id>", methods=["GET"])
@operation("people.search", READ)
@blp.response(200, DirectoryUserSchema)
def read_user(user_id: int) -> Any:
    """Read an active person."""
    user = db.session.get(User, user_id) if user_id < 2**31 else None
    if user is None or not user.is_active:
        raise NotFound(_("There is no active person with this number."))
    return dump_user(user)


@blp.route("/groups", methods=["GET"])
@operation("groups.view", READ)
@blp.arguments(GroupFilters, location="query", as_kwargs=True)
@blp.response(200, GroupPage)
def list_groups(cursor: str | None, limit: int, assignment: bool | None = None) -> Any:
    """The groups, by name."""
    query = select(Group).options(joinedload(Group.manager))
    if assignment is not None:
        query = query.where(Group.is_assignment_group.is_(assignment))
    page = page_of(query.order_by(Group.name, Group.id), cursor, limit)
    return {"items": [dump_group(g) for g in page.items], "next_cursor": page.next_cursor}


@blp.route("/groups/<int:group_id>", methods=["GET"])
@operation("groups.view", READ)
@blp.response(200, DirectoryGroupSchema)
def read_group(group_id: int) -> Any:
    """Read a group with its active members."""
    group = db.session.get(Group, group_id) if group_id < 2**31 else None
    if group is None:
        raise NotFound(_("There is no group with this number."))
    return dump_group(group, members_by_group([group.id]).get(group.id, []))

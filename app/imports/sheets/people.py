"""People and groups from a sheet, through the services the administration pages call
(:mod:`app.auth.services`, :mod:`app.auth.groups`).

A row whose username (people) or name (groups, in any case) exists updates it; others
create. An update applies the cells that hold something: an empty cell leaves the field as it
is, and group memberships are only added, never removed. New people are local accounts
without a password (they sign in once an administrator sets one, or through the directory) and
with the employee role.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth import groups as group_services
from app.auth import services as people_services
from app.auth.models import Group, User
from app.extensions import db
from app.i18n import N_
from app.i18n.stored import stored
from app.imports.sheets.checking import Check, Directory, MappedRow, Plan
from app.imports.sheets.fields import BadValue, parse_email, parse_yes_no, split_list

PERSON_TEXTS = ("display_name", "department", "title", "phone", "location")
GROUP_TEXTS = ("description",)
CHUNK = 500  # usernames per IN (...) list


class People:
    """Checks and writes a sheet of people."""

    def __init__(self, check: Check) -> None:
        self.check = check
        self.directory = Directory()
        self.seen: dict[str, int] = {}  # username → line

    def plan(self, rows: list[MappedRow]) -> list[Plan]:
        wanted = sorted({r.get("username").lower() for r in rows if r.has("username")})
        existing: dict[str, User] = {}
        for start in range(0, len(wanted), CHUNK):
            query = (
                select(User)
                .where(User.username.in_(wanted[start : start + CHUNK]))
                .options(selectinload(User.groups))
            )
            existing.update((u.username, u) for u in db.session.scalars(query))
        plans = []
        for row in rows:
            plan = self._plan(row, existing)
            if plan is not None:
                plans.append(plan)
        return plans

    def _plan(self, row: MappedRow, existing: dict[str, User]) -> Plan | None:
        check, line = self.check, row.line
        username = row.get("username").lower()
        if not username or any(c.isspace() for c in username) or len(username) > 150:
            check.error(
                line,
                "username",
                stored(N_("Give a username without spaces (150 characters at most).")),
            )
        elif username in self.seen:
            check.again(
                line,
                "username",
                N_("The username “%(value)s” is already on line %(line)s."),
                username,
                self.seen[username],
            )
        else:
            self.seen[username] = line
        fields: dict[str, Any] = {k: check.text(row, k) for k in PERSON_TEXTS if row.has(k)}
        if row.has("email"):
            fields["email"] = check.parse(row, "email", parse_email)
        manager = check.parse(row, "manager", self.directory.person)
        groups = [
            g for g in (self._group(row, name) for name in split_list(row.get("groups"))) if g
        ]
        if line in check.bad_lines:
            return None
        user = existing.get(username)
        data = {"username": username, "fields": fields, "manager": manager, "groups": groups}
        shown = {
            **{k: v or "" for k, v in fields.items()},
            "username": username,
            "display_name": fields.get("display_name") or (user.display_name if user else username),
            "manager": self.directory.names[manager] if manager else "",
            "groups": ", ".join(g.name for g in groups),
        }
        if user is None:
            return Plan(line, "new", shown, data)
        changed = (
            any(getattr(user, k) != v for k, v in fields.items())
            or (manager is not None and user.manager_id != manager)
            or any(g not in user.groups for g in groups)
        )
        return Plan(line, "changed" if changed else "unchanged", shown, data, user)

    def _group(self, row: MappedRow, name: str) -> Group | None:
        try:
            return self.directory.group(name)
        except BadValue as bad:
            self.check.error(row.line, "groups", bad.text)
            return None

    def apply(self, plans: list[Plan], actor: User) -> None:
        """Create and update the planned people, set their managers, then add them to their
        groups (one membership change per group)."""
        joins: dict[int, list[User]] = defaultdict(list)
        groups: dict[int, Group] = {}
        for plan in plans:
            data = plan.data
            if plan.status == "new":
                fields = dict(data["fields"])
                name = fields.pop("display_name", None) or data["username"]
                user = people_services.create_local_user(
                    username=data["username"],
                    display_name=name,
                    password=None,
                    actor=actor,
                    **fields,
                )
            elif plan.status == "changed":
                user = plan.target
                people_services.update_profile(user, actor=actor, **data["fields"])
            else:
                continue
            if data["manager"] is not None:
                manager = db.session.get(User, data["manager"])
                people_services.set_manager(user, manager, actor=actor)
            for group in data["groups"]:
                joins[group.id].append(user)
                groups[group.id] = group
        for group_id, members in joins.items():
            group_services.add_members(groups[group_id], members, actor=actor)


class Groups:
    """Checks and writes a sheet of groups."""

    def __init__(self, check: Check) -> None:
        self.check = check
        self.directory = Directory()
        self.seen: dict[str, int] = {}  # lower name → line

    def plan(self, rows: list[MappedRow]) -> list[Plan]:
        return [p for p in (self._plan(row) for row in rows) if p is not None]

    def _plan(self, row: MappedRow) -> Plan | None:
        check, line = self.check, row.line
        name = check.text(row, "name", 150) or ""
        key = name.lower()
        if not name:
            check.error(line, "name", stored(N_("A group needs a name.")))
        elif key in self.seen:
            check.again(
                line,
                "name",
                N_("The group “%(value)s” is already on line %(line)s."),
                name,
                self.seen[key],
            )
        else:
            self.seen[key] = line
        fields: dict[str, Any] = {k: check.text(row, k, 20_000) for k in GROUP_TEXTS if row.has(k)}
        if row.has("email"):
            fields["email"] = check.parse(row, "email", parse_email)
        manager = check.parse(row, "manager", self.directory.person)
        if manager is not None:
            fields["manager_id"] = manager
        if row.has("assignment_group"):
            fields["is_assignment_group"] = check.parse(
                row, "assignment_group", lambda t: parse_yes_no(t, True)
            )
        members = []
        for person in split_list(row.get("members")):
            try:
                members.append(self.directory.person(person))
            except BadValue as bad:
                check.error(line, "members", bad.text)
        if line in check.bad_lines:
            return None
        group = self.directory.groups.get(key)
        shown = {
            "name": name,
            "email": fields.get("email") or "",
            "description": (fields.get("description") or "")[:80],
            "manager": self.directory.names[manager] if manager else "",
            "assignment_group": "yes" if fields.get("is_assignment_group", True) else "no",
            "members": ", ".join(self.directory.names[m] for m in members),
        }
        data = {"name": name, "fields": fields, "members": members}
        if group is None:
            return Plan(line, "new", shown, data)
        present = {m.id for m in group.members}
        changed = any(getattr(group, k) != v for k, v in fields.items()) or any(
            m not in present for m in members
        )
        return Plan(line, "changed" if changed else "unchanged", shown, data, group)

    def apply(self, plans: list[Plan], actor: User) -> None:
        people = self.directory.people(sorted({m for p in plans for m in p.data["members"]}))
        for plan in plans:
            data = plan.data
            if plan.status == "new":
                group = group_services.create_group(
                    actor=actor, name=data["name"], **data["fields"]
                )
            elif plan.status == "changed":
                group = plan.target
                group_services.update_group(group, actor=actor, **data["fields"])
            else:
                continue
            if data["members"]:
                group_services.add_members(group, [people[m] for m in data["members"]], actor=actor)

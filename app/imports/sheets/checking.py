"""What every kind of sheet shares while its rows are checked: the rows with their mapped
cells, the plan of each valid row (what it will create or change, and its values as they
will be saved, for the preview), the problems found, and the people and groups a cell names.

People are found by username, then email, then full name (a full name two people share is
refused: give the username); groups by name, in any case. Lookups load the directory once
per check, not once per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select

from app.auth.models import Group, User
from app.extensions import db
from app.i18n import N_
from app.i18n.stored import stored
from app.imports.sheets.fields import BadValue, Target
from app.imports.sheets.reading import Problem, Text

Status = Literal["new", "changed", "unchanged"]


@dataclass(frozen=True)
class MappedRow:
    """A row of the sheet: its line, and the text of each mapped field (by field key)."""

    line: int
    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "").strip()

    def has(self, key: str) -> bool:
        return bool(self.get(key))


@dataclass
class Plan:
    """A valid row: what it does (``status``), its values as they will be saved (``shown``,
    by field label) and what the writer needs (``data``; ``target`` the existing row)."""

    line: int
    status: Status
    shown: dict[str, str]
    data: dict[str, Any] = field(default_factory=dict)
    target: Any = None


@dataclass
class Check:
    """The problems of one check, by line, with the header each field was mapped from."""

    columns: dict[str, str]  # field key → the file's header
    labels: dict[str, str]  # field key → the field's label
    problems: list[Problem] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)

    def error(self, line: int, key: str, message: Text, *, column: str = "") -> None:
        """Note a problem of ``line`` (0: the file) in the column of field ``key`` (or the
        ``column`` named)."""
        column = column or self.columns.get(key) or self.labels.get(key, key)
        self.problems.append(Problem(f"line {line}" if line else "", column, message))
        self.bad_lines.add(line)

    def again(self, line: int, key: str, message: str, value: str, first: int) -> None:
        """Note that ``value`` (in the column of ``key``) repeats the one of line ``first``:
        ``message`` (marked ``N_``) names them as ``%(value)s`` and ``%(line)s``."""
        self.error(line, key, stored(message, value=value, line=first))

    def parse(self, row: MappedRow, key: str, parser: Callable[[str], Any]) -> Any:
        """``parser(cell)``, or ``None`` for an empty cell or a bad value (noted)."""
        text = row.get(key)
        if not text:
            return None
        try:
            return parser(text)
        except BadValue as bad:
            self.error(row.line, key, bad.text)
            return None

    def text(self, row: MappedRow, key: str, limit: int = 200) -> str | None:
        """A cell's text, at most ``limit`` characters (longer is noted), ``None`` if empty."""
        text = " ".join(row.get(key).split()) if limit <= 200 else row.get(key)
        if len(text) > limit:
            self.error(
                row.line,
                key,
                stored(
                    N_("Write at most %(limit)s characters here (%(length)s)."),
                    limit=limit,
                    length=len(text),
                ),
            )
            return None
        return text or None


def labels_of(targets: tuple[Target, ...] | list[Target]) -> dict[str, str]:
    return {t.key: t.label for t in targets}


class Directory:
    """The desk's people and groups, loaded once, found by what a spreadsheet calls them."""

    def __init__(self) -> None:
        self.by_username: dict[str, int] = {}
        self.by_email: dict[str, set[int]] = defaultdict(set)
        self.by_name: dict[str, set[int]] = defaultdict(set)
        self.names: dict[int, str] = {}
        self.usernames: dict[int, str] = {}
        rows = db.session.execute(
            select(User.id, User.username, User.email, User.display_name).where(User.is_active)
        )
        for user_id, username, email, name in rows:
            self.by_username[username.lower()] = user_id
            if email:
                self.by_email[email.lower()].add(user_id)
            self.by_name[" ".join(name.lower().split())].add(user_id)
            self.names[user_id] = f"{name} ({username})"
            self.usernames[user_id] = username
        self.groups: dict[str, Group] = {
            g.name.lower(): g for g in db.session.scalars(select(Group).order_by(Group.id))
        }

    def person(self, text: str) -> int:
        """The id of the active person ``text`` names.

        :raise BadValue: nobody, or several people, go by it.
        """
        key = " ".join(text.lower().split())
        if key in self.by_username:
            return self.by_username[key]
        for index, what in ((self.by_email, "email"), (self.by_name, "name")):
            found = index.get(key, set())
            if len(found) == 1:
                return next(iter(found))
            if len(found) > 1:
                message = (
                    N_("%(count)s people have the email “%(text)s”: give the username.")
                    if what == "email"
                    else N_("%(count)s people have the name “%(text)s”: give the username.")
                )
                raise BadValue(stored(message, count=len(found), text=text[:80]))
        raise BadValue(
            stored(
                N_("No active person has the username, email or name “%(text)s”."), text=text[:80]
            )
        )

    def group(self, text: str) -> Group:
        """:raise BadValue: no group has this name."""
        found = self.groups.get(" ".join(text.lower().split()))
        if found is None:
            raise BadValue(
                stored(N_("No group is named “%(text)s” (create it first)."), text=text[:80])
            )
        return found

    def people(self, ids: list[int]) -> dict[int, User]:
        """These people as rows, in one query."""
        if not ids:
            return {}
        return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}

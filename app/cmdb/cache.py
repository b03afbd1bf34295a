"""The CMDB graph, loaded from rows and cached per process, keyed by the CMDB revision.

Every CMDB change bumps ``cmdb_revision`` (a counter and a random token) in its own
transaction. Each use of the graph costs one ``SELECT value, token FROM cmdb_revision``; the
cached graph is reused while the revision is the one it was built at, and rebuilt (once, under
a lock, whatever the number of threads) when another process or thread committed a change. So
several gunicorn workers stay correct without reloading on every request.

The revision is read *before* the rows: a change committed in between makes the graph newer
than its key, and the next use rebuilds; never the reverse. A transaction that changed the
CMDB sees its own new revision and may cache a graph of its uncommitted rows: if it rolls back,
the database's revision (with its random token) no longer matches, so the graph is rebuilt.

Patched, not reloaded
---------------------
Loading a million CIs takes seconds, and one edit changes a handful. Each bump writes a row of
``cmdb_changes`` in the same transaction (:func:`bump_revision`): the revision, its token and
the CIs whose row or relations changed (or a bulk marker when they are too many to list). A
worker holding the graph of an older revision reads the rows after it, reads those CIs and
their relations again, and patches its index (:func:`app.cmdb.impact.patch.patch`: the rows
of those CIs and their neighbours are appended to stores the versions share, nothing else is
copied) instead of reloading. It reloads when the rows do not prove the way from its revision
to the current one (its own revision is not in the log with its token, a revision is missing,
the current token differs), when a row is a bulk marker, when more than
:data:`PATCH_AT_MOST` CIs changed, or when the stores' spare room is used up (after edits
that moved about as many rows as the graph has links).
Reading the CIs again, rather than replaying what happened to them, makes a patch with rows
newer than its revision harmless, as for a load. Only the last :data:`KEEP_CHANGES` rows are
kept: a bump deletes older ones.

The cache lives in ``app.extensions`` so two applications in one process (tests) behave like
two workers.
"""

from __future__ import annotations

import ctypes
import gc
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import compress, repeat
from operator import is_not
from operator import or_ as either
from types import MappingProxyType
from typing import Any

import networkx as nx
from flask import Flask, current_app
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Select,
    String,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from app.auth.models import User, group_members
from app.cmdb.graph.vocabulary import BUSINESS_SERVICE, Propagation, Redundancy, RelationType
from app.cmdb.impact.index import Columns, CompactGraph, compact_from_columns
from app.cmdb.impact.patch import patch
from app.cmdb.impact.vector import vectors
from app.cmdb.models import (
    CIClass,
    CIRelation,
    CMDBChange,
    CMDBRevision,
    ConfigurationItem,
    RelationTypeRow,
)
from app.extensions import db

EXTENSION_KEY = "cmdb_graph_cache"
FREEZE_FROM = 10_000
"""CIs from which a loaded graph is frozen out of the garbage collector's sight."""
KEEP_CHANGES = 1_000
"""Revisions kept in ``cmdb_changes``: a worker further behind reloads."""
LIST_AT_MOST = 5_000
"""CIs one change lists; a wider change is written as a bulk marker."""
PATCH_AT_MOST = 5_000
"""CIs changed since a worker's revision up to which it patches its graph, not reloads."""
BULK, CIS = "bulk", "cis"
CHUNK = 500
"""Ids per ``IN (...)`` when a patch reads CIs and relations."""
RENAMED_AT_MOST = 10_000
"""Names patched over the loaded mapping before a patch makes a new mapping."""


class CMDBGraph:
    """The CMDB at one revision: the compact index every impact question is answered on
    (:mod:`app.cmdb.impact.engine`), CI ids by lower-cased name, and the networkx graph.

    The networkx graph (:attr:`graph`, for layouts and the networkx engine) is built from the
    index on first use, once per revision: at 100,000 CIs it takes seconds and a few hundred MB
    that impact questions do not need.
    """

    def __init__(
        self,
        revision: tuple[int, str],
        index: CompactGraph,
        by_name: Mapping[str, int | tuple[int, ...]],
    ) -> None:
        self.revision = revision
        self.index = index
        self.by_name = by_name
        self._graph: nx.DiGraph | None = None
        self._lock = threading.Lock()

    def __contains__(self, ci_id: object) -> bool:
        return ci_id in self.index

    @property
    def graph(self) -> nx.DiGraph:
        """The networkx graph of this revision (built on first use)."""
        if self._graph is None:
            with self._lock:
                if self._graph is None:
                    with _collector_paused():
                        self._graph = self.index.to_networkx()
                    _freeze_if_large(len(self.index))
        return self._graph

    def ids_for(self, names: list[str]) -> list[int]:
        """The ids of the CIs with these names (case-insensitive); unknown names are skipped."""
        found: list[int] = []
        for name in names:
            ids = self.by_name.get((name or "").strip().lower(), ())
            found.extend(ids if isinstance(ids, tuple) else (ids,))
        return list(dict.fromkeys(found))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collections while loading: a load allocates hundreds of thousands of
    short-lived objects, and each collection meanwhile would scan the half-built graph."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _freeze_if_large(size: int) -> None:
    """Move everything alive out of the collector's sight once a large graph is loaded, and
    give the memory the load freed back to the system.

    A full collection never scans frozen objects again. The loaded structures hold no
    reference cycles, so a replaced graph is still freed by reference counting; but objects
    alive elsewhere at that moment are spared from cyclic collection too, hence only when the
    graph is large enough for its scans to matter.

    Loading frees far more than it keeps (rows, tuples, temporary arrays), and glibc keeps
    freed heap pages for later: at 100,000 CIs the worker would hold about 40 MB it does not
    use, until the next load reuses them. ``malloc_trim`` returns them (glibc only; elsewhere
    nothing happens).
    """
    if size >= FREEZE_FROM:
        gc.freeze()
        if _MALLOC_TRIM is not None:
            _MALLOC_TRIM(0)


def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):  # not glibc
        return None


_MALLOC_TRIM = _malloc_trim()


def current_revision(session: Session) -> tuple[int, str]:
    """``(counter, token)`` of the last CMDB change (``(0, "")`` before any)."""
    row = session.execute(
        select(CMDBRevision.value, CMDBRevision.token).where(CMDBRevision.id == 1)
    ).first()
    return (row.value, row.token) if row is not None else (0, "")


def _graph_classes(session: Session) -> dict[int, str]:
    """Class id → the class name the engine sees (descendants of business services count as
    business services, so admin-added service kinds are counted as services)."""
    return _class_names(session.execute(select(CIClass.id, CIClass.name, CIClass.parent_id)))


def _class_names(rows: Iterable[tuple[int, str, int | None]]) -> dict[int, str]:
    """:func:`_graph_classes` of the classes' ``(id, name, parent id)``."""
    parents: dict[int, int | None] = {}
    names: dict[int, str] = {}
    for class_id, name, parent_id in rows:
        parents[class_id], names[class_id] = parent_id, name
    result: dict[int, str] = {}
    for class_id in names:
        current: int | None = class_id
        seen: set[int] = set()
        while current is not None and current not in seen and names[current] != BUSINESS_SERVICE:
            seen.add(current)
            current = parents.get(current)
        is_service = current is not None and names.get(current) == BUSINESS_SERVICE
        result[class_id] = BUSINESS_SERVICE if is_service else names[class_id]
    return result


def load_graph(session: Session, revision: tuple[int, str] | None = None) -> CMDBGraph:
    """Load the CMDB from plain rows: no ORM objects, not even result rows (see
    :func:`_plain_rows`); columns go to :func:`~app.cmdb.impact.index.compact_from_columns` as the
    driver returns them, and only the few CIs with a redundancy rule or an assigned user are
    looked at one by one (bench/cmdb_estate.py measures it). The users of CIs with a users
    group are that group's active members (:func:`_users_of_groups`).
    """
    if revision is None:
        revision = current_revision(session)
    classes = _graph_classes(session)
    types = _relation_types(session)
    relations = select(CIRelation.source_id, CIRelation.target_id, CIRelation.type)
    with _collector_paused():
        columns = _columns(_plain_rows(session, _ci_rows().order_by(ConfigurationItem.id)),
                           classes, _users_of_groups(session))  # fmt: skip
        index = compact_from_columns(columns, _plain_rows(session, relations), types)
        vectors(index)  # the impact engine's arrays: made here, not by the first question
        by_name = _by_name(index)
    _freeze_if_large(len(index))
    return CMDBGraph(revision, index, by_name)


def _relation_types(session: Session) -> dict[str, RelationType]:
    return {
        r.name: RelationType(r.name, r.forward, r.reverse, r.propagation, r.membership)
        for r in session.execute(
            select(
                RelationTypeRow.name,
                RelationTypeRow.forward,
                RelationTypeRow.reverse,
                RelationTypeRow.propagation,
                RelationTypeRow.membership,
            )
        )
    }


def _ci_rows() -> Select[Any]:
    c = ConfigurationItem
    return select(
        c.id, c.name, c.class_id, c.status, c.users_count, c.min_up, c.min_up_percent,
        c.assigned_user_id,
    )  # fmt: skip


def _columns(
    rows: list[Any], classes: Mapping[int, str], user_ids: dict[int, frozenset[str]]
) -> Columns:
    """The columns of :func:`_ci_rows`' rows as the index takes them: rules and assigned users
    gathered from the few CIs that have one."""
    ids, names, class_ids, statuses, users, min_up, percent, assigned = (
        zip(*rows, strict=True) if rows else ((),) * 8
    )
    del rows
    has_rule = map(either, map(is_not, min_up, repeat(None)), map(is_not, percent, repeat(None)))
    rules = {
        ci_id: Redundancy(min_up=a) if a is not None else Redundancy(min_up_percent=float(b))
        for ci_id, a, b in compress(zip(ids, min_up, percent, strict=True), has_rule)
    }
    has_user = list(map(is_not, assigned, repeat(None)))
    return Columns(
        ids=ids,
        names=names,
        classes=list(map(classes.__getitem__, class_ids)),
        statuses=statuses,
        users=users,
        rules=rules,
        assigned=dict(
            zip(compress(ids, has_user), map(str, compress(assigned, has_user)), strict=True)
        ),
        user_ids=user_ids,
    )


def _users_of_groups(session: Session) -> dict[int, frozenset[str]]:
    """CI id → the user ids (as ``str``, the id space of ``assigned``) of the active members of
    its users group, for the CIs that have one (an empty set when the group has no active
    member: nobody uses the service, exactly). CIs of one group share one set.

    Two queries, whatever the number of CIs: the CIs with a group (on its index), and each
    group in use with its members less the (few) inactive people, as one comma-separated text
    per group that Python splits into the ``str`` ids. At 300 groups of 1,000 members on
    PostgreSQL that takes 0.1 s, against 0.35 s for the members as rows joined to ``users``.
    A patch reads the same for the CIs it changes (:func:`_patch_rows`).
    """
    c = ConfigurationItem
    with_group = c.users_group_id.is_not(None)
    cis = _plain_rows(session, select(c.id, c.users_group_id).where(with_group))
    if not cis:
        return {}
    return _member_sets(cis, _plain_rows(session, _memberships(with_group)))


def _memberships(with_group: ColumnElement[bool], kind: int | None = None) -> Select[Any]:
    """Each users group of the CIs ``with_group`` and its active members' ids, comma-separated
    (as a row of :func:`_patch_rows` of this ``kind`` when given)."""
    member = group_members.c
    ids = func.aggregate_strings(cast(member.user_id, String), literal_column("','"))
    columns = [member.group_id, ids]
    return (
        select(*(columns if kind is None else _row(kind, columns)))
        .where(
            member.group_id.in_(select(ConfigurationItem.users_group_id).where(with_group)),
            member.user_id.not_in(select(User.id).where(User.is_active.is_(False))),
        )
        .group_by(member.group_id)
    )


def _member_sets(
    cis: Iterable[tuple[int, int]], memberships: Iterable[tuple[int, str]]
) -> dict[int, frozenset[str]]:
    """CI id → its users group's members, from ``(CI, group)`` and ``(group, "id,id...")``."""
    sets = {g: frozenset(ids.split(",")) for g, ids in memberships}
    nobody: frozenset[str] = frozenset()
    return {ci_id: sets.get(group_id, nobody) for ci_id, group_id in cis}


def _plain_rows(session: Session, statement: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of a parameterless query as the driver returns them (plain tuples), on the
    session's connection and transaction: several times faster than result rows for the
    hundreds of thousands of rows of a large CMDB. Values stay as stored (statuses as text)."""
    connection = session.connection()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(statement.compile(dialect=connection.dialect)))
        return cursor.fetchall()
    finally:
        cursor.close()


def _by_name(index: CompactGraph) -> Mapping[str, int | tuple[int, ...]]:
    """CI id by lower-cased name, or ids when CIs of several classes share the name.

    Plain ints and names already in lower case (most) are kept as they are: at a million CIs
    a tuple and a lower-cased copy per CI would cost over 100 MB."""
    names = [name if name.islower() else name.lower() for name in index.names]
    found: dict[str, Any] = dict(zip(names, index.ids, strict=True))  # the last id wins
    if len(found) < len(names):  # shared names: gather all their ids
        shared = {name for name, times in Counter(names).items() if times > 1}
        for name in shared:
            found[name] = ()
        pairs = zip(names, index.ids, strict=True)
        for name, ci_id in compress(pairs, map(shared.__contains__, names)):
            found[name] += (ci_id,)
    return MappingProxyType(found)


def bump_revision(ci_ids: Iterable[int] | None = None) -> None:
    """Count one more CMDB change (atomic ``value = value + 1``, a new random token; the row
    is seeded by the migration) and log it in ``cmdb_changes``: ``ci_ids`` are the CIs whose
    row or relations changed (none: nothing the graph holds, such as a setting), ``None`` a
    change too wide to list (workers reload). Concurrent writers queue on the revision row
    until commit, so revisions are logged in order."""
    token = uuid.uuid4().hex
    value = db.session.execute(
        update(CMDBRevision)
        .where(CMDBRevision.id == 1)
        .values(value=CMDBRevision.value + 1, token=token)
        .returning(CMDBRevision.value)
    ).scalar()
    if value is None:  # pragma: no cover - the migration seeds the row
        value = 1
        db.session.add(CMDBRevision(id=1, value=value, token=token))
    listed = None if ci_ids is None else sorted(set(ci_ids))
    if listed is not None and len(listed) > LIST_AT_MOST:
        listed = None
    db.session.execute(
        insert(CMDBChange).values(
            revision=value,
            token=token,
            kind=BULK if listed is None else CIS,
            ids=",".join(map(str, listed or ())),
        )
    )
    if value % 100 == 0:  # one purge per hundred changes keeps the log short
        db.session.execute(delete(CMDBChange).where(CMDBChange.revision <= value - KEEP_CHANGES))


def changes_since(
    session: Session, revision: tuple[int, str], current: tuple[int, str]
) -> set[int] | None:
    """The CIs changed from ``revision`` to ``current``, or ``None`` when the log does not
    prove the way (a missing or bulk revision, another token, too many CIs)."""
    since, until = revision[0], current[0]
    if not since < until <= since + KEEP_CHANGES:
        return None
    rows = session.execute(
        select(CMDBChange.revision, CMDBChange.token, CMDBChange.kind, CMDBChange.ids)
        .where(CMDBChange.revision.between(since, until))
        .order_by(CMDBChange.revision)
    ).all()
    numbers = [r.revision for r in rows]
    if numbers != list(range(since, until + 1)) or rows[0].token != revision[1]:
        return None
    if rows[-1].token != current[1] or any(r.kind != CIS for r in rows[1:]):
        return None
    changed = {int(i) for r in rows[1:] for i in r.ids.split(",") if i}
    return changed if len(changed) <= PATCH_AT_MOST else None


def patch_graph(session: Session, graph: CMDBGraph, revision: tuple[int, str]) -> CMDBGraph | None:
    """``graph`` patched to ``revision`` from the change log, or ``None`` when it must be
    reloaded (see the module's docstring).

    Two statements (up to :data:`CHUNK` CIs changed): the log, then one ``UNION ALL``
    (:func:`_patch_rows`) of the changed CIs, their relations, their users groups' members,
    the classes and the relation types. Under load every round trip waits for a core twice
    (the server's, then ours), so the number of statements, not what they read, sets the
    wall time of a patch (docs/benchmarks.md)."""
    changed = changes_since(session, graph.revision, revision)
    if changed is None:
        return None
    if not changed:
        return CMDBGraph(revision, graph.index, graph.by_name)
    among = sorted(changed)
    found = _PatchRows()
    for start in range(0, len(among), CHUNK):
        found.read(session, among[start : start + CHUNK], first=not start)
    old = graph.index
    if found.types != dict(old.relation_types):
        return None
    columns = _columns(found.cis, _class_names(found.classes), found.user_ids())
    try:
        index = patch(old, columns, sorted(found.relations), changed)
    except ValueError:  # rows newer than the log (a CI made since): a load settles it
        return None
    if index is None:
        return None
    vectors(index)
    by_name = _renamed(graph.by_name, old, index, [old.index[i] for i in among if i in old])
    return CMDBGraph(revision, index, by_name)


_CI, _RELATION, _CLASS, _TYPE, _GROUP, _MEMBERS = range(6)
_SLOTS = (Integer(), String(), Integer(), String(), Integer(), Integer(), Integer(), Integer(),
          String(), String(), Boolean())  # fmt: skip
"""The columns of :func:`_patch_rows`' union, typed (PostgreSQL types a column of ``NULL``
in two branches as text, which the next branch's integers then refuse)."""


def _patch_rows(among: list[int], first: bool) -> Select[Any]:
    """One statement for what a patch reads of the CIs ``among``: a ``UNION ALL`` whose rows
    start with their kind (``_CI``...), then the values of :func:`_ci_rows` for a CI, ``(source,
    type, target)`` for a relation, ``(id, name, parent)`` for a class, ``(NULL, name, NULL,
    forward, ...)`` with ``reverse, propagation, membership`` in the last three slots for a
    relation type, ``(CI, NULL, group)`` for a CI with a users group, and ``(group, member
    ids)`` for a group's active members (as :func:`_users_of_groups`). Classes and relation
    types only when ``first``."""
    c, r, k, t = ConfigurationItem, CIRelation, CIClass, RelationTypeRow
    with_group = c.users_group_id.is_not(None) & c.id.in_(among)
    ci = list(_ci_rows().selected_columns)
    ci[3] = type_coerce(c.status, String())  # plain text: the other kinds share the column
    parts = [
        select(*_row(_CI, ci)).where(c.id.in_(among)),
        select(*_row(_RELATION, [r.source_id, r.type, r.target_id])).where(
            or_(r.source_id.in_(among), r.target_id.in_(among))
        ),
        select(*_row(_GROUP, [c.id, None, c.users_group_id])).where(with_group),
        _memberships(with_group, _MEMBERS),
    ]
    if first:
        type_row = [None, t.name, None, t.forward, None, None, None, None, t.reverse,
                    t.propagation, t.membership]  # fmt: skip
        parts += [
            select(*_row(_CLASS, [k.id, k.name, k.parent_id])),
            select(*_row(_TYPE, type_row)),
        ]
    return union_all(*parts)  # type: ignore[return-value]


def _row(kind: int, values: list[Any]) -> list[Any]:
    """A row of :func:`_patch_rows`: the kind, ``values``, and a typed ``NULL`` for each
    ``None`` and each slot after them."""
    values = values + [None] * (len(_SLOTS) - len(values))
    return [
        literal_column(str(kind), Integer()),
        *(null().cast(slot) if v is None else v for v, slot in zip(values, _SLOTS, strict=True)),
    ]


class _PatchRows:
    """What :func:`_patch_rows` read, by kind."""

    def __init__(self) -> None:
        self.cis: list[tuple[Any, ...]] = []
        self.relations: set[tuple[int, int, str]] = set()
        self.classes: list[tuple[int, str, int | None]] = []
        self.types: dict[str, RelationType] = {}
        self.groups: list[tuple[int, int]] = []
        self.members: dict[int, str] = {}

    def read(self, session: Session, among: list[int], first: bool) -> None:
        for kind, a, b, c, d, *rest in session.execute(_patch_rows(among, first)):
            if kind == _CI:
                self.cis.append((a, b, c, d, *rest[:4]))
            elif kind == _RELATION:
                self.relations.add((a, c, b))
            elif kind == _CLASS:
                self.classes.append((a, b, c))
            elif kind == _TYPE:
                self.types[b] = RelationType(b, d, rest[4], Propagation(rest[5]), bool(rest[6]))
            elif kind == _GROUP:
                self.groups.append((a, c))
            else:
                self.members[a] = b

    def user_ids(self) -> dict[int, frozenset[str]]:
        return _member_sets(self.groups, self.members.items())


def _renamed(
    by_name: Mapping[str, int | tuple[int, ...]],
    old: CompactGraph,
    new: CompactGraph,
    nodes: list[int],
) -> Mapping[str, int | tuple[int, ...]]:
    """``by_name`` (see :func:`_by_name`) with the CIs at ``nodes`` of ``old`` renamed as in
    ``new``, and the CIs ``new`` added after those of ``old``: a :class:`Renamed` over the
    loaded mapping, so a patch does not copy a million names."""
    base, changes = (
        (by_name.base, dict(by_name.changes)) if isinstance(by_name, Renamed) else (by_name, {})
    )
    current = Renamed(base, changes)
    for node in nodes:
        key = old.names[node].lower()
        left = tuple(i for i in _as_tuple(current.get(key)) if i != old.ids[node])
        changes[key] = (left if len(left) > 1 else left[0]) if left else None
    for node in [*nodes, *range(len(old), len(new))]:
        key = new.names[node].lower()
        ids = tuple(sorted((*_as_tuple(current.get(key)), new.ids[node])))
        changes[key] = ids if len(ids) > 1 else ids[0]
    if len(changes) > RENAMED_AT_MOST:
        return MappingProxyType(dict(current.items()))
    return current


class Renamed(Mapping[str, Any]):
    """A names mapping as loaded (``base``) with the names patched since (``changes``;
    ``None``: no CI has the name any more)."""

    __slots__ = ("base", "changes")

    def __init__(self, base: Mapping[str, Any], changes: dict[str, Any]) -> None:
        self.base, self.changes = base, changes

    def __getitem__(self, key: str) -> Any:
        if key in self.changes:
            found = self.changes[key]
            if found is None:
                raise KeyError(key)
            return found
        return self.base[key]

    def __iter__(self) -> Iterator[str]:
        changes = self.changes
        yield from (key for key in self.base if key not in changes)
        yield from (key for key, ids in changes.items() if ids is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _as_tuple(ids: int | tuple[int, ...] | None) -> tuple[int, ...]:
    return () if ids is None else ids if isinstance(ids, tuple) else (ids,)


class GraphCache:
    """One process's cached graph; thread-safe. ``loads`` counts rebuilds and ``patches`` the
    graphs patched from the change log (tests, metrics)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: CMDBGraph | None = None
        self.loads = 0
        self.patches = 0

    def get(self, session: Session) -> CMDBGraph:
        revision = current_revision(session)
        current = self._current
        if current is not None and current.revision == revision:
            return current
        with self._lock:
            current = self._current
            if current is None or current.revision != revision:
                patched = None if current is None else patch_graph(session, current, revision)
                if patched is None:
                    current = load_graph(session, revision)
                    self.loads += 1
                else:
                    current = patched
                    self.patches += 1
                self._current = current
            return current

    def clear(self) -> None:
        with self._lock:
            self._current = None


def graph_cache(app: Flask | None = None) -> GraphCache:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.get(EXTENSION_KEY)
    if cache is None:
        cache = app.extensions.setdefault(EXTENSION_KEY, GraphCache())
    return cache


def current_graph() -> CMDBGraph:
    """The graph at the current revision (one cheap SELECT when it is cached)."""
    return graph_cache().get(db.session)

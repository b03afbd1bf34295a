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

The cache lives in ``app.extensions`` so two applications in one process (tests) behave like
two workers.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import networkx as nx
from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.cmdb.graph import BUSINESS_SERVICE, CI, Redundancy, RelationType, build_graph
from app.cmdb.models import (
    CIClass,
    CIRelation,
    CMDBRevision,
    ConfigurationItem,
    RelationTypeRow,
)
from app.extensions import db

EXTENSION_KEY = "cmdb_graph_cache"


@dataclass(frozen=True)
class CMDBGraph:
    """A built graph, the revision it reflects, and CI ids by lower-cased name."""

    revision: tuple[int, str]
    graph: nx.DiGraph
    by_name: Mapping[str, tuple[int, ...]]

    def ids_for(self, names: list[str]) -> list[int]:
        """The ids of the CIs with these names (case-insensitive); unknown names are skipped."""
        found: list[int] = []
        for name in names:
            found.extend(self.by_name.get((name or "").strip().lower(), ()))
        return list(dict.fromkeys(found))


def current_revision(session: Session) -> tuple[int, str]:
    """``(counter, token)`` of the last CMDB change (``(0, "")`` before any)."""
    row = session.execute(
        select(CMDBRevision.value, CMDBRevision.token).where(CMDBRevision.id == 1)
    ).first()
    return (row.value, row.token) if row is not None else (0, "")


def _graph_classes(session: Session) -> dict[int, str]:
    """Class id → the class name the engine sees (descendants of business services count as
    business services, so admin-added service kinds are counted as services)."""
    rows = session.execute(select(CIClass.id, CIClass.name, CIClass.parent_id)).all()
    parents = {r.id: r.parent_id for r in rows}
    names = {r.id: r.name for r in rows}
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
    """Build the graph from plain rows (no ORM objects: faster and smaller)."""
    if revision is None:
        revision = current_revision(session)
    classes = _graph_classes(session)
    types = {
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
    c = ConfigurationItem
    cis = []
    by_name: dict[str, list[int]] = {}
    for row in session.execute(
        select(
            c.id,
            c.name,
            c.class_id,
            c.status,
            c.min_up,
            c.min_up_percent,
            c.users_count,
            c.assigned_user_id,
        )  # fmt: skip
    ):
        rule = None
        if row.min_up is not None or row.min_up_percent is not None:
            rule = Redundancy(
                min_up=row.min_up,
                min_up_percent=float(row.min_up_percent) if row.min_up is None else None,
            )
        cis.append(
            CI(
                id=row.id,
                name=row.name,
                ci_class=classes[row.class_id],
                status=row.status,
                redundancy=rule,
                users=row.users_count or 0,
                assigned_user=str(row.assigned_user_id) if row.assigned_user_id else None,
            )
        )
        by_name.setdefault(row.name.lower(), []).append(row.id)
    relations = session.execute(
        select(CIRelation.source_id, CIRelation.target_id, CIRelation.type)
    ).all()
    graph = build_graph(cis, [tuple(r) for r in relations], types)
    return CMDBGraph(revision, graph, MappingProxyType({k: tuple(v) for k, v in by_name.items()}))


def bump_revision() -> None:
    """Count one more CMDB change (atomic ``value = value + 1``, a new random token; the row
    is seeded by the migration). Concurrent writers queue on this row until commit."""
    token = uuid.uuid4().hex
    result = db.session.execute(
        update(CMDBRevision)
        .where(CMDBRevision.id == 1)
        .values(value=CMDBRevision.value + 1, token=token)
    )
    if result.rowcount == 0:  # pragma: no cover - the migration seeds the row
        db.session.add(CMDBRevision(id=1, value=1, token=token))


class GraphCache:
    """One process's cached graph; thread-safe. ``loads`` counts rebuilds (tests, metrics)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: CMDBGraph | None = None
        self.loads = 0

    def get(self, session: Session) -> CMDBGraph:
        revision = current_revision(session)
        current = self._current
        if current is not None and current.revision == revision:
            return current
        with self._lock:
            current = self._current
            if current is None or current.revision != revision:
                current = load_graph(session, revision)
                self._current = current
                self.loads += 1
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

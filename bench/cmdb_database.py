"""PostgreSQL side of the CMDB benchmark: an estate in the app's own tables, in a schema of its
own, loaded the way a worker loads it, and the same impact as a recursive SQL query.

Used by bench/cmdb_estate.py. The schema is created from the models (the CMDB tables and the
tables they reference), filled with COPY, and dropped at the end.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Table, create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.cmdb.graph.vocabulary import DEFAULT_RELATION_TYPES, ImpactOptions, Propagation, Treatment
from bench.cmdb_layered import Estate

ROOT = Path(__file__).resolve().parent.parent

RECURSIVE_IMPACT = text(
    """
    WITH RECURSIVE hit(id) AS (
        SELECT CAST(:start AS INTEGER)
      UNION
        SELECT reached.id
        FROM hit
        JOIN ci_relations r
          ON (r.target_id = hit.id AND r.type = ANY(:target_to_source))
          OR (r.source_id = hit.id AND r.type = ANY(:source_to_target))
        JOIN configuration_items reached
          ON reached.id = CASE WHEN r.target_id = hit.id THEN r.source_id ELSE r.target_id END
         AND reached.status <> ALL(:ignored)
    )
    SELECT id FROM hit
    """
)
"""Every CI a failure of ``:start`` reaches, ignoring CIs as the engine's defaults do: the
plain impact (reachability; redundancy only decides down or degraded, not whether a CI is hit)."""


def schema_url(base_url: str, schema: str) -> str:
    return f"{base_url}?options=-csearch_path%3D{schema}"


@contextmanager
def estate_schema(base_url: str, estate: Estate, schema: str) -> Iterator[tuple[str, float]]:
    """A schema holding ``estate`` in the CMDB tables; yields its URL and the seconds the
    insert took. Dropped afterwards, whatever happens."""
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = schema_url(base_url, schema)
    engine = create_engine(url)
    try:
        start = time.perf_counter()
        _fill(engine, estate)
        yield url, time.perf_counter() - start
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _tables() -> list[Table]:
    """The CMDB tables and every table they reference, parents first."""
    import app.auth.models  # noqa: F401  (users and groups, referenced by CIs)
    from app.cmdb.models import CIRelation, CMDBChange, CMDBRevision, ConfigurationItem
    from app.extensions import db

    wanted: set[Table] = set()
    todo = [t.__table__ for t in (CIRelation, CMDBChange, CMDBRevision, ConfigurationItem)]
    while todo:
        table = todo.pop()
        if table not in wanted:
            wanted.add(table)
            todo.extend(fk.column.table for fk in table.foreign_keys)
    return [t for t in db.metadata.sorted_tables if t in wanted]


def _fill(engine: Engine, estate: Estate) -> None:
    from app.cmdb.models import (
        CIClass,
        CIRelation,
        CMDBRevision,
        ConfigurationItem,
        RelationTypeRow,
    )

    tables = _tables()
    for table in tables:
        table.create(engine)
    class_names = sorted({row[2] for row in estate.rows})
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            CIClass.__table__.insert(), [{"name": n, "label": n} for n in class_names]
        )
        connection.execute(
            RelationTypeRow.__table__.insert(),
            [
                {
                    "name": t.name,
                    "forward": t.forward,
                    "reverse": t.reverse,
                    "propagation": t.propagation,
                    "membership": t.membership,
                }
                for t in DEFAULT_RELATION_TYPES.values()
            ],
        )
        connection.execute(CMDBRevision.__table__.insert(), [{"id": 1, "value": 1, "token": "b"}])
        class_ids = dict(connection.execute(text("SELECT name, id FROM ci_classes")).all())
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            columns = "id, name, class_id, status, users_count, min_up, min_up_percent, "
            columns += "description, version, created_at, updated_at"
            with cursor.copy(f"COPY configuration_items ({columns}) FROM STDIN") as copy:
                for ci_id, name, ci_class, status, rule, users, _ in estate.rows:
                    min_up = rule.min_up if rule else None
                    percent = round(rule.min_up_percent) if rule and rule.min_up is None else None
                    copy.write_row(
                        (
                            ci_id,
                            name,
                            class_ids[ci_class],
                            status,
                            users,
                            min_up,
                            percent,
                            "",
                            1,
                            now,
                            now,
                        )  # fmt: skip
                    )
            copy_relations = "COPY ci_relations (source_id, target_id, type, created_at) FROM STDIN"
            with cursor.copy(copy_relations) as copy:
                for source, target, type_name in estate.relations:
                    copy.write_row((source, target, type_name, now))
        for table in (ConfigurationItem, CIRelation):
            connection.execute(text(f"ANALYZE {table.__tablename__}"))


def child_load(url: str) -> dict[str, float]:
    """Load the graph as a worker does, in this fresh process: seconds (a first load, mappers
    configured beforehand, and a reload), memory, and full garbage collections before the
    load, after it (graph frozen, as loaded) and with the graph unfrozen."""
    from sqlalchemy.orm import configure_mappers

    import app.auth.models  # noqa: F401  (mappers the CMDB models refer to)
    from app.cmdb.cache import current_revision, load_graph

    configure_mappers()
    engine = create_engine(url)
    with Session(engine) as session:
        current_revision(session)  # connected, statements compiled once
        baseline = _collect_ms()
        before = _status()
        start = time.perf_counter()
        cmdb = load_graph(session)
        seconds = time.perf_counter() - start
        after = _status()
        frozen = _collect_ms()
        start = time.perf_counter()
        again = load_graph(session)
        reload = time.perf_counter() - start
        del again
    gc.unfreeze()
    return {
        "cis": len(cmdb.index),
        "seconds": seconds,
        "reload_seconds": reload,
        "rss_mb": after["VmRSS"] - before["VmRSS"],
        "rss_total_mb": after["VmRSS"],
        "peak_mb": after["VmHWM"] - before["VmRSS"],
        "gc_before_ms": baseline,
        "gc_frozen_ms": frozen,
        "gc_unfrozen_ms": _collect_ms(),
    }


def _collect_ms() -> float:
    start = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - start) * 1000


def _status() -> dict[str, float]:
    """VmRSS and VmHWM of this process in MB (Linux)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


def load_in_fresh_process(url: str) -> dict[str, float]:
    """:func:`child_load` in a new interpreter (so memory is the worker's, not ours)."""
    code = "import json, sys; from bench.cmdb_database import child_load; "
    code += "print(json.dumps(child_load(sys.argv[1])))"
    done = subprocess.run(
        [sys.executable, "-c", code, url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode:
        raise RuntimeError(f"loading in a fresh process failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def recursive_impact(session: Session, start: int) -> set[int]:
    """The CIs a failure of ``start`` reaches, by :data:`RECURSIVE_IMPACT`."""
    spreads = {p: [] for p in Propagation}
    for t in DEFAULT_RELATION_TYPES.values():
        spreads[t.propagation].append(t.name)
    options = ImpactOptions()
    ignored = [
        status
        for status in ("planned", "in_maintenance", "retired")
        if getattr(options, status) is Treatment.IGNORED
    ]
    rows = session.execute(
        RECURSIVE_IMPACT,
        {
            "start": start,
            "target_to_source": spreads[Propagation.TARGET_TO_SOURCE] + spreads[Propagation.BOTH],
            "source_to_target": spreads[Propagation.SOURCE_TO_TARGET] + spreads[Propagation.BOTH],
            "ignored": ignored,
        },
    )
    return {r[0] for r in rows}

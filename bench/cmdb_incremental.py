"""The next impact question after one CMDB edit: patched graph against a reload.

On layered estates (bench/cmdb_layered.py) of each ``--sizes``, in memory: the index built
from rows as a worker's reload builds it, the usual impact question (a VM failing), then for
each kind of edit (a relation added, a new VM on a host, a cluster's redundancy rule changed,
a host retired, a relation removed) what a worker pays before answering the next question:
the index patched (:func:`app.cmdb.impact.patch.patch`), its search flags made (a patch carries
them: nothing left to do), the names mapping patched, and the first question on it; then how
much of the stores' spare room the edits used (the patches left before a reload). For
``--db-sizes`` the same through PostgreSQL: the estate in a schema of the ``test`` database,
the graph loaded as a worker loads it, an edit committed with its ``cmdb_changes`` row, and
the worker's :func:`app.cmdb.cache.patch_graph` timed with the question after it.

    python -m bench.cmdb_incremental --sizes 100000,1000000 --db-sizes 100000   # repo root

Filling the 1,000,000-CI schema takes many minutes: ``--keep`` leaves it in place
(``bench_incremental_<size>``, or ``--schema``) and ``--reuse`` takes it as it was left when it
holds CIs (the edits of earlier runs stay in it; the graph is loaded from what is there).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session, configure_mappers

from app.auth.models import group_members
from app.cmdb.cache import _by_name, _renamed, current_revision, load_graph, patch_graph
from app.cmdb.graph.vocabulary import Redundancy
from app.cmdb.impact import engine
from app.cmdb.impact.index import Columns, CompactGraph, build_compact
from app.cmdb.impact.patch import patch
from app.cmdb.impact.vector import vectors
from bench._report import Report
from bench.cmdb_database import _fill, estate_schema, schema_url
from bench.cmdb_layered import Estate, layered_estate

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
EDITS = ("relate", "new VM", "rule", "retire", "unrelate")


@dataclass
class Edit:
    """One edit of the estate: the CIs it changes, applied to the estate's rows and relations."""

    kind: str
    changed: set[int]


class Live:
    """An estate being edited: its rows by id and its relations by CI."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.rows = {row[0]: row for row in estate.rows}
        self.touching: dict[int, set[tuple[int, int, str]]] = defaultdict(set)
        for relation in estate.relations:
            self.touching[relation[0]].add(relation)
            self.touching[relation[1]].add(relation)

    def add_relation(self, relation: tuple[int, int, str]) -> None:
        for end in relation[:2]:
            self.touching[end].add(relation)

    def remove_relation(self, relation: tuple[int, int, str]) -> None:
        for end in relation[:2]:
            self.touching[end].discard(relation)

    def edit(self, kind: str, rng: random.Random) -> Edit:
        by_kind = self.estate.by_kind
        host = rng.choice(by_kind["host"])
        if kind == "relate":
            vm = rng.choice(by_kind["vm"])
            self.add_relation((vm, host, "runs_on"))
            return Edit(kind, {vm, host})
        if kind == "new VM":
            vm = max(self.rows) + 1
            self.rows[vm] = (vm, f"vm-new-{vm}", "virtual_machine", "in_service", None, 0, None)
            self.add_relation((vm, host, "runs_on"))
            return Edit(kind, {vm, host})
        if kind == "rule":
            cluster = rng.choice(by_kind["hv-cluster"])
            row = self.rows[cluster]
            percent = 50.0 if row[4] and row[4].min_up_percent == 75 else 75.0
            self.rows[cluster] = (*row[:4], Redundancy(min_up_percent=percent), *row[5:])
            return Edit(kind, {cluster})
        if kind == "retire":
            row = self.rows[host]
            self.rows[host] = (*row[:3], "retired", *row[4:])
            return Edit(kind, {host})
        relation = rng.choice(sorted(self.touching[host]))
        self.remove_relation(relation)
        return Edit(kind, set(relation[:2]))

    def columns(self, changed: set[int]) -> Columns:
        rows = [self.rows[c] for c in sorted(changed)]
        return Columns(
            ids=[r[0] for r in rows],
            names=[r[1] for r in rows],
            classes=[r[2] for r in rows],
            statuses=[r[3] for r in rows],
            users=[r[5] for r in rows],
            rules={r[0]: r[4] for r in rows if r[4] is not None},
            assigned={r[0]: r[6] for r in rows if r[6] is not None},
            user_ids={},
        )

    def relations(self, changed: set[int]) -> list[tuple[int, int, str]]:
        return sorted({r for c in changed for r in self.touching[c]})


def ms(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """Milliseconds of ``fn(*args)``, and its answer."""
    start = time.perf_counter()
    found = fn(*args)
    return (time.perf_counter() - start) * 1000, found


def usual_question(index: CompactGraph, vms: list[int], rng: random.Random) -> float:
    """Median ms of an impact question on a VM, the graph's arrays made."""
    return statistics.median(ms(engine.impact, index, [rng.choice(vms)])[0] for _ in range(15))


def in_memory(size: int, args: argparse.Namespace) -> list[str]:
    rng = random.Random(args.seed)
    estate = layered_estate(size, args.seed)
    gc.disable()
    build_ms, index = ms(build_compact, estate.rows, estate.relations)
    vectors_ms, _ = ms(vectors, index)
    names_ms, by_name = ms(_by_name, index)
    gc.enable()
    gc.freeze()
    live = Live(estate)
    vms = estate.by_kind["vm"]
    usual = usual_question(index, vms, rng)
    stores = {name: getattr(index, name).store for name in ("out", "in_", "pairs", "pairs_in")}
    room = {name: (store.used, store.capacity) for name, store in stores.items()}
    lines = [
        f"### {len(index):,} CIs, {len(index.pair_arrays()[0]):,} relations, in memory",
        "",
        f"Reload from in-memory rows: index {build_ms / 1000:.2f} s, search arrays "
        f"{vectors_ms:.0f} ms, names {names_ms:.0f} ms. The usual question (a VM failing, "
        f"median of 15): {usual:.2f} ms.",
        "",
        "| edit | patch index ms | search arrays ms | names ms | first question ms | "
        "extra over the usual question, median (max) ms | the same in CPU ms (`process_time`) |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in EDITS:
        parts: list[list[float]] = [[], [], [], [], [], []]
        for _ in range(args.rounds):
            edit = live.edit(kind, rng)
            columns, relations = live.columns(edit.changed), live.relations(edit.changed)
            cpu = time.process_time()
            patch_ms, patched = ms(patch, index, columns, relations, edit.changed)
            assert patched is not None
            arrays_ms, _ = ms(vectors, patched)
            old_nodes = [index.index[c] for c in edit.changed if c in index]
            renamed_ms, by_name = ms(_renamed, by_name, index, patched, old_nodes)
            vm = rng.choice(vms)
            first_ms, _ = ms(engine.impact, patched, [vm])
            cpu = (time.process_time() - cpu) * 1000 - _cpu_ms(engine.impact, patched, [vm])
            usual_now = usual_question(patched, vms, rng)
            over = patch_ms + arrays_ms + renamed_ms + first_ms - usual_now
            values = (patch_ms, arrays_ms, renamed_ms, first_ms, over, cpu)
            for found, value in zip(parts, values, strict=True):
                found.append(value)
            index = patched
        cells = " | ".join(f"{statistics.median(p):.1f}" for p in parts[:4])
        extra, cpus = parts[4], parts[5]
        lines.append(
            f"| {kind} | {cells} | {statistics.median(extra):.1f} ({max(extra):.1f}) | "
            f"{statistics.median(cpus):.1f} ({max(cpus):.1f}) |"
        )
    edits = len(EDITS) * args.rounds
    worst = max(
        (stores[name].used - used) / (capacity - used) for name, (used, capacity) in room.items()
    )
    lines += [
        "",
        f"The {edits} edits used {worst:.3%} of the fullest store's spare room: about "
        f"{edits / max(worst, 1e-9):,.0f} such edits before a patch gives up and the graph is "
        "loaded again.",
    ]
    gc.unfreeze()
    return lines


def through_postgres(size: int, args: argparse.Namespace) -> list[str]:
    rng = random.Random(args.seed)
    estate = layered_estate(size, args.seed)
    configure_mappers()
    with _schema(args, estate, size) as (url, filled):
        engine_ = create_engine(url)
        group_members.create(engine_, checkfirst=True)  # a patch reads users groups' members
        statements: list[tuple[str, Any]] = []

        @event.listens_for(engine_, "before_cursor_execute")
        def _count(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            statements.append((statement, parameters))

        with Session(engine_) as session:
            session.execute(text("DELETE FROM cmdb_changes"))  # a kept schema starts again
            session.execute(text("UPDATE cmdb_revision SET value = 1, token = 'b' WHERE id = 1"))
            _log(session, 1, "b", "")
            session.commit()
            load_ms, cmdb = ms(load_graph, session)
            session.commit()
            vms = estate.by_kind["vm"]
            usual = usual_question(cmdb.index, vms, rng)
            usual_cpu = _cpu_ms(engine.impact, cmdb.index, [rng.choice(vms)])
            found = []
            for _ in range(args.rounds):
                host, vm = rng.choice(estate.by_kind["host"]), rng.choice(vms)
                session.execute(
                    text(
                        "INSERT INTO ci_relations (source_id, target_id, type, created_at) "
                        "VALUES (:s, :t, 'runs_on', now()) ON CONFLICT DO NOTHING"
                    ),
                    {"s": vm, "t": host},
                )
                value = cmdb.revision[0] + 1
                token = uuid.uuid4().hex
                session.execute(
                    text("UPDATE cmdb_revision SET value = :v, token = :t WHERE id = 1"),
                    {"v": value, "t": token},
                )
                _log(session, value, token, f"{min(vm, host)},{max(vm, host)}")
                session.commit()
                revision = current_revision(session)
                del statements[:]
                cpu, wall = time.process_time(), time.perf_counter()
                patched = patch_graph(session, cmdb, revision)
                patch_ms = (time.perf_counter() - wall) * 1000
                patch_cpu = (time.process_time() - cpu) * 1000
                assert patched is not None
                run = list(statements)
                cpu, wall = time.process_time(), time.perf_counter()
                engine.impact(patched.index, [vm])
                first_ms = (time.perf_counter() - wall) * 1000
                first_cpu = (time.process_time() - cpu) * 1000
                server = _server_ms(session, run)
                session.commit()
                found.append((patch_ms, first_ms, patch_ms + first_ms - usual, patch_cpu,
                              first_cpu, len(run), server))  # fmt: skip
                cmdb = patched
        engine_.dispose()
    patch_times, first, extra, patch_cpus, first_cpus, counts, servers = zip(*found, strict=True)
    median = statistics.median
    return [
        f"### {len(cmdb.index):,} CIs through PostgreSQL",
        "",
        f"Schema filled in {filled:.0f} s (-1: reused). Reload (`load_graph`, in this process): "
        f"{load_ms / 1000:.2f} s. The usual question: {usual:.2f} ms ({usual_cpu:.2f} ms CPU). "
        f"One relation added and "
        f"committed with its change row, {args.rounds} times: the worker's `patch_graph` "
        f"(read the log, the two CIs and their relations, patch, arrays, names) "
        f"{median(patch_times):.1f} ms median ({max(patch_times):.1f} max), the "
        f"first question after it {median(first):.2f} ms; extra over the usual "
        f"question {median(extra):.1f} ms median ({max(extra):.1f} max).",
        "",
        f"Load-independent: `patch_graph` {median(patch_cpus):.1f} ms CPU "
        f"({max(patch_cpus):.1f} max) in {max(counts)} statements, "
        f"{median(servers):.2f} ms of PostgreSQL execution time (EXPLAIN ANALYZE of each, "
        f"{max(servers):.2f} max); the first question {median(first_cpus):.2f} ms CPU "
        f"({max(first_cpus):.2f} max).",
        "",
    ]


def _cpu_ms(fn: Callable[..., Any], *args: Any) -> float:
    start = time.process_time()
    fn(*args)
    return (time.process_time() - start) * 1000


def _server_ms(session: Session, statements: list[tuple[str, Any]]) -> float:
    """PostgreSQL's execution and planning time of ``statements`` run again under EXPLAIN
    ANALYZE (warm: their pages were just read)."""
    cursor = session.connection().connection.cursor()
    total = 0.0
    try:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters or None)
            plan = cursor.fetchone()[0][0]
            total += plan["Execution Time"] + plan["Planning Time"]
    finally:
        cursor.close()
    return total


@contextmanager
def _schema(args: argparse.Namespace, estate: Estate, size: int) -> Iterator[tuple[str, float]]:
    """The estate's schema: a fresh one dropped afterwards, or with ``--keep`` one left in
    place (taken as it is with ``--reuse`` when it already holds CIs; filled seconds -1)."""
    if not (args.keep or args.reuse):
        with estate_schema(
            args.postgres, estate, f"bench_incremental_{uuid.uuid4().hex[:8]}"
        ) as found:
            yield found
        return
    schema = args.schema or f"bench_incremental_{size}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT to_regclass(:t) IS NOT NULL"), {"t": f'"{schema}".configuration_items'}
        ).scalar()
        filled = -1.0
        if not (args.reuse and exists):
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            start = time.perf_counter()
            filler = create_engine(schema_url(args.postgres, schema))
            _fill(filler, estate)
            filler.dispose()
            filled = time.perf_counter() - start
    admin.dispose()
    yield schema_url(args.postgres, schema), filled


def _log(session: Session, value: int, token: str, ids: str) -> None:
    session.execute(
        text("INSERT INTO cmdb_changes (revision, token, kind, ids) VALUES (:r, :t, 'cis', :i)"),
        {"r": value, "t": token, "i": ids},
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--db-sizes", default="")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--schema", default="", help="with --keep/--reuse (default per size)")
    parser.add_argument("--keep", action="store_true", help="leave the PostgreSQL estate")
    parser.add_argument("--reuse", action="store_true", help="use a kept estate (implies --keep)")
    parser.add_argument("--out", default="/tmp/cmdb_incremental.md")
    args = parser.parse_args(argv)
    report = Report("bench.cmdb_incremental", "CMDB graph patched after an edit", argv)
    body: list[str] = []
    for size in (int(s) for s in args.sizes.split(",") if s):
        body += in_memory(size, args) + [""]
        gc.collect()
    for size in (int(s) for s in args.db_sizes.split(",") if s):
        body += through_postgres(size, args)
    report.append(args.out, body)


if __name__ == "__main__":
    main()

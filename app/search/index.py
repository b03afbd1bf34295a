"""Keeping the index in step with the rows it mirrors, in the same transaction.

Listeners on the application's session (installed once by :func:`install`):

* ``after_flush`` notes, per source, the ids of the rows whose watched models the flush
  inserted, changed or deleted (``session.info``, so each session keeps its own);
* ``do_orm_execute`` notes the sources whose models a bulk ORM statement wrote (an import),
  caught up at commit (:func:`catch_up`: rows without a document, documents without a row,
  written by the bulk path);
* ``before_commit`` flushes, then rewrites those rows' documents (:func:`sync`) before the
  commit, so a change and its index entry commit together or not at all; a rollback forgets
  the noted ids (nothing was written).

:func:`sync` writes ``search_documents`` and, on SQLite, the FTS5 row of each document (its
text folded: lower case, no accents); on PostgreSQL a trigger computes the ``tsvector``
columns. :func:`write_bulk` is the path for many rows at once (an import's batch, a catch-up):
on PostgreSQL the trigger then leaves the vocabulary (``fts_words``, ``fts_lexemes``) to two
set-based statements over the whole batch. :func:`reindex` rebuilds a source from scratch
(``flask search reindex``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, delete, insert, inspect, select, text, update
from sqlalchemy.orm import ORMExecuteState, Session

from app import commit_writes
from app.db import is_postgresql, listen_once
from app.extensions import db
from app.search import sources as registry
from app.search.models import SearchDocument
from app.search.sources import Document, Source
from app.search.text import fold, guess_language, vocabulary_words
from app.timeutils import utc_now

LANGUAGES = ("english", "swedish")  # a text-search configuration each (see the migration)
DEFAULT_LANGUAGE = "english"
PENDING = "search_pending"
FRESH = "search_fresh"  # per source, rows inserted since the last sync: instance or None
CATCH_UP = "search_catch_up"
CHUNK = 500


def _after_flush(session: Session, _context: Any) -> None:
    watched = [
        (model, source.name, pick, source.fields.get(model))
        for source in registry.registered()
        for model, pick in source.watch.items()
    ]
    if not watched:
        return
    pending: dict[str, set[int]] = session.info.setdefault(PENDING, {})
    touched: list[tuple[str, int, Any]] = []
    for obj in (*session.new, *session.dirty, *session.deleted):
        for model, name, pick, fields in watched:
            if not isinstance(obj, model):
                continue
            if obj in session.dirty and not _changed(obj, fields):
                continue
            source_id = pick(obj)
            if source_id is not None:
                pending.setdefault(name, set()).add(source_id)
                touched.append((name, source_id, obj))
    _note_fresh(session, touched)


def _note_fresh(session: Session, touched: list[tuple[str, int, Any]]) -> None:
    """Note the rows this flush inserted (instances of their source's ``row``), each with
    its instance while no other watched model touched it since (then its document can be
    built from the instance; else ``None``: read it, though no document is looked for)."""
    rows = {s.name: s.row for s in registry.registered() if s.row is not None}
    if not rows or not touched:
        return
    fresh: dict[str, dict[int, Any]] = session.info.setdefault(FRESH, {})
    for name, source_id, obj in touched:
        if name in rows and isinstance(obj, rows[name]) and obj in session.new:
            fresh.setdefault(name, {})[source_id] = obj
    for name, source_id, obj in touched:
        if name in rows and not isinstance(obj, rows[name]) and source_id in fresh.get(name, {}):
            fresh[name][source_id] = None


def _after_bulk_statement(state: ORMExecuteState) -> None:
    """An ORM ``insert``/``update``/``delete`` statement (a bulk import) bypasses the flush:
    note its sources for a catch-up at commit (see :func:`catch_up`)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mappers = state.all_mappers
    for source in registry.registered():
        if any(issubclass(m.class_, model) for m in mappers for model in source.watch):
            state.session.info.setdefault(CATCH_UP, set()).add(source.name)


def catch_up(source: Source, *, session: Session | None = None) -> int:
    """Index the rows of ``source`` that have no document and drop documents whose row is
    gone (after statements that bypass the flush). Returns how many changed. Text changed by
    a bulk ``update`` is not seen: run ``flask search reindex`` after one."""
    session = session or db.session()
    rows = source.all_ids().order_by(None).subquery()
    (row_id,) = rows.c
    indexed = select(SearchDocument.source_id).where(SearchDocument.source == source.name)
    missing = list(session.scalars(select(row_id).where(row_id.not_in(indexed))))
    vanished = list(session.scalars(indexed.where(SearchDocument.source_id.not_in(select(row_id)))))
    if missing or vanished:
        write_bulk(source, missing + vanished, session=session)
    return len(missing) + len(vanished)


def _changed(obj: Any, fields: frozenset[str] | None) -> bool:
    """Whether an updated instance changed what its document reads (any column when the
    source names no fields)."""
    state = inspect(obj)
    names = fields if fields is not None else [a.key for a in state.mapper.column_attrs]
    return any(state.attrs[name].history.has_changes() for name in names)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released inside the transaction: wait for the real commit
    refresh(session)


def refresh(session: Session | None = None) -> None:
    """Flush, then write the documents of every row changed so far in this transaction (the
    commit does it; call it to search what the transaction changed before committing)."""
    session = session or db.session()
    session.flush()
    commit_writes.release(session, DOCUMENTS)  # what an earlier refresh held for the commit
    for name in sorted(session.info.pop(CATCH_UP, ())):
        source = registry.get(name)
        if source:
            catch_up(source, session=session)
    try:
        for _ in range(3):  # writing documents flushes nothing watched; once is the usual case
            pending: dict[str, set[int]] = session.info.pop(PENDING, {})
            if not pending:
                return
            for name, ids in pending.items():
                source = registry.get(name)
                if source:
                    sync(source, ids, session=session)
            session.flush()
    finally:
        session.info.pop(FRESH, None)  # what is left unwritten is looked for again


def _forget(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(PENDING, None)
        session.info.pop(CATCH_UP, None)
        session.info.pop(FRESH, None)


_LISTENERS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("after_flush", _after_flush),
    ("before_commit", _before_commit),
    ("after_soft_rollback", _forget),
    ("do_orm_execute", _after_bulk_statement),
)


def install(*sources: Source) -> None:
    """Register ``sources`` and attach the listeners to ``db.session`` (idempotent)."""
    registry.register(*sources)
    listen_once(db.session, _LISTENERS)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _row(source: Source, document: Document) -> dict[str, Any]:
    title = document.title[:300]
    language = document.language or guess_language(
        f"{title} {document.body}", LANGUAGES, DEFAULT_LANGUAGE
    )
    return {
        "source": source.name,
        "source_id": document.source_id,
        "kind": document.kind[:30],
        "ref": document.ref[:60],
        "language": language,
        "title": title,
        "body": document.body,
        "notes": document.notes,
        "audience": document.audience[:40],
        "updated_at": utc_now(),
    }


def _documents(source: Source, ids: Sequence[int], fresh: dict[int, Any]) -> dict[int, Document]:
    """The documents of these rows: a new row's built from its instance when the source can
    (see ``Source.document_of``), the others read."""
    built: dict[int, Document] = {}
    if source.document_of is not None:
        for source_id in ids:
            obj = fresh.get(source_id)
            if obj is not None and inspect(obj).persistent:
                document = source.document_of(obj)
                if document is not None:
                    built[source_id] = document
    rest = [i for i in ids if i not in built]
    if rest:
        built.update((d.source_id, d) for d in source.documents(rest))
    return built


def sync(source: Source, ids: Iterable[int], *, session: Session | None = None) -> int:
    """Rewrite the documents of ``source``'s rows ``ids`` from what the source says of them
    now: new rows are added, changed ones rewritten, vanished ones removed. Returns how many
    documents were written. Flushes nothing and commits nothing.

    A row inserted in this transaction since its last sync (noted by the flush, see
    ``Source.row``) has no document to look for, and its document may come from its
    instance."""
    session = session or db.session()
    sqlite = not is_postgresql(session)
    fresh: dict[int, Any] = session.info.get(FRESH, {}).get(source.name, {})
    written = 0
    for chunk in _chunks(sorted(set(ids))):
        documents = _documents(source, chunk, fresh)
        looked_up = [i for i in chunk if i not in fresh]
        existing: dict[int, int] = {}
        if looked_up:
            commit_writes.release(session, DOCUMENTS)  # a document held for the commit
            found = select(SearchDocument.source_id, SearchDocument.id).where(
                SearchDocument.source == source.name, SearchDocument.source_id.in_(looked_up)
            )
            existing = {source_id: doc_id for source_id, doc_id in session.execute(found)}
        for source_id in chunk:
            fresh.pop(source_id, None)  # it has its document now
        gone = [existing[i] for i in chunk if i in existing and i not in documents]
        changed = [
            {"id": existing[i], **_row(source, d)} for i, d in documents.items() if i in existing
        ]
        new = [_row(source, d) for i, d in documents.items() if i not in existing]
        if gone:
            session.execute(delete(SearchDocument).where(SearchDocument.id.in_(gone)))
        if changed:
            session.execute(update(SearchDocument), changed)
        new_ids: dict[int, int] = {}
        # On PostgreSQL (no FTS rows to key by the new ids) the commit's other inserts take
        # the new documents along: a round trip less.
        if new and not commit_writes.hold(session, (_new_documents(), new)):
            rows = session.execute(_insert_documents(), new).all()
            new_ids = {source_id: doc_id for doc_id, source_id in rows}
        if sqlite:
            _write_fts(
                session,
                gone + [c["id"] for c in changed],
                [(existing.get(i) or new_ids[i], d) for i, d in documents.items()],
            )
        written += len(documents)
    return written


DOCUMENTS = cast(Table, SearchDocument.__table__)


@cache
def _new_documents() -> Any:
    """:func:`sync`'s ``INSERT`` of new documents, built once, on the table: the rows are
    plain dictionaries of every column, so the ORM's bulk insert had nothing to add but its
    own work at every ticket written."""
    return insert(DOCUMENTS)


@cache
def _insert_documents() -> Any:
    """The same, ``RETURNING`` the new ids (SQLite's FTS rows are keyed by them)."""
    return _new_documents().returning(DOCUMENTS.c.id, DOCUMENTS.c.source_id)


BULK_SETTING = "deskgraph.search_bulk"  # read by the trigger (migration 5239a6ef32f8)
BULK_CHUNK = 5000
_BULK_LEXEMES = text(
    "INSERT INTO fts_lexemes (lexeme)"
    " SELECT DISTINCT unnest(tsvector_to_array(coalesce(fts_all, fts_public)))"
    " FROM search_documents WHERE source = :source AND source_id = ANY(:ids)"
    " ORDER BY 1 ON CONFLICT DO NOTHING"
)
_BULK_WORDS = text(
    "INSERT INTO fts_words (word)"
    " SELECT DISTINCT w.lexeme FROM search_documents d,"
    " unnest(to_tsvector('fts_simple', translate(d.title || ' ' || d.body, '<>&', '   '))) AS w"
    " WHERE d.source = :source AND d.source_id = ANY(:ids)"
    " AND length(w.lexeme) BETWEEN 4 AND 30 AND w.lexeme !~ '[0-9_]'"
    " ORDER BY 1 ON CONFLICT DO NOTHING"
)


def write_bulk(source: Source | str, ids: Iterable[int], *, session: Session | None = None) -> int:
    """:func:`sync` for many rows at once (an import's batch): the same documents, written
    faster. On PostgreSQL the trigger computes each document's vectors but skips adding its
    words to the vocabulary, which two set-based statements then do for the whole batch (in
    a stable order, so concurrent imports wait for each other instead of deadlocking). Ordinary
    commits keep the per-row path. Returns how many documents were written; flushes nothing."""
    session = session or db.session()
    found = registry.get(source) if isinstance(source, str) else source
    if found is None:
        raise KeyError(f"no search source {source!r}")
    ids = sorted(set(ids))
    if not is_postgresql(session):
        return sync(found, ids, session=session)
    switch = text("SELECT set_config(:name, :value, true)")
    commit_writes.release(session)  # held documents get their words from the trigger
    session.execute(switch, {"name": BULK_SETTING, "value": "on"})  # undone by a rollback too
    written = sync(found, ids, session=session)
    commit_writes.release(session, DOCUMENTS)  # written while the trigger reads "on"
    session.execute(switch, {"name": BULK_SETTING, "value": "off"})
    for start in range(0, len(ids), BULK_CHUNK):
        chunk = ids[start : start + BULK_CHUNK]
        for statement in (_BULK_LEXEMES, _BULK_WORDS):
            session.execute(statement, {"source": found.name, "ids": chunk})
    return written


def _write_fts(session: Session, removed: list[int], rows: list[tuple[int, Document]]) -> None:
    """The FTS5 rows of these documents (rowid = document id), text folded, and their words
    in the vocabulary (``fts_words``)."""
    if removed:
        session.execute(
            text("DELETE FROM fts_search WHERE rowid IN (SELECT value FROM json_each(:ids))"),
            {"ids": "[" + ",".join(str(i) for i in removed) + "]"},
        )
    if rows:
        session.execute(
            text("INSERT INTO fts_search (rowid, title, body, notes) VALUES (:i, :t, :b, :n)"),
            [
                {"i": i, "t": fold(d.title[:300]), "b": fold(d.body), "n": fold(d.notes)}
                for i, d in rows
            ],
        )
        known = set().union(*(vocabulary_words(f"{d.title[:300]} {d.body}") for _i, d in rows))
        if known:  # the words typos are corrected to (PostgreSQL's trigger does the same)
            session.execute(
                text("INSERT OR IGNORE INTO fts_words (word) VALUES (:w)"),
                [{"w": w} for w in sorted(known)],
            )


def reindex(
    names: Sequence[str] = (),
    *,
    batch: int = 2000,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Rebuild the documents of these sources (all when empty) from their rows, committing
    every ``batch`` rows, through :func:`write_bulk` (on PostgreSQL the vocabulary of each
    batch in two set-based statements, not two per document); returns the number of
    documents per source."""
    session = db.session()
    counts: dict[str, int] = {}
    for source in registry.registered():
        if names and source.name not in names:
            continue
        doc_ids = select(SearchDocument.id).where(SearchDocument.source == source.name)
        if not is_postgresql(session):
            session.execute(
                text(
                    "DELETE FROM fts_search WHERE rowid IN ("
                    + str(doc_ids.compile(compile_kwargs={"literal_binds": True}))
                    + ")"
                )
            )
        session.execute(delete(SearchDocument).where(SearchDocument.source == source.name))
        session.commit()
        ids = list(session.scalars(source.all_ids()))
        counts[source.name] = 0
        for start in range(0, len(ids), batch):
            counts[source.name] += write_bulk(source, ids[start : start + batch], session=session)
            session.commit()
            if progress:
                progress(source.name, counts[source.name])
    return counts

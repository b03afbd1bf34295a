"""The registry of what the index holds: each domain describes its searchable rows as a
:class:`Source` (in its own ``search_source`` module; the factory registers them), so the
search package imports no domain and any domain (the knowledge base next) adds one more."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select


@dataclass(frozen=True)
class Document:
    """What the index keeps of one row: ``notes`` only IT staff may search (a ticket's work
    notes); ``language`` None lets the index guess it from the text; ``audience`` says who
    may find it, in the source's own words (``it_staff``), for its ``visible`` to test as a
    column of the index (``SearchDocument.audience``) instead of a subquery over its rows."""

    source_id: int
    title: str
    body: str = ""
    notes: str = ""
    kind: str = ""
    ref: str = ""
    language: str | None = None
    audience: str = ""


@dataclass(frozen=True)
class Source:
    """A kind of searchable row.

    :param name: the index's name for it (``ticket``); ``label`` for people (``Tickets``).
    :param watch: model class -> the source id a changed instance affects (None: none); an
        insert, update or delete of any of them re-indexes that row in the same transaction.
    :param documents: the documents of these source ids; an id it leaves out is unindexed.
    :param all_ids: every id to index (``flask search reindex``).
    :param visible: for a person, a condition on ``SearchDocument.source_id`` or ``audience``
        restricting the rows they may see (None: all of them, ``false()``: none).
    :param sees_notes: whether a person may search (and see) the notes.
    :param fields: per watched model, the attributes its document reads: an update that
        changes none of them (a sign-in's ``last_login_at``) re-indexes nothing.
    :param url: the page of a row for a person (from its document's ``source_id``, ``kind``
        and ``ref``), None when they have no page to open.
    :param row: the watched model whose instances are the rows themselves (``Ticket``): one
        inserted in this transaction has no document yet, so none is looked for.
    :param document_of: the document of such a new instance, from the instance itself (None
        when it cannot tell: it is read), used while no other watched model touched the row
        in the transaction (a new ticket's journal entry: its text is read).
    """

    name: str
    label: str
    watch: Mapping[type, Callable[[Any], int | None]]
    documents: Callable[[Sequence[int]], Iterable[Document]]
    all_ids: Callable[[], Select[Any]]
    visible: Callable[[Any], ColumnElement[bool] | None]
    sees_notes: Callable[[Any], bool]
    url: Callable[[Any, Any], str | None]
    fields: Mapping[type, frozenset[str]] = field(default_factory=dict)
    row: type | None = None
    document_of: Callable[[Any], Document | None] | None = None


_sources: dict[str, Source] = {}


def register(*sources: Source) -> None:
    """Add sources to the registry (idempotent by name: building another app changes none)."""
    for source in sources:
        _sources.setdefault(source.name, source)


def registered() -> list[Source]:
    """Every source, in the order they were registered (the order of result groups)."""
    return list(_sources.values())


def get(name: str) -> Source | None:
    return _sources.get(name)

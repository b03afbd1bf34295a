"""Asking the index: ranked, visible-only results with highlighted excerpts, per source.

PostgreSQL matches ``websearch_to_tsquery`` of the cleaned string or, for partial words and
typos, a ``tsquery`` built from the parsed words (each as a prefix, and each unknown word with
the known words closest to it by trigrams), in every configured language, ranked by
``ts_rank_cd`` (title A over body B over notes C). SQLite matches an FTS5 expression built
from the parsed words (each quoted: the trigram tokenizer finds any part of a word) ranked by
``bm25`` with the title weighted ten times the body. Only documents the person may see are
matched: each source restricts its rows (:attr:`Source.visible`), and notes are searched only
for people who may read them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    ColumnElement,
    Float,
    FromClause,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.sql.elements import False_
from sqlalchemy.sql.expression import TableClause

from app.db import is_postgresql
from app.extensions import db
from app.search import sources as registry
from app.search.index import LANGUAGES
from app.search.models import SearchDocument
from app.search.sources import Source
from app.search.text import (
    VOCABULARY_LENGTHS,
    Query,
    clean,
    closest,
    excerpt,
    expand_prefixes,
    fts5_averages,
    fts5_expression,
    fts5_phrase,
    fts5_phrases,
    inner_trigrams,
    match_spans,
    once_each,
    parse,
    tsquery_expression,
    typo_candidates,
    union_of,
)

# Counts past this show as "1,000+" and the matches come newest first. Reading the first
# cap + 1 matches costs about sqrt(cap * documents) rows or index entries; 200 made that
# read a third as long but searches of 201-1,000 matches slower (their newest-first page
# walks the documents backwards): docs/benchmarks.md, search16's third pass.
COUNT_CAP = 1000
D = SearchDocument


@dataclass
class Hit:
    source: Source
    document: SearchDocument
    title: Markup
    excerpt: Markup
    url: str | None


@dataclass
class Results:
    text: str  # the search string as understood (cleaned)
    query: Query
    hits: list[Hit] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # per source
    capped: bool = False  # the counts stopped at cap + 1 matches: they are at least
    cap: int = COUNT_CAP  # the most matches counted and ranked
    labels: dict[str, str] = field(default_factory=dict)  # the sources the person may search
    source: str = ""  # the one source shown, or all
    page: int = 1
    per_page: int = 20
    notes: list[str] = field(default_factory=list)  # what the person should know
    corrected: list[str] = field(default_factory=list)  # known words typos were read as

    @property
    def total(self) -> int:
        total = self.counts.get(self.source, 0) if self.source else sum(self.counts.values())
        return min(total, self.cap)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    # What the pagination macro reads (Flask-SQLAlchemy's ``Pagination`` names).
    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.hits else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.hits)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def iter_pages(self, **_edges: int) -> list[int | None]:
        near = [n for n in range(self.page - 2, self.page + 3) if 1 <= n <= self.pages]
        pages = sorted({1, self.pages, *near})
        shown: list[int | None] = []
        for n in pages:
            if shown and n - (shown[-1] or 0) > 1:
                shown.append(None)
            shown.append(n)
        return shown


def _highlight(segments: list[tuple[str, bool]]) -> Markup:
    return Markup("").join(
        Markup("<mark>%s</mark>") % s if hit else escape(s) for s, hit in segments
    )


@dataclass
class _Match:
    """A query ready for the database: ``where`` matches documents (cheap: counts, newest
    first); ``ranked(among)`` gives what to join and the rank expression, for ranking the
    documents ``among`` selects (the visible matches, when they are few)."""

    where: ColumnElement[bool]
    ranked: Callable[[ColumnElement[bool]], tuple[_Joins, ColumnElement[Any]]]
    corrected: list[str] = field(default_factory=list)
    fts: tuple[TableClause, ColumnElement[bool]] | None = None  # SQLite: the table, its MATCH

    def documents(self, *columns: Any) -> Select[Any]:
        """``columns`` of the matching documents. On SQLite they are read from the FTS5
        table's matches joined to the documents: FTS5 reads its lists lazily and stops at
        a LIMIT, where ``D.id IN (its matches)`` first collects every match (a common
        word: 200 ms against 1 at 100,000 tickets)."""
        if self.fts is None:
            return select(*columns).where(self.where)
        found, matches = self.fts
        return select(*columns).select_from(found).join(D, D.id == found.c.rowid).where(matches)

    @property
    def newest(self) -> ColumnElement[Any]:
        """Newest first, in the order the index reads (on SQLite, FTS5's own rowid order,
        which needs no sort of the matches)."""
        return D.id.desc() if self.fts is None else self.fts[0].c.rowid.desc()


_Joins = tuple[tuple[FromClause, ColumnElement[bool]], ...]


def _postgresql(query: Query, cleaned: str, notes: bool) -> _Match:
    typed = sorted({w for t in query.terms() for w in t.words})
    known, corrections = _words(typed, typo_candidates(query))
    expression = tsquery_expression(query, corrections, known)
    # Computed first and written into the statements as a constant: the planner then
    # estimates from the column's statistics how many rows match (a common word: read the
    # table until enough are found; a rare one: the GIN index), not from a blind guess.
    # Each language's parts often say the same: ``union_of`` keeps one of each.
    parts, completions = _tsqueries(cleaned, expression)
    value = once_each(expand_prefixes(union_of(parts), completions))
    q = cast(bindparam("tsq", value, String, literal_execute=True), TSQUERY)
    public: ColumnElement[Any] = literal_column("search_documents.fts_public")
    every: ColumnElement[Any] = literal_column("search_documents.fts_all")
    where: ColumnElement[bool] = public.op("@@")(q)
    vector = public
    if notes:
        # fts_all (fts_public and the notes) is kept only where there are notes: a small
        # index; one for every document would make the table half as large again (measured).
        where = or_(where, every.op("@@")(q))
        vector = func.coalesce(every, public)
    # 1: divided by 1 + log(length), so a short title's match outweighs a long body's.
    rank = func.ts_rank_cd(vector, q, 1, type_=Float)
    corrected = [w for words in corrections.values() for w in words]
    return _Match(where, lambda _visible: ((), rank), corrected)


MAX_COMPLETIONS = 30  # a prefix with more known lexemes than this stays a prefix


# A prefix operand (``'print':*``) as PostgreSQL prints a tsquery (``text.tsquery_prefixes``).
_PREFIX_PATTERN = r"'((?:[^']|'')*)':\*"


def _tsqueries(cleaned: str, expression: str) -> tuple[list[str], dict[str, list[str]]]:
    """In one statement: ``cleaned`` as ``websearch_to_tsquery`` and ``expression`` as
    ``to_tsquery`` in every language (as text), and the lexemes the index holds that start
    with each prefix of those, where there are at most :data:`MAX_COMPLETIONS`
    (``fts_lexemes``, a ``C``-collated btree read in order)."""
    parts = ", ".join(
        f"CAST({function}(CAST('fts_{language}' AS regconfig), :{value}) AS text)"
        for language in LANGUAGES
        for function, value in (("websearch_to_tsquery", "cleaned"), ("to_tsquery", "expression"))
    )
    printed, pairs = db.session.execute(
        text(
            "SELECT q.parts, ARRAY(SELECT ARRAY[p.prefix, l.lexeme] FROM"
            "  (SELECT DISTINCT replace(m[1], '''''', '''') AS prefix"
            "   FROM unnest(q.parts) AS part, regexp_matches(part, :pattern, 'g') AS m) AS p"
            "  CROSS JOIN LATERAL (SELECT lexeme FROM fts_lexemes"
            '   WHERE lexeme >= p.prefix COLLATE "C"'
            '   AND lexeme < p.prefix || chr(1114111) COLLATE "C"'  # the last code point
            "   ORDER BY lexeme LIMIT :most) AS l)"
            f" FROM (SELECT ARRAY[{parts}] AS parts) AS q"
        ),
        {
            "cleaned": cleaned,
            "expression": expression,
            "pattern": _PREFIX_PATTERN,
            "most": MAX_COMPLETIONS + 1,
        },
    ).one()
    found: dict[str, list[str]] = {}
    for prefix, lexeme in pairs:
        found.setdefault(prefix, []).append(lexeme)
    completions = {p: words for p, words in found.items() if len(words) <= MAX_COMPLETIONS}
    return list(printed), completions


_has_trgm: dict[str, bool] = {}


def _words(typed: list[str], candidates: list[str]) -> tuple[frozenset[str], dict[str, list[str]]]:
    """Which typed words the index knows, and for each unknown candidate the known words
    closest to it (typos); nothing where ``pg_trgm`` is missing."""
    if not typed:
        return frozenset(), {}
    bind: Any = db.session.get_bind()
    key = str(getattr(bind, "engine", bind).url)
    if key not in _has_trgm:
        function = db.session.execute(text("SELECT to_regproc('fts_similar_words')")).scalar()
        _has_trgm[key] = function is not None
    if not _has_trgm[key]:
        return frozenset(), {}
    lengthy = [w for w in typed if len(w) >= VOCABULARY_LENGTHS[0]]  # none shorter is known
    if not lengthy:
        return frozenset(), {}
    # One statement: whether each word is known, and the closest words of an unknown
    # candidate that starts no lexeme of the index either (a typo, not a word typed on: its
    # completions find it, and a correction ORed in would only widen the search).
    rows = db.session.execute(
        text(
            "SELECT t.typed, k.known, CASE WHEN NOT k.known"
            "  AND t.typed = ANY(CAST(:candidates AS text[]))"
            "  AND NOT EXISTS (SELECT FROM fts_lexemes"
            '   WHERE lexeme >= t.typed COLLATE "C"'
            '   AND lexeme < t.typed || chr(1114111) COLLATE "C")'
            "  THEN ARRAY(SELECT fts_similar_words(t.typed, 3)) END"
            " FROM unnest(CAST(:typed AS text[])) AS t(typed) CROSS JOIN LATERAL"
            " (SELECT EXISTS (SELECT FROM fts_words WHERE word = t.typed) AS known) AS k"
        ),
        {"typed": lengthy, "candidates": candidates},
    ).all()
    known = frozenset(word for word, is_known, _similar in rows if is_known)
    found = {word: list(similar) for word, _known, similar in rows if similar}
    return known, found


def _sqlite(query: Query, notes: bool) -> _Match | None:
    columns = ["title", "body", "notes"] if notes else ["title", "body"]
    corrections = _sqlite_corrections(query)
    expression = fts5_expression(query, columns, corrections)
    if expression is None:
        return None
    matching: Select[Any] = (
        select(literal_column("rowid"))
        .select_from(table("fts_search"))
        .where(literal_column("fts_search").op("MATCH")(expression))
    )
    phrases = fts5_phrases(query, corrections)

    def ranked(among: ColumnElement[bool]) -> tuple[_Joins, ColumnElement[Any]]:
        # Several required words: each word's documents can be many more than the matches
        # (a rare word beside a common one), and bm25 would count every one of them. One
        # string: its documents are the matches, but more than are ranked when only the
        # first are (suggestions) or only some are visible; its weight changes no order.
        # Its corrections or words ORed: the matches are the documents holding them.
        weights = None
        if len(query.required) > 1 or len(phrases) == 1:
            weights = _sqlite_phrase_weights(phrases, columns)
        if weights is None or (len(phrases) == 1 and weights.holding <= BM25_AFFORDABLE):
            found = _sqlite_bm25(expression, among)
        else:
            found = _sqlite_scores(weights, columns, among)
        return ((found, D.id == found.c.doc_id),), literal_column("fts.score", Float)

    corrected = [w for words in corrections.values() for w in words]
    found = table("fts_search", column("rowid", Integer))
    fts = (found, literal_column("fts_search").op("MATCH")(expression))
    return _Match(D.id.in_(matching), ranked, corrected, fts)


# FTS5's bm25: its constants, and the weight of each column (a title match counts ten times).
BM25_K1, BM25_B = 1.2, 0.75
BM25_WEIGHTS = {"title": 10.0, "body": 1.0, "notes": 1.0}  # in the FTS5 table's column order
_FTS5_BM25 = f"-bm25(fts_search, {', '.join(str(w) for w in BM25_WEIGHTS.values())})"
DF_SAMPLE = 100  # matches of a phrase read, newest first, to estimate how many documents hold it
# Documents holding a single string (estimated) up to which FTS5's own bm25 ranks: counting
# them then costs less than scoring each ranked row in SQL (docs/benchmarks.md, sqlite16).
BM25_AFFORDABLE = 2000


@dataclass
class _Weights:
    """bm25's weight of each phrase that matches a document (its inverse document frequency),
    the average length of a document in trigrams, and how many documents hold the phrases
    (estimated, summed)."""

    phrases: dict[str, float]
    average: float
    holding: float = 0.0


def _sqlite_bm25(expression: str, among: ColumnElement[bool]) -> Any:
    """FTS5's ``bm25`` of the documents ``among`` selects, as a subquery (``doc_id``,
    ``score``: higher is better). bm25 exists only inside the MATCH query: rank there (only the
    rows its WHERE keeps), join on rowid; ``+rowid`` filters what MATCH found (a plain rowid
    would let SQLite run the MATCH once per id)."""
    scored: Select[Any] = (
        select(
            literal_column("rowid").label("doc_id"),
            literal_column(_FTS5_BM25, Float).label("score"),
        )
        .select_from(table("fts_search"))
        .where(literal_column("fts_search").op("MATCH")(expression))
        .where(literal_column("+rowid").in_(select(D.id).where(among)))
    )
    return scored.subquery("fts")


# bm25 of one row, its phrases and weights a JSON array of [phrase, weight] (see below); a
# phrase's hits are its occurrences per column, weighted; the row's size is its trigrams.
_SCORE = """(SELECT total(weight * hits * :bm25_k1_1
  / (hits + :bm25_norm + :bm25_per_trigram * size)) FROM
 (SELECT json_extract(p.value, '$[1]') AS weight,
  max(length(fts_search.title) - 2, 0) + max(length(fts_search.body) - 2, 0)
   + max(length(fts_search.notes) - 2, 0) AS size,
  :bm25_title * {title} + :bm25_body * {body} + :bm25_notes * {notes} AS hits
  FROM json_each(:bm25_phrases) AS p)) AS score"""
_OCCURRENCES = (  # of the phrase in a column, not overlapping
    "CASE WHEN instr(fts_search.{c}, json_extract(p.value, '$[0]')) > 0 THEN"
    " (length(fts_search.{c}) - length(replace(fts_search.{c}, json_extract(p.value, '$[0]'),"
    " ''))) / length(json_extract(p.value, '$[0]')) ELSE 0 END"
)
_SCORE = _SCORE.format(**{c: _OCCURRENCES.format(c=c) for c in BM25_WEIGHTS})


def _sqlite_scores(weights: _Weights, columns: list[str], among: ColumnElement[bool]) -> Any:
    """:func:`_sqlite_bm25` computed from the rows ``among`` selects.

    ``bm25`` weighs each phrase by how many documents of the whole table hold it, which it
    counts by matching the phrase alone over every document: for a common word (a short one
    is a single trigram or two) that read was most of a search of several words, however
    few documents matched them all (three words at 150,000 documents: 5.8 ms median, 21 ms
    p95 of CPU). Here that count is :func:`_sqlite_phrase_weights`'s estimate, and the rest
    is bm25's formula on each ranked row: a phrase's matches in a column are the occurrences
    of its folded string in the column's folded text (what the trigram tokenizer matches),
    and a document's length is its trigrams (characters less two, per column). With exact
    counts the scores are bm25's; the estimates may reweigh the phrases a little.
    Overlapping occurrences (``aaa`` in ``aaaa``) count once, not twice. One SQL text for
    every query (the phrases are a parameter): building it from expressions cost more than
    running it."""
    fts = table("fts_search", column("rowid", Integer))
    score = text(_SCORE).bindparams(
        bm25_phrases=json.dumps([[p, w] for p, w in weights.phrases.items()]),
        bm25_k1_1=BM25_K1 + 1,
        bm25_norm=BM25_K1 * (1 - BM25_B),
        bm25_per_trigram=BM25_K1 * BM25_B / weights.average,
        **{f"bm25_{c}": BM25_WEIGHTS[c] if c in columns else 0.0 for c in BM25_WEIGHTS},
    )
    scored = select(fts.c.rowid.label("doc_id"), score).where(
        fts.c.rowid.in_(select(D.id).where(among))
    )
    return scored.subquery("fts")


def _sqlite_phrase_weights(phrases: list[str], columns: list[str]) -> _Weights:
    """The :class:`_Weights` of ``phrases`` in one statement: how many documents hold each is
    counted up to :data:`DF_SAMPLE` matches, newest first (exact below it, and above it
    extrapolated from the share of documents, by id, that the sample spans); the number of
    documents and their length from FTS5's averages record."""
    # Plain SQL: this statement's shape changes with the number of phrases, and compiling
    # it from expressions cost more than running it.
    samples = "".join(
        f", (SELECT json_array(count(*), min(rowid)) FROM (SELECT rowid FROM fts_search"
        f" WHERE fts_search MATCH :phrase_{n} ORDER BY rowid DESC LIMIT {DF_SAMPLE}))"
        for n in range(len(phrases))
    )
    row = db.session.execute(
        text(
            "SELECT (SELECT block FROM fts_search_data WHERE id = 1),"
            " (SELECT min(id) FROM search_documents), (SELECT max(id) FROM search_documents)"
            + samples
        ),
        {f"phrase_{n}": fts5_phrase(p, columns) for n, p in enumerate(phrases)},
    ).one()
    documents, tokens = fts5_averages(row[0] or b"")
    low, high = int(row[1] or 0), int(row[2] or 0)
    weights = _Weights({}, sum(tokens) / documents if documents else 1.0)
    for phrase, sample in zip(phrases, row[3:], strict=True):
        found, oldest = json.loads(sample)
        if not found:
            continue  # matches nothing: adds nothing to any score
        share = min(1.0, (high - oldest + 1) / (high - low + 1)) if found >= DF_SAMPLE else 1.0
        holding = min(found / share, documents)
        weights.holding += holding
        weights.phrases[phrase] = max(1e-6, math.log((documents - holding + 0.5) / (holding + 0.5)))
    return weights


TYPO_SAMPLE = 200  # known words sharing trigrams with a typo, read to find the closest


def _sqlite_corrections(query: Query) -> dict[str, list[str]]:
    """For each word worth correcting that is no known word nor part of one (a typo, not a
    word typed on), the known words closest to it: read from the vocabulary's trigram index
    (the words sharing most of its trigrams), then ranked by ``pg_trgm``'s similarity."""
    candidates = typo_candidates(query)
    if not candidates:
        return {}
    vocabulary: ColumnElement[Any] = literal_column("fts_words_trgm")
    found: dict[str, list[str]] = {}
    for typed in candidates:
        part: Select[Any] = select(literal_column("rowid")).select_from(table("fts_words_trgm"))
        if db.session.execute(part.where(vocabulary.op("MATCH")(f'"{typed}"')).limit(1)).first():
            continue  # a word or a part of one: the documents' trigrams find it as it is
        shared = " OR ".join(f'"{t}"' for t in inner_trigrams(typed))
        near = db.session.scalars(
            select(literal_column("word", String))
            .select_from(table("fts_words_trgm"))
            .where(vocabulary.op("MATCH")(shared))
            .order_by(literal_column("rank"))
            .limit(TYPO_SAMPLE)
        )
        found[typed] = closest(typed, near)
    return {typed: words for typed, words in found.items() if words}


def _visible(restrictions: dict[str, Any], chosen: list[Source]) -> ColumnElement[bool]:
    """The documents of ``chosen`` that the person may see (``restrictions``: each source's
    ``visible`` for them): the sources they see whole in one test of the ``source`` column,
    the others each with its restriction."""
    whole = []
    clauses: list[ColumnElement[bool]] = []
    for source in chosen:
        restriction = restrictions[source.name]
        if restriction is None:
            whole.append(source.name)
        else:
            clauses.append(and_(D.source == source.name, restriction))
    if whole:
        clauses.insert(0, D.source == whole[0] if len(whole) == 1 else D.source.in_(whole))
    return or_(*clauses) if clauses else false()


def _match(query: Query, cleaned: str, notes: bool) -> _Match | None:
    if not query:
        return None
    if is_postgresql(db.session):
        return _postgresql(query, cleaned, notes)
    return _sqlite(query, notes)


def search(
    user: Any,
    raw: str,
    *,
    source: str = "",
    page: int = 1,
    per_page: int = 20,
    cap: int | None = None,
    rank_found: bool = False,
) -> Results:
    """The documents matching ``raw`` that ``user`` may see, best first; ``source`` narrows
    them to one source; counts per source (capped) for the tabs.

    One query reads the ids of up to ``cap`` + 1 visible matches (the counts; ``cap`` is
    :data:`COUNT_CAP` but for suggestions). Up to ``cap`` are ranked, by id, without matching
    again; beyond that the newest come first (ranking thousands costs more than it tells: add
    words), unless ``rank_found``: then the matches read are ranked, and only they."""
    query = parse(raw)
    cap = COUNT_CAP if cap is None else cap
    results = Results(text=clean(raw)[0], query=query, page=page, per_page=per_page, cap=cap)
    if query.cut:
        results.notes.append("Your search was cut to its first 200 characters.")
    # Each source's restriction for this person, built once (a domain's may be a subquery
    # that takes a while to build): a source shut to them (``false()``) is no tab.
    restrictions = {s.name: s.visible(user) for s in registry.registered()}
    chosen = [s for s in registry.registered() if not isinstance(restrictions[s.name], False_)]
    results.labels = {s.name: s.label for s in chosen}
    if source and source in {s.name for s in chosen}:
        results.source = source
    if not query:
        return results
    notes = all(s.sees_notes(user) for s in chosen)
    match = _match(query, results.text, notes)
    if match is None:
        results.notes.append("Type at least three letters of a word.")
        return results
    results.corrected = match.corrected
    shown = [s for s in chosen if not results.source or s.name == results.source]
    # Suggestions (``rank_found``) show no tabs: only the shown sources are counted.
    counted = shown if rank_found else chosen
    sample = db.session.execute(
        match.documents(D.id, D.source).where(_visible(restrictions, counted)).limit(cap + 1)
    ).all()
    results.counts = {name: 0 for name in results.labels}
    for _id, name in sample:
        results.counts[name] += 1
    results.capped = len(sample) > cap
    offset = (page - 1) * per_page
    if offset >= cap:
        return results
    if results.capped and not rank_found:
        query_ = match.documents(D).where(_visible(restrictions, shown))
        order: tuple[Any, ...] = (match.newest,)
    else:
        names = {s.name for s in shown}
        ids = [doc_id for doc_id, name in sample[:cap] if name in names]
        if not ids:
            return results
        among = D.id.in_(ids)
        joins, rank = match.ranked(among)
        query_ = select(D).where(among)
        for joined, on in joins:
            query_ = query_.join(joined, on)
        order = (rank.desc(), D.id.desc())
    rows = db.session.scalars(query_.order_by(*order).limit(per_page).offset(offset)).all()
    by_name = {s.name: s for s in shown}
    for document in rows:
        results.hits.append(_hit(user, by_name[document.source], document, query, match, notes))
    return results


def _hit(
    user: Any, source: Source, document: SearchDocument, query: Query, match: _Match, notes: bool
) -> Hit:
    body = document.body
    if notes and document.notes and not _spans_in(body, query, match):
        body = document.notes
    return Hit(
        source=source,
        document=document,
        title=_highlight(excerpt(document.title, query, match.corrected, width=300)),
        excerpt=_highlight(excerpt(body, query, match.corrected)),
        url=source.url(document, user),
    )


def _spans_in(body: str, query: Query, match: _Match) -> bool:
    return bool(match_spans(body, query, match.corrected))


def matching_ids(raw: str, source: str, *, notes: bool = False) -> Select[Any] | None:
    """The ids of ``source``'s rows matching ``raw`` (for a list page's text filter, which
    applies its own visibility); None when the string holds nothing to search for."""
    query = parse(raw)
    match = _match(query, clean(raw)[0], notes)
    if match is None:
        return None
    return select(D.source_id).where(match.where, D.source == source)


SUGGEST_CAP = 100  # matches read while typing: the best few of them are shown


def suggest(user: Any, raw: str, limit: int = 6, *, source: str = "") -> list[Hit]:
    """The few best matches while typing, of every source together or of ``source``:
    ranked among the first :data:`SUGGEST_CAP` matches found, not all (no counts are shown,
    and each key pressed asks again; the next letter narrows them)."""
    return suggestions(user, raw, limit, source=source).hits


def suggestions(user: Any, raw: str, limit: int = 6, *, source: str = "") -> Results:
    """:func:`suggest`'s search: its hits, and the words typos were read as."""
    return search(user, raw, source=source, per_page=limit, cap=SUGGEST_CAP, rank_found=True)

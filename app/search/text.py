"""What a search string means, without a database: cleaning, parsing into terms, folding
accents and case, the FTS5 and ``tsquery`` expressions built from the terms (never from the
raw string, so no operator typed by a person reaches an engine), a guess of a text's language,
and where a text matches (for highlighting). Pure: no Flask, no SQLAlchemy.

The syntax people may type is the web's: words (all must match), ``"a phrase"``, ``OR``
between two terms, ``-word`` to exclude. Every other character separates words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MAX_QUERY = 200  # characters kept of a search string
MAX_TERMS = 8  # words and phrases kept of a query
MIN_TRIGRAM = 3  # SQLite's trigram index cannot match anything shorter

_WORD = re.compile(r"[^\W_]+")  # letters and digits
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")  # punctuation around a typed term


def clean(raw: str) -> tuple[str, bool]:
    """``raw`` without NUL and control characters or lone surrogates, spaces collapsed, cut to
    :data:`MAX_QUERY` characters; and whether it was cut."""
    text = raw.encode("utf-8", "ignore").decode("utf-8")  # drops lone surrogates
    text = " ".join(_CONTROL.sub(" ", text).split())
    if len(text) > MAX_QUERY:
        return text[:MAX_QUERY].rstrip(), True
    return text, False


def fold(text: str) -> str:
    """Lower case without accents, one character for one (so positions carry over)."""
    if text.isascii():  # most text: one C call, no per-character work
        return text.lower()
    return "".join(_fold_char(c) for c in text)


def _fold_char(char: str) -> str:
    if char.isascii():
        return char.lower()
    base = unicodedata.normalize("NFKD", char)[0].lower()
    return base if len(base) == 1 else char.lower()


def words(text: str) -> list[str]:
    """The folded words of ``text``."""
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class Term:
    """A word or a phrase (several words in a row), folded; ``raw`` is what was typed, folded,
    without punctuation around it (``db_backup``), which SQLite's trigrams look for as is."""

    words: tuple[str, ...]
    raw: str = ""

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Query:
    """All of ``required`` must match (each a choice of terms), none of ``excluded``."""

    required: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    cut: bool = False
    notes: list[str] = field(default_factory=list, compare=False)

    def __bool__(self) -> bool:
        return bool(self.required)

    def terms(self) -> list[Term]:
        return [term for choice in self.required for term in choice]


def parse(raw: str) -> Query:
    """The terms of a search string (see the module's docstring), at most :data:`MAX_TERMS`."""
    text, cut = clean(raw)
    required: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    count = 0
    for match in _TOKEN.finditer(text):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare == "OR":
            join_next = bool(required)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        typed = phrase if phrase is not None else bare or ""
        found = tuple(words(typed))
        if not found or count >= MAX_TERMS:
            continue
        count += 1
        term = Term(found, _EDGES.sub("", fold(" ".join(typed.split()))))
        if negated:
            excluded.append(term)
        elif join_next:
            required[-1].append(term)
        else:
            required.append([term])
        join_next = False
    return Query(tuple(tuple(choice) for choice in required), tuple(excluded), cut)


# -- SQLite FTS5 (trigram tokenizer) --------------------------------------------------------


def _fts_text(term: Term) -> str:
    return term.raw or term.text


def _fts_string(term: Term) -> str:
    return '"' + _fts_text(term).replace('"', '""') + '"'


def _fts_alternatives(choice: Sequence[Term], corrections: dict[str, list[str]]) -> list[Term]:
    """The terms FTS5 looks for in one choice: each term long enough for the trigram index,
    then the words a typo of it may stand for."""
    usable = [t for t in choice if len(_fts_text(t)) >= MIN_TRIGRAM]
    return [
        alternative
        for t in usable
        for alternative in (t, *(Term((c,), c) for c in corrections.get(t.text, [])))
    ]


def fts5_phrase(text: str, columns: Sequence[str]) -> str:
    """An FTS5 MATCH expression for the one string ``text`` in ``columns``."""
    return "{" + " ".join(columns) + "} : " + _fts_string(Term((), text))


def fts5_expression(
    query: Query, columns: Sequence[str], corrections: dict[str, list[str]] | None = None
) -> str | None:
    """The FTS5 MATCH expression for ``query`` over ``columns``; every term a quoted string,
    a word with ``corrections`` (typos) or them. Terms shorter than three characters cannot
    use the trigram index and are left out; None when nothing is left to look for."""
    scope = "{" + " ".join(columns) + "} : "
    corrections = corrections or {}
    clauses = []
    for choice in query.required:
        alternatives = _fts_alternatives(choice, corrections)
        if alternatives:
            clauses.append("(" + " OR ".join(scope + _fts_string(t) for t in alternatives) + ")")
    if not clauses:
        return None
    expression = " AND ".join(clauses)
    for term in query.excluded:
        if len(_fts_text(term)) >= MIN_TRIGRAM:
            expression = f"({expression}) NOT {scope}{_fts_string(term)}"
    return expression


def fts5_phrases(query: Query, corrections: dict[str, list[str]] | None = None) -> list[str]:
    """The strings :func:`fts5_expression` looks for (each once, in its order; excluded terms
    are not among them): what a match is ranked by."""
    corrections = corrections or {}
    found = [
        _fts_text(t) for choice in query.required for t in _fts_alternatives(choice, corrections)
    ]
    return list(dict.fromkeys(found))


def fts5_averages(record: bytes) -> tuple[int, list[int]]:
    """FTS5's "averages" record (row 1 of its ``_data`` table): the number of rows and the
    tokens each column holds in all of them, as SQLite varints (big-endian groups of seven
    bits, the high bit set on all but the last; a ninth byte gives eight)."""
    values: list[int] = []
    i = 0
    while i < len(record):
        value = 0
        for n in range(9):
            byte = record[i]
            i += 1
            if n == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return (values[0], values[1:]) if values else (0, [])


# -- PostgreSQL tsquery ------------------------------------------------------------------


def tsquery_expression(
    query: Query,
    corrections: dict[str, list[str]] | None = None,
    known: frozenset[str] = frozenset(),
) -> str:
    """A ``to_tsquery`` expression for ``query``: each word the index does not know as a
    prefix too (``printe`` finds ``printer``; a known word needs none, and a prefix costs a
    scan of every word it starts) and, from ``corrections``, as the known words it may be a
    typo of. Built from folded words only (letters and digits), so it always parses."""
    corrections = corrections or {}

    def word(w: str) -> str:
        partial = len(w) >= MIN_TRIGRAM and w not in known  # a one-letter prefix matches all
        first = f"{w}:*" if partial else w
        choices = [first, *(c for c in corrections.get(w, []) if c != w)]
        return choices[0] if len(choices) == 1 else "(" + " | ".join(choices) + ")"

    def term(t: Term, *, exact: bool = False) -> str:
        if len(t.words) > 1:
            return "(" + " <-> ".join(t.words) + ")"
        return t.words[0] if exact else word(t.words[0])

    parts = ["(" + " | ".join(term(t) for t in choice) + ")" for choice in query.required]
    parts += [f"!{term(t, exact=True)}" for t in query.excluded]
    return " & ".join(parts)


def union_of(parts: Iterable[str]) -> str:
    """One ``tsquery`` matching what any of ``parts`` (``tsquery`` texts as PostgreSQL prints
    them) matches, without repeats: the same words in two languages or in two spellings of a
    query come once, and a part is dropped when another is the same with some words as
    prefixes (``'lik'`` inside ``'lik':*``). The index reads each part's lists of documents,
    so every repeat would cost a read of them again."""
    kept: list[str] = []
    for part in dict.fromkeys(p.strip() for p in parts):
        if part:
            kept.append(part)
    kept = [a for a in kept if not any(b != a and b.replace(":*", "") == a for b in kept)]
    if len(kept) == 1:
        return kept[0]
    return " | ".join(f"( {part} )" for part in kept)


_PREFIX = re.compile(r"'((?:[^']|'')*)':\*")  # a prefix operand as PostgreSQL prints it


def tsquery_prefixes(tsquery: str) -> list[str]:
    """The prefixes (``'print':*``) of a ``tsquery`` as PostgreSQL prints it, unquoted."""
    return sorted({m.group(1).replace("''", "'") for m in _PREFIX.finditer(tsquery)})


def _lexeme(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def expand_prefixes(tsquery: str, completions: dict[str, list[str]]) -> str:
    """``tsquery`` with each prefix that ``completions`` lists replaced by those lexemes, named
    exactly (``'print':*`` becomes ``( 'print' | 'printer' )``): the same documents match,
    and an index looks exact lexemes up faster than it expands a prefix. A prefix without
    completions is left as it is."""

    def replace(match: re.Match[str]) -> str:
        found = completions.get(match.group(1).replace("''", "'"))
        if not found:
            return match.group(0)
        return "( " + " | ".join(_lexeme(w) for w in found) + " )"

    return _PREFIX.sub(replace, tsquery)


_OPERAND = re.compile(r"'(?:[^']|'')*'(?::[*A-D]+)?")  # a lexeme as PostgreSQL prints it


def once_each(tsquery: str) -> str:
    """``tsquery`` (as PostgreSQL prints it) with each lexeme once when it is only lexemes
    joined by ``|`` (``'print' | ( 'printer' | 'print' )`` is ``'print' | 'printer'``);
    anything else as it is. The index reads a lexeme's documents once for each time it is
    named, and the planner adds its share of the table as often: a partial word's
    completions in two languages counted twice made it expect a scan of the table to be
    cheap."""
    operands = _OPERAND.findall(tsquery)
    if not operands or _OPERAND.sub("", tsquery).strip(" ()|"):
        return tsquery
    return " | ".join(dict.fromkeys(operands))


def typo_candidates(query: Query) -> list[str]:
    """The single words worth correcting (long enough for a typo to be told from a word)."""
    return sorted({t.words[0] for t in query.terms() if len(t.words) == 1 and len(t.text) >= 4})


# -- typo correction ------------------------------------------------------------------------

VOCABULARY_LENGTHS = (4, 30)  # the words a vocabulary keeps (shorter ones are not corrected)
SIMILAR = 0.3  # pg_trgm's default threshold: at least this similar to count as a typo of it


def vocabulary_words(text: str) -> set[str]:
    """The words of ``text`` a vocabulary for typo correction keeps: folded, letters only,
    4 to 30 of them (as the PostgreSQL trigger keeps them in ``fts_words``)."""
    low, high = VOCABULARY_LENGTHS
    found = set()
    for word in _WORD.findall(fold(text)):
        if low <= len(word) <= high and not any(c.isdigit() for c in word):
            found.add(word)
    return found


def trigrams(word: str) -> set[str]:
    """The trigrams of ``word`` as ``pg_trgm`` counts them (two spaces before, one after)."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """``pg_trgm``'s ``similarity``: shared trigrams over all trigrams of the two words."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta or tb else 0.0


def closest(typed: str, known: Iterable[str], how_many: int = 3) -> list[str]:
    """The ``how_many`` words of ``known`` most similar to ``typed`` (at least
    :data:`SIMILAR`), best first, ties by the word."""
    scored = sorted((-similarity(typed, w), w) for w in set(known) if w != typed)
    return [w for score, w in scored if -score >= SIMILAR][:how_many]


def inner_trigrams(word: str) -> list[str]:
    """The trigrams of ``word`` that lie inside it (what a trigram index can look up)."""
    return sorted({word[i : i + 3] for i in range(len(word) - 2)})


# -- languages ------------------------------------------------------------------------------

_STOPWORDS = {
    "english": frozenset(
        {"the", "and", "is", "are", "was", "not", "it", "to", "of", "in", "on", "for", "with"}
        | {"my", "this", "that", "have", "has", "can", "cannot", "when", "after", "from"}
        | {"does", "do", "be", "an", "at", "please", "but", "there", "our", "we", "you"}
    ),
    "swedish": frozenset(
        {"och", "är", "att", "det", "inte", "jag", "en", "ett", "på", "för", "med", "min"}
        | {"mitt", "som", "har", "kan", "när", "efter", "från", "den", "till", "av", "om"}
        | {"vi", "ni", "fungerar", "går", "mig", "hej", "tack", "ingen", "inga", "också"}
    ),
}


def guess_language(text: str, languages: Iterable[str], default: str) -> str:
    """The language among ``languages`` whose common words ``text`` uses most (the text-search
    configuration that stems it); ``default`` when none stands out."""
    counts: dict[str, int] = {}
    found = set(_WORD.findall(text.lower()[:2000]))
    for language in languages:
        common = _STOPWORDS.get(language)
        if common:
            counts[language] = len(found & common)
    best = max(counts.items(), key=lambda item: item[1], default=(default, 0))
    if best[1] == 0 or list(counts.values()).count(best[1]) > 1:
        return default
    return best[0]


# -- highlighting ---------------------------------------------------------------------------


def _stems(query: Query, extra: Iterable[str]) -> list[str]:
    """What to look for in a text: each word, and a shorter stem of long words (``printers``
    highlights ``printer``, ``skrivaren`` highlights ``skrivare``)."""
    found: set[str] = set()
    for w in [w for t in query.terms() for w in t.words] + [fold(e) for e in extra]:
        found.add(w)
        if len(w) >= 6:
            found.add(w[: max(4, len(w) - 2)])
    return sorted(found, key=len, reverse=True)


def match_spans(text: str, query: Query, extra: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Where ``text`` matches the query's words (case and accents ignored), merged, sorted."""
    folded = fold(text)
    spans: list[tuple[int, int]] = []
    for stem in _stems(query, extra):
        if len(stem) < 2:
            continue
        start = folded.find(stem)
        while start >= 0:
            spans.append((start, start + len(stem)))
            start = folded.find(stem, start + len(stem))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def excerpt(
    text: str, query: Query, extra: Iterable[str] = (), width: int = 180
) -> list[tuple[str, bool]]:
    """A piece of ``text`` around its first match, as (text, matched) segments; the start of
    the text when nothing matches. Ellipses mark what was cut."""
    spans = match_spans(text, query, extra)
    start = 0
    if spans and spans[0][0] > width // 3:
        start = text.rfind(" ", 0, spans[0][0] - width // 3) + 1
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    segments: list[tuple[str, bool]] = [("… ", False)] if start else []
    position = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if s > position:
            segments.append((text[position:s], False))
        segments.append((text[s:e], True))
        position = e
    if position < end:
        segments.append((text[position:end], False))
    if end < len(text):
        segments.append((" …", False))
    return segments

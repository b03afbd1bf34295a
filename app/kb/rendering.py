"""Article Markdown to safe HTML, and the diff between two versions (pure: no Flask, no
SQLAlchemy).

Markdown is rendered by markdown-it-py with raw HTML disabled (a ``<script>`` in the text is
shown as text), then cleaned by nh3 with an allow-list of tags and attributes: links keep only
``http``, ``https`` and ``mailto`` addresses or paths of this site (``javascript:`` links are
dropped), and images only come from the attachment store (``/kb/files/...``); any other image
address is removed, so an article cannot make readers' browsers fetch from elsewhere.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@cache
def _markdown() -> MarkdownIt:
    """The parser, built on the first render: markdown-it and nh3 load then, not in every
    worker (issue 20)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


TAGS = frozenset(
    {
        "a", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
        "code", "pre", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th",
        "td", "img",
    }
)  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
    "code": {"class"},
}
IMAGE_PATH = re.compile(r"^/kb/files/\d+/[^/?#]+$")
SAFE_STYLE = re.compile(r"^text-align:(left|right|center)$")
LANGUAGE_CLASS = re.compile(r"^language-[A-Za-z0-9_+-]{1,30}$")


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if IMAGE_PATH.match(value) else None
    if attribute == "style":
        return value if SAFE_STYLE.match(value.replace(" ", "")) else None
    if tag == "code" and attribute == "class":
        return value if LANGUAGE_CLASS.match(value) else None
    if tag == "a" and attribute == "href" and value.startswith("//"):
        return None  # protocol-relative: another site
    return value


def render(text: str) -> str:
    """Safe HTML for the Markdown ``text``."""
    import nh3

    html = _markdown().render(text)
    return nh3.clean(
        html,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_filter,
        strip_comments=True,
    )


def plain_text(text: str) -> str:
    """The words of the Markdown ``text`` without its markup, a line per block (what the
    search index holds of an article, so its excerpts show no ``**`` or link targets):
    emphasis, links and code keep their text, images their description."""
    lines: list[str] = []
    for token in _markdown().parse(text):
        if token.type == "inline":
            words = "".join(
                child.content for child in token.children or () if child.type != "html_inline"
            )
            lines.append(" ".join(words.split()))
        elif token.type in ("code_block", "fence"):
            lines.append(token.content.strip())
    return "\n".join(line for line in lines if line)


def plain_summary(text: str, length: int = 180) -> str:
    """The first words of a Markdown text without its markup, for lists and suggestions."""
    words = re.sub(r"[#*_`>\[\]()!|~-]+", " ", text).split()
    summary = " ".join(words)
    return summary if len(summary) <= length else summary[: length - 1].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed", "hunk"
    text: str


def diff(old_title: str, old_body: str, new_title: str, new_body: str) -> list[DiffLine]:
    """A unified diff of two versions (title on the first line), as lines a template shows
    escaped, each marked added, removed, unchanged or a hunk header."""
    old = [f"# {old_title}", "", *old_body.splitlines()]
    new = [f"# {new_title}", "", *new_body.splitlines()]
    lines = []
    for line in difflib.unified_diff(old, new, lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("removed", line[1:]))
        else:
            lines.append(DiffLine("same", line[1:]))
    return lines


def words(text: str, limit: int = 6) -> list[str]:
    """The search words of a typed problem, in the order typed (what a person writes first,
    the summary, says most): letters and digits, three or more characters (``500``, ``VPN``
    and ``SAP`` count), lower-case, each once, at most ``limit`` of them, without the words
    any problem report uses (:data:`STOP_WORDS`): those say nothing of which article fits."""
    found: list[str] = []
    for word in re.findall(r"[^\W_]{3,}", text[:500].lower()):
        if word not in STOP_WORDS and word not in found:
            found.append(word)
            if len(found) == limit:
                break
    return found


def words_held(terms: Sequence[str], text: str, corrected: Iterable[str] = ()) -> int:
    """How many of ``terms`` (typed words, lower-case) ``text`` holds, accents aside, each at
    the start of a word: as it is or typed on (``printe`` holds for ``printer``), as the whole
    word with up to three letters less (``printers``, ``jams``: what the index's stemming
    matches), a long word also as its first letters but three and one or two others
    (``charging`` holds for ``charge``, ``updating`` for ``updated``: the stemmer's ``charg``,
    ``updat``), or, for a typo, as a word of ``corrected`` (what the search read it as) that
    is like it. ``sap`` is not held by ``disappear``, though SQLite's trigram index finds it
    there."""
    from app.search.text import SIMILAR, fold, similarity

    folded = fold(text)

    def held(term: str) -> bool:
        term = fold(term)  # as the text: "lösenord" is held by "Glömt lösenord"
        shorter = [re.escape(term[:n]) for n in range(max(3, len(term) - 3), len(term))]
        if len(term) >= 8:  # a stem of five letters or more, with another ending
            shorter.append(f"{re.escape(term[:-3])}[^\\W\\d_]{{1,2}}")
        whole = f"|(?:{'|'.join(shorter)})(?![^\\W_])" if shorter else ""
        return re.search(f"(?<![^\\W_])(?:{re.escape(term)}{whole})", folded) is not None

    return sum(
        1
        for term in terms
        if held(term) or any(similarity(term, c) >= SIMILAR and held(c) for c in corrected)
    )


# English function words, and what any problem report says whatever broke: the search
# engines' own stop words (PostgreSQL's ``english`` configuration drops ``the``, ``not``...)
# cover the first kind only, and SQLite's trigram index none. Swedish ones for articles in
# the desk's second search language.
STOP_WORDS = frozenset(
    {
        "the", "and", "for", "not", "with", "this", "that", "when", "what", "does", "doesn",
        "cannot", "have", "has", "was", "were", "are", "you", "your", "from", "but", "all",
        "any", "how", "why", "who", "our", "out", "get", "got", "into", "just", "its", "will",
        "would", "can", "could", "did", "didn", "don", "isn", "aren", "wasn", "won", "there",
        "then", "than", "now", "also", "again", "still", "some", "since", "after", "before",
        "every", "each", "here", "they", "them", "his", "her", "she", "him", "which",
        "while", "about", "please", "thanks", "thank", "hello", "today", "yesterday",
        "morning", "anymore", "anything", "something", "nothing", "everything", "always",
        "never", "keep", "keeps", "kept", "shows", "show", "showing", "shown", "says", "say",
        "said", "saying", "error", "errors", "problem", "problems", "issue", "issues", "work",
        "works", "working", "worked", "broken", "broke", "wrong", "help", "need", "needs",
        "try", "tried", "trying", "use", "using", "used", "able", "unable", "message",
        "happens", "happened", "seems", "suddenly", "anyone", "someone",
        "och", "att", "det", "inte", "jag", "som", "har", "kan", "när", "efter", "från", "den",
        "till", "fungerar", "går", "mig", "hej", "tack", "ingen", "inga", "också", "visar",
        "fel", "felet", "problemet", "funkar",
    }
)  # fmt: skip

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
    """The search words of a typed problem: letters and digits, three or more characters,
    lower-case, at most ``limit`` of them, longest first (the most telling)."""
    found = {w.lower() for w in re.findall(r"\w{3,}", text[:500])}
    found -= STOP_WORDS
    return sorted(found, key=lambda w: (-len(w), w))[:limit]


STOP_WORDS = frozenset(
    {
        "the", "and", "for", "not", "with", "this", "that", "when", "what", "does", "doesn",
        "cannot", "have", "has", "was", "were", "are", "you", "your", "from", "but", "all",
        "any", "how", "why", "who", "our", "out", "get", "got", "into", "just", "its", "will",
        "would",
    }
)  # fmt: skip

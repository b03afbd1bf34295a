"""Text from a message body: HTML turned into plain text (``nh3`` strips every tag), and the new
part of a reply (``mailparser_reply`` drops the quoted history, then the signature goes)."""

from __future__ import annotations

import html
import re

import nh3
from mailparser_reply import EmailReplyParser

# The languages whose "On ... wrote:" headers and signatures the reply parser recognises.
REPLY_LANGUAGES = ["en", "sv", "da", "de", "fr", "es", "nl"]

_BREAK = re.compile(r"<\s*(br|hr)\b[^>]*>", re.IGNORECASE)
_BLOCK_END = re.compile(
    r"<\s*/?\s*(p|div|li|ul|ol|tr|table|h[1-6]|blockquote|pre|section|article|header|footer"
    r"|address|dd|dt|dl)\b[^>]*>",
    re.IGNORECASE,
)
_CELL = re.compile(r"<\s*/\s*(td|th)\s*>", re.IGNORECASE)
_HIDDEN = {"script", "style", "head", "title", "template", "noscript", "object", "iframe"}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)

_parser = EmailReplyParser(languages=REPLY_LANGUAGES)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML body: no tags, no script or style content, line breaks where block
    elements and ``<br>`` were, entities unescaped, runs of blank lines squeezed."""
    marked = _BREAK.sub("\n", markup)
    marked = _BLOCK_END.sub("\n", marked)
    marked = _CELL.sub("\t", marked)
    cleaned = nh3.clean(marked, tags=set(), clean_content_tags=_HIDDEN, strip_comments=True)
    text = html.unescape(cleaned)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def reply_of(text: str) -> str:
    """The new part of a reply: quoted history and the signature stripped. Never empty when the
    text is not: a message the parser would empty keeps its whole text."""
    if not text.strip():
        return ""
    try:
        latest = _parser.parse_reply(text) or ""
    except Exception:  # a regular expression that trips on odd input must not lose the mail
        latest = ""
    latest = _without_signature(latest).strip()
    if latest:
        return latest
    return _without_signature(text).strip() or text.strip()


def _without_signature(text: str) -> str:
    found = _SIGNATURE.search(text)
    return text[: found.start()] if found else text

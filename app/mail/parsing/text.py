"""Text from a message body: HTML turned into plain text (``nh3`` strips every tag), and the new
part of a reply (``mailparser_reply`` drops the quoted history, then the signature goes)."""

from __future__ import annotations

import html
import re

from mailparser_reply import EmailReplyParser

# The languages whose "On ... wrote:" headers and signatures the reply parser recognises.
REPLY_LANGUAGES = ["en", "sv", "da", "de", "fr", "es", "nl"]

REPLY_WINDOW = 32 * 1024
MAX_REPLY_LINE = 300
# Tag starts only, never a whole tag: ``[^>]*`` would make a page of unclosed tags quadratic.
# A line break goes before each; nh3 strips the tags themselves.
_BREAK = re.compile(r"<\s*(?:br|hr)\b", re.IGNORECASE)
_BLOCK = re.compile(
    r"<\s*/?\s*(?:p|div|ul|ol|table|h[1-6]|blockquote|pre|section|article|header|footer"
    r"|address|dl)\b",
    re.IGNORECASE,
)
_ITEM = re.compile(r"<\s*(?:li|tr|dt|dd)\b", re.IGNORECASE)  # a line each, no blank between
_CELL = re.compile(r"<\s*/\s*(?:td|th)\b", re.IGNORECASE)
_ANCHOR = re.compile(r"<a\b|</a\s*>", re.IGNORECASE)
_HREF = re.compile(r"\bhref\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]{0,2000}>")
MAX_SHOWN_LINK = 300  # longer addresses are trackers' and help nobody
MAX_LINK_MARKUP = 4000
_SHOWN_SCHEMES = ("http://", "https://", "mailto:")
_HIDDEN = {"script", "style", "head", "title", "template", "noscript", "object", "iframe"}
_HIDDEN_NAMES = "|".join(sorted(_HIDDEN))
_HIDDEN_TAG = re.compile(rf"<\s*/?\s*(?:{_HIDDEN_NAMES})\b[^<>]{{0,4000}}>", re.IGNORECASE)
# Any other tag (a doctype or CDATA too); [^<>] stops at the next "<", so each character is
# looked at once.
_ORDINARY_TAG = re.compile(rf"<(?!\s*/?\s*(?:{_HIDDEN_NAMES})\b)/?[a-zA-Z!?][^<>]{{0,4000}}>")
MAX_HIDDEN_TAGS = 500
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)

_parser = EmailReplyParser(languages=REPLY_LANGUAGES)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML body: no tags, no comments, no script or style content, line
    breaks where block elements and ``<br>`` were, link addresses after their words, entities
    unescaped, runs of blank lines squeezed.

    Linear in the size of the markup, whatever it holds: ordinary tags are removed here before
    nh3 sees the markup, because an HTML parser's tree building is quadratic in the nesting
    depth (200,000 nested ``<div>`` took nh3 seven minutes); nh3 then removes the content of
    scripts and styles and whatever tag is left."""
    import nh3  # here: only an HTML mail needs it (issue 20)

    marked = _without_comments(_with_link_addresses(markup))
    marked = _BREAK.sub(lambda tag: "\n" + tag.group(0), marked)
    marked = _BLOCK.sub(lambda tag: "\n" + tag.group(0), marked)
    marked = _ITEM.sub(lambda tag: "\n" + tag.group(0), marked)
    marked = _CELL.sub(lambda tag: "\t" + tag.group(0), marked)
    marked = _ORDINARY_TAG.sub("", marked)
    if len(_HIDDEN_TAG.findall(marked)) > MAX_HIDDEN_TAGS:  # nested by the thousand: flatten
        marked = _HIDDEN_TAG.sub("", marked)
    cleaned = nh3.clean(marked, tags=set(), clean_content_tags=_HIDDEN, strip_comments=True)
    text = _unescaped(cleaned)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def _unescaped(serialized: str) -> str:
    """nh3's text back to plain text: its serializer escapes only these four (it decoded every
    other entity while parsing). ``html.unescape`` would do, at a Python call per entity:
    seconds for a page of "<"."""
    return (
        serialized.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u00a0")
        .replace("&amp;", "&")
    )


def _without_comments(markup: str) -> str:
    """The markup without ``<!-- ... -->`` (Outlook's conditional blocks among them); an
    unclosed comment runs to the end, as in a browser."""
    pieces: list[str] = []
    done = 0
    while (start := markup.find("<!--", done)) >= 0:
        pieces.append(markup[done:start])
        end = markup.find("-->", start + 4)
        if end < 0:
            return "".join(pieces)
        done = end + 3
    pieces.append(markup[done:])
    return "".join(pieces)


def _with_link_addresses(markup: str) -> str:
    """Each ``<a href>`` followed by its closing tag gets its address after its words (see
    ``_link_words``), in one pass over the anchors."""
    pieces: list[str] = []
    done = 0
    opened: tuple[int, int, str] | None = None  # the open anchor: start, end, address
    tag_end = -1  # the next ">" (kept, so unclosed tags are not searched again and again)
    for anchor in _ANCHOR.finditer(markup):
        if anchor.group(0)[1] != "/":
            if tag_end < anchor.end():
                tag_end = markup.find(">", anchor.end())
                if tag_end < 0:
                    break  # no tag ends after this: no link either
            attributes = markup[anchor.end() : tag_end]
            href = _HREF.search(attributes) if len(attributes) <= MAX_LINK_MARKUP else None
            opened = (anchor.start(), tag_end + 1, href.group(1)) if href else None
        elif opened is not None:
            start, inner_start, address = opened
            opened = None
            if start < done:
                continue
            pieces += [
                markup[done:start],
                _link_words(address, markup[inner_start : anchor.start()]),
            ]
            done = anchor.end()
    pieces.append(markup[done:])
    return "".join(pieces)


def _link_words(address: str, inner: str) -> str:
    """A link's words with its address after them (``see the log (https://...)``) unless the
    words are the address, there are none (an image) or they are blocks (a newsletter's
    buttons and boxes); only web and mail addresses, and none of a tracker's hundreds of
    characters."""
    href = html.unescape(address).strip()
    shown = href.removeprefix("mailto:")
    if len(inner) > MAX_LINK_MARKUP or len(shown) > MAX_SHOWN_LINK:
        return inner
    if not href.lower().startswith(_SHOWN_SCHEMES):
        return inner
    if _BLOCK.search(inner) or _ITEM.search(inner) or _BREAK.search(inner):
        return inner
    words = html.unescape(_TAG.sub("", inner)).strip()
    if not words or shown in words:
        return inner
    return f"{inner.rstrip()} ({html.escape(shown)})"


def reply_of(text: str) -> str:
    """The new part of a reply: quoted history and the signature stripped. Never empty when the
    text is not: a message the parser would empty keeps its whole text.

    The reply parser's expressions are slow on long input (cubic on a long line: 8 KB of
    "On On On..." took ten seconds), and a reply's new part comes first: only the first
    ``REPLY_WINDOW`` characters are searched for the quoted history (when none starts there,
    the whole text is the reply), and lines longer than ``MAX_REPLY_LINE`` (never an
    "On ... wrote:" line) stand in as placeholders while the parser reads."""
    if not text.strip():
        return ""
    head = text
    if len(text) > REPLY_WINDOW:
        cut = text.rfind("\n", 0, REPLY_WINDOW)
        head = text[: cut if cut > 0 else REPLY_WINDOW]
    masked, long_lines = _long_lines_masked(head)
    try:
        latest = _parser.parse_reply(masked) or ""
    except Exception:  # a regular expression that trips on odd input must not lose the mail
        latest = ""
    for placeholder, line in long_lines.items():
        latest = latest.replace(placeholder, line)
    if head is not text and latest.split() == head.split():
        latest = text  # nothing quoted in the window: the long text is all new
    latest = _without_signature(latest).strip()
    if latest:
        return latest
    return _without_signature(text).strip() or text.strip()


def _long_lines_masked(text: str) -> tuple[str, dict[str, str]]:
    """The text with each line over ``MAX_REPLY_LINE`` replaced by a placeholder word (which
    no pattern of the reply parser looks for), and the lines by placeholder."""
    lines = text.split("\n")
    long_lines: dict[str, str] = {}
    for number, line in enumerate(lines):
        if len(line) > MAX_REPLY_LINE:
            placeholder = f"deskgraphlongline{number}placeholder"
            long_lines[placeholder] = line
            lines[number] = placeholder
    return "\n".join(lines), long_lines


def _without_signature(text: str) -> str:
    found = _SIGNATURE.search(text)
    return text[: found.start()] if found else text

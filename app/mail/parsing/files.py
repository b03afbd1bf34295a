"""Clean file names for attachments: encoded words and RFC 2231 decoded (the caller has the
latter done by ``email``), no folders, no control characters, a sensible default."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from email.header import decode_header, make_header

MAX_LENGTH = 200
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def clean_filename(name: str | None, content_type: str, number: int) -> str:
    """A file name safe to store and show; ``attachment-<number><ext>`` when there is none."""
    text = _decoded(name or "")
    text = unicodedata.normalize("NFC", text)
    text = re.split(r"[/\\]", text)[-1]
    text = _UNSAFE.sub("", text)
    text = " ".join(text.split()).strip(" .")
    if not text:
        extension = ".eml" if content_type == "message/rfc822" else _extension(content_type)
        return f"attachment-{number}{extension}"
    if len(text) > MAX_LENGTH:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            text = f"{stem[: MAX_LENGTH - len(extension) - 1]}.{extension}"
        else:
            text = text[:MAX_LENGTH]
    return text


def _decoded(name: str) -> str:
    if "=?" not in name:
        return name
    try:
        return str(make_header(decode_header(name)))
    except Exception:
        return name


def _extension(content_type: str) -> str:
    if content_type == "text/plain":
        return ".txt"
    known = mimetypes.guess_extension(content_type, strict=False)
    if known:
        return known
    return ".txt" if content_type.split("/")[0] in ("text", "message") else ".bin"

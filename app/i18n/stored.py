"""Texts written into the database and read later by people in their own language: a journal
line, an SLA explanation, a delivery error. What is stored is the English message id (marked
with :func:`app.i18n.N_` so that pybabel extracts it) and its named parameters, as JSON::

    {"msg": "Paused at %(at)s: %(reason)s", "args": {"at": {"at": "2026-12-06T07:58:00+00:00"},
                                                      "reason": "on hold"}}

and it is worded when it is read, with the reader's ``gettext``. An instant is kept as
``{"at": iso}``, a span as ``{"from": iso, "until": iso}`` (the shapes of
:func:`app.sla.clock.stored_parts`) and a length of time as ``{"seconds": n}``, so that a page
can show them in its reader's zone and words; a
parameter may itself be a stored message (a label to translate too). Anything else that was
stored before (a plain English string) is shown as it is.

Pure: no Flask, no SQLAlchemy. The caller passes the ``gettext`` to use and, for instants, how
to show a parameter (``arg``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

MSG = "msg"
ARGS = "args"


def stored(msg: str, /, **args: Any) -> dict[str, Any]:
    """``msg`` (English, marked ``N_``) with its named parameters, as JSON to store. Instants
    (aware datetimes) and spans (pairs of them) are kept in ISO form, lengths of time
    (timedeltas) in seconds."""
    return {MSG: msg, ARGS: {name: encode(value) for name, value in args.items()}}


def lines(values: Sequence[Any]) -> dict[str, Any]:
    """Several stored messages (or texts) as one, a line each (a work note listing news)."""
    msg = "\n".join(f"%(line{i})s" for i in range(len(values)))
    return {MSG: msg, ARGS: {f"line{i}": encode(v) for i, v in enumerate(values)}}


def encode(value: Any) -> Any:
    """A parameter as JSON: an instant ``{"at": iso}``, a span ``{"from": iso, "until": iso}``,
    a length of time ``{"seconds": n}``, anything else as it is (a stored message, text, a
    number)."""
    if isinstance(value, datetime):
        return {"at": value.isoformat()}
    if isinstance(value, timedelta):
        return {"seconds": value.total_seconds()}
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, datetime) for v in value):
        return {"from": value[0].isoformat(), "until": value[1].isoformat()}
    return value


def decode(value: Any) -> Any:
    """The reverse of :func:`encode`: a datetime, a pair of them, a timedelta, or the value."""
    if isinstance(value, dict):
        if set(value) == {"at"} and isinstance(value["at"], str):
            return datetime.fromisoformat(value["at"])
        if set(value) == {"seconds"} and isinstance(value["seconds"], int | float):
            return timedelta(seconds=value["seconds"])
        if set(value) == {"from", "until"}:
            return (datetime.fromisoformat(value["from"]), datetime.fromisoformat(value["until"]))
    return value


def is_stored(value: Any) -> bool:
    """Whether ``value`` is a message stored by :func:`stored` (not an older plain text)."""
    return (
        isinstance(value, Mapping)
        and isinstance(value.get(MSG), str)
        and isinstance(value.get(ARGS, {}), Mapping)
    )


def english(value: Any) -> str:
    """The stored value in English, parameters as plain text (logs, CLI, search, exports)."""
    return render(value, lambda msg: msg)


def render(
    value: Any,
    gettext: Callable[[str], str],
    arg: Callable[[Any], Any] = lambda value: value,
) -> Any:
    """A stored value as its reader reads it: ``gettext(msg) % args``.

    Each parameter is decoded (see :func:`decode`) and shown by ``arg`` (as it is by default,
    for ``%(n)d``; a page gives one that shows an instant in its reader's zone); a parameter
    that is a stored message is rendered the same way first. With a ``gettext`` that returns
    ``Markup`` (the escaped message) and an ``arg`` that returns ``Markup`` for instants,
    ``%`` escapes the text parameters: the result is Markup-safe. A plain string (stored
    before) comes back as it is; a translation whose placeholders do not fit falls back to
    the English message."""
    if not is_stored(value):
        return value if isinstance(value, str) else ("" if value is None else str(value))
    msg = value[MSG]
    args = {
        name: render(param, gettext, arg) if is_stored(param) else arg(decode(param))
        for name, param in (value.get(ARGS) or {}).items()
    }
    text = gettext(msg) if msg else msg  # gettext("") is the catalog's header
    if not args:
        return text
    try:
        return text % args
    except (KeyError, ValueError, TypeError):
        escape = getattr(type(text), "escape", None)  # Markup's, when the page escapes
        english_text = escape(msg) if escape else msg
        try:
            return english_text % args
        except (KeyError, ValueError, TypeError):
            return english_text

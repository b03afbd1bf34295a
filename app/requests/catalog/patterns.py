"""Which regular expressions a catalog form may use to check a text answer (a pure core).

Python's ``re`` backtracks, so a pattern such as ``(a+)+$`` takes exponential time on a
crafted answer. A pattern is accepted when it is at most :data:`MAX_PATTERN` characters, has no
backreferences or lookarounds, no repeated group that itself holds a repetition or an
alternative (``(a+)+``, ``(a|aa)*``, ``(\\w+\\s?){2,}``), and at most two unbounded repetitions
(``*``, ``+``, ``{n,}``). That refuses some harmless patterns, never a dangerous one of these
shapes; together with answers of at most 500 characters it keeps every check fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

MAX_PATTERN = 200


def _english(message: str, **values: Any) -> str:
    return message % values if values else message


def pattern_problem(pattern: str, gettext: Callable[..., str] = _english) -> str | None:
    """Why ``pattern`` is not accepted (see the module docstring), worded with ``gettext``
    (English by default), or None when it is safe."""
    if len(pattern) > MAX_PATTERN:
        return gettext("Keep the pattern under %(max)s characters.", max=MAX_PATTERN)
    try:
        re.compile(pattern)
    except re.error as error:
        return gettext(
            "The pattern is not a valid regular expression (%(error)s).", error=error.msg
        )
    if re.search(r"\\[1-9]|\(\?P=|\(\?<?[=!]", pattern):
        return gettext("Backreferences and lookarounds are not allowed in patterns.")
    unbounded = 0
    stack: list[bool] = []  # per open group: does it hold a repetition or an alternative?
    closed_risky_group = False  # the previous token closed a group holding one
    i, in_class = 0, False
    while i < len(pattern):
        c, after_risky, closed_risky_group = pattern[i], closed_risky_group, False
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            i += 1
            continue
        if c == "[":
            in_class = True
            i += 2 if pattern[i + 1 : i + 2] == "]" else 1
            continue
        if c == "(":
            stack.append(False)
        elif c == "|" and stack:
            stack[-1] = True
        elif c == ")" and stack:
            closed_risky_group = stack.pop()
            if closed_risky_group and stack:
                stack[-1] = True
        elif c in "*+{":
            rest = pattern[i:]
            many = c != "{" or bool(re.match(r"\{\d*,\d*\}|\{\d*[2-9]\d*\}|\{\d{2,}\}", rest))
            if c != "{" or re.match(r"\{\d*,\}", rest):
                unbounded += 1
            if many and after_risky:
                return gettext("A repeated group may not itself repeat or offer alternatives.")
            if stack:
                stack[-1] = True
        i += 1
    if unbounded > 2:
        return gettext("Use at most two unbounded repetitions (*, + or {n,}) in a pattern.")
    return None

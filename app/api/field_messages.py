"""marshmallow's own field messages (``Missing data for required field.``, ``Must be one of:
a, b.``), which it words in English when a request body or query breaks a resource's schema,
in the reader's language. Each is marked here with ``N_`` and found again in the text
marshmallow formatted by a pattern made from the message itself; a message marshmallow words
that is not listed stays as it is. The field names around them are the API's and stay English.

Pure: the caller passes the ``gettext`` to use."""

from __future__ import annotations

import re
from collections.abc import Callable

from app.i18n import N_

MESSAGES = (
    N_("Missing data for required field."),
    N_("Unknown field."),
    N_("Field may not be null."),
    N_("Invalid input type."),
    N_("Invalid input."),
    N_("Invalid type."),
    N_("Invalid value."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("Number too large."),
    N_("String does not match expected pattern."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Longer than maximum length %(max)s."),
    N_("Shorter than minimum length %(min)s."),
    N_("Length must be between %(min)s and %(max)s."),
    N_("Length must be %(equal)s."),
    N_("Must be one of: %(choices)s."),
    N_("Must be greater than or equal to %(min)s."),
    N_("Must be greater than %(min)s."),
    N_("Must be less than or equal to %(max)s."),
    N_("Must be less than %(max)s."),
    N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
)
_PLACEHOLDER = re.compile(r"%\\\((\w+)\\\)s")


def _pattern(message: str) -> re.Pattern[str]:
    return re.compile(_PLACEHOLDER.sub(r"(?P<\1>.+?)", re.escape(message)) + r"\Z", re.S)


# The longest first: "Must be greater than or equal to 1 and less than or equal to 5." is not
# "Must be greater than or equal to %(min)s." with a long minimum.
_PATTERNS = [(_pattern(m), m) for m in sorted(MESSAGES, key=len, reverse=True)]


def translated(text: str, gettext: Callable[[str], str]) -> str:
    """``text`` as marshmallow worded it, in the language of ``gettext`` (the values it names,
    such as choices and limits, as they are)."""
    for pattern, message in _PATTERNS:
        found = pattern.match(text)
        if found:
            values = found.groupdict()
            return gettext(message) % values if values else gettext(message)
    return text

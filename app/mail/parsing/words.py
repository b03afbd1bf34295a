"""Words read in a reply: an approver's answer given as the reply's first word, and the ticket
numbers a subject carries (``[INC0001234]``, ``Re: REQ0000042``)."""

from __future__ import annotations

import re

APPROVE_WORDS = frozenset(
    {"approve", "approved", "yes", "ok", "okay", "godkänn", "godkänd", "godkänt", "ja"}
)
REJECT_WORDS = frozenset({"reject", "rejected", "no", "deny", "denied", "avslå", "avvisa", "nej"})
# "No problem, go ahead" starts with "no" and means yes: such openings are no answer at all.
AMBIGUOUS_AFTER_NO = frozenset(
    {"problem", "problems", "worries", "worry", "issue", "issues", "objection", "objections"}
)
_NEXT_WORD = re.compile(r"\A(\w+)", re.UNICODE)
# The ticket number prefixes Deskgraph issues (``app.tickets.models.TICKET_PREFIXES``, kept in
# step by a test), then at least seven digits: INC0001234.
NUMBER_PREFIXES = ("INC", "REQ", "RITM", "SCTASK")
_FIRST_WORD = re.compile(r"\A\W*?(\w+)[\W_]*", re.UNICODE)
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])(" + "|".join(NUMBER_PREFIXES) + r")(\d{7,})(?![A-Za-z0-9])", re.I
)


def approval_answer(reply: str) -> tuple[str, str] | None:
    """``("approve" | "reject", comment)`` when the reply starts with an answer word (any case,
    English or Swedish), the comment being the rest of the reply; otherwise ``None``."""
    text = reply.strip()
    found = _FIRST_WORD.match(text)
    if not found:
        return None
    word = found.group(1).casefold()
    if word in APPROVE_WORDS:
        decision = "approve"
    elif word in REJECT_WORDS:
        decision = "reject"
    else:
        return None
    comment = text[found.end() :].strip()
    following = _NEXT_WORD.match(comment)
    if word == "no" and following and following.group(1).casefold() in AMBIGUOUS_AFTER_NO:
        return None
    return decision, comment


def subject_tokens(subject: str) -> list[str]:
    """The ticket numbers in a subject, upper-cased, in order, each once."""
    seen: list[str] = []
    for prefix, digits in _NUMBER.findall(subject):
        number = f"{prefix.upper()}{digits}"
        if number not in seen:
            seen.append(number)
    return seen

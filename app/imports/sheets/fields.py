"""What a spreadsheet of each kind may hold, how its headers are matched to those fields, and
how its text becomes values (pure: no Flask, no database).

Each kind (people, groups, incidents, CIs) has target fields; :func:`guess_mapping` matches a
file's headers to them ignoring case, spaces, punctuation and accents, with synonyms
("E-mail" and "mail" are the email, "Full name" the display name, "Short description" an
incident's title...). The person importing sees the guess and may change any of it.

The parsers return a value or raise :class:`BadValue` with a message for the person who fixes
the cell: dates are ISO (``2026-03-12``, ``2026-03-12 14:30``, with an optional offset; a time
without an offset is UTC), since ``03/12/2026`` means two different days on either side of
the Atlantic; yes/no accepts the usual spellings; lists are separated by ``;``, ``,``, ``|``
or line breaks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from email_validator import EmailNotValidError, validate_email

from app.i18n import N_
from app.i18n.stored import english, stored
from app.imports.sheets.reading import Text


@dataclass(frozen=True)
class Target:
    """A field a sheet's column may fill: ``key`` (as the importer names it), ``label`` (as
    people read it), required or not, the synonyms its header may have, and a hint."""

    key: str
    label: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    hint: str = ""


PEOPLE = (
    Target("username", N_("Username"), True, ("user name", "login", "user id", "userid", "account",
           "samaccountname", "uid", "user")),
    Target("display_name", N_("Display name"), False, ("full name", "name", "displayname",
           "display", "person", "employee name")),
    Target("email", N_("Email"), False, ("e-mail", "mail", "email address", "e-mail address")),
    Target("department", N_("Department"), False, ("dept", "division", "business unit")),
    Target("title", N_("Job title"), False, ("title", "position", "role", "function")),
    Target("phone", N_("Phone"), False, ("telephone", "phone number", "tel", "mobile")),
    Target("location", N_("Location"), False, ("office", "site", "city")),
    Target("manager", N_("Manager"), False, ("manager username", "reports to", "supervisor",
           "line manager"), N_("A person: username, email or full name.")),
    Target("groups", N_("Groups"), False, ("group", "member of", "teams", "team"),
           N_("Existing groups, separated by ; or ,.")),
)  # fmt: skip
GROUPS = (
    Target("name", N_("Name"), True, ("group", "group name", "team", "team name", "queue")),
    Target("email", N_("Email"), False, ("e-mail", "mail", "email address", "group email")),
    Target("description", N_("Description"), False, ("about", "purpose", "notes")),
    Target("manager", N_("Manager"), False, ("owner", "lead", "team lead", "group manager"),
           N_("A person: username, email or full name.")),
    Target("assignment_group", N_("Assignment group"), False, ("assignment group", "queue?",
           "is assignment group", "assignable", "takes tickets"), N_("yes or no (default yes).")),
    Target("members", N_("Members"), False, ("member", "people", "users", "persons"),
           N_("People, separated by ; or ,.")),
)  # fmt: skip
INCIDENTS = (
    Target("number", N_("Number in the old tool"), False, ("number", "incident", "incident number",
           "ticket", "ticket number", "id", "ref", "reference"),
           N_("Kept as the incident's external id: importing it again skips the row.")),
    Target("title", N_("Title"), True, ("short description", "short_description", "summary",
           "subject", "headline")),
    Target("description", N_("Description"), False, ("details", "long description", "body",
           "text", "notes")),
    Target("caller", N_("Caller"), True, ("caller", "caller id", "reported by", "requester",
           "requested by", "customer", "opened for", "contact"),
           N_("A person: username, email or full name.")),
    Target("opened_at", N_("Opened at"), False, ("opened", "opened at", "created", "created at",
           "created on", "date", "reported at", "sys created on"),
           N_("2026-03-12 or 2026-03-12 14:30 (UTC unless an offset is given).")),
    Target("impact", N_("Impact"), False, ("impact",), N_("A level of the priority matrix: 1, "
           "2 - Medium, or its label.")),
    Target("urgency", N_("Urgency"), False, ("urgency",)),
    Target("category", N_("Category"), False, ("category", "type")),
    Target("subcategory", N_("Subcategory"), False, ("sub category", "subcategory")),
    Target("service", N_("Affected service"), False, ("service", "business service",
           "affected service")),
    Target("assignment_group", N_("Assignment group"), False, ("assignment group", "group",
           "team", "queue", "assigned group"), N_("An assignment group's name.")),
    Target("assigned_to", N_("Assigned to"), False, ("assignee", "assigned to", "agent",
           "technician", "owner"), N_("A member of the assignment group.")),
    Target("cis", N_("CIs"), False, ("ci", "configuration item", "configuration items", "cmdb ci",
           "affected ci", "cis"), N_("CI names, separated by ; or ,.")),
)  # fmt: skip
CIS = (
    Target("name", N_("Name"), True, ("ci name", "ci", "hostname", "host name", "display name")),
    Target("class", N_("Class"), True, ("ci class", "class name", "type", "ci type",
           "sys class name", "kind")),
    Target("status", N_("Status"), False, ("state", "operational status", "lifecycle")),
    Target("environment", N_("Environment"), False, ("env", "stage")),
    Target("criticality", N_("Criticality"), False, ("business criticality", "tier")),
    Target("description", N_("Description"), False, ("short description", "notes", "comments")),
    Target("owner", N_("Owner"), False, ("managed by", "owned by", "service owner", "responsible"),
           N_("A person: username, email or full name.")),
    Target("support_group", N_("Support group"), False, ("support group", "supported by",
           "support team", "assignment group")),
    Target("location", N_("Location"), False, ("site", "room", "data center", "datacenter")),
    Target("asset_tag", N_("Asset tag"), False, ("asset", "asset number", "inventory number")),
    Target("serial_number", N_("Serial number"), False, ("serial", "s/n", "sn", "serial no")),
    Target("model", N_("Model"), False, ("model id", "product", "hardware model")),
    Target("warranty_end", N_("Warranty end"), False, ("warranty", "warranty expiration",
           "warranty expires", "warranty until"), N_("A date: 2026-03-12.")),
    Target("assigned_user", N_("Assigned user"), False, ("assigned to", "used by", "user"),
           N_("A person: username, email or full name.")),
    Target("users_group", N_("Users group"), False, ("users", "user group", "used by group")),
)  # fmt: skip
KINDS: Mapping[str, Sequence[Target]] = {
    "people": PEOPLE,
    "groups": GROUPS,
    "incidents": INCIDENTS,
    "cis": CIS,
}
KIND_LABELS = {
    "people": N_("People"),
    "groups": N_("Groups"),
    "incidents": N_("Incidents"),
    "cis": N_("CIs"),
}
SEPARATORS = re.compile(r"[;,|\n]")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
YES = {"yes", "y", "true", "1", "x", "on", "oui", "ja"}
NO = {"no", "n", "false", "0", "off", "non", "nej", "nein", ""}


class BadValue(ValueError):
    """A cell that cannot become the field's value; ``text`` says why, for people (a stored
    message, worded in each reader's language; ``str()`` in English)."""

    def __init__(self, text: Text) -> None:
        super().__init__(english(text))
        self.text = text


def targets(kind: str) -> Sequence[Target]:
    """:raise KeyError: an unknown kind."""
    return KINDS[kind]


def normalise(header: str) -> str:
    """``"E-mail "`` → ``"email"``, ``"Téléphone"`` → ``"telephone"``: no case, accents,
    spaces or punctuation."""
    folded = unicodedata.normalize("NFKD", header).casefold()
    return "".join(c for c in folded if c.isalnum())


def guess_mapping(kind: str, header: Sequence[str]) -> dict[str, int | None]:
    """Each target field of ``kind`` → the index of the header that names it (``None``: no
    header does). A header is used once; a field's own key and label win over synonyms."""
    columns = [normalise(h) for h in header]
    used: set[int] = set()
    mapping: dict[str, int | None] = {t.key: None for t in targets(kind)}
    for rank in (0, 1):
        for target in targets(kind):
            if mapping[target.key] is not None:
                continue
            names = (target.key, target.label) if rank == 0 else target.synonyms
            wanted = [normalise(n) for n in names]
            for name in wanted:
                found = next(
                    (i for i, c in enumerate(columns) if c == name and i not in used), None
                )
                if found is not None:
                    mapping[target.key] = found
                    used.add(found)
                    break
    return mapping


def mapping_problems(
    kind: str,
    mapping: Mapping[str, int | None],
    header: Sequence[str],
    gettext: Callable[[str], str] = N_,
) -> list[tuple[str, str]]:
    """``(field label, message)`` for each required field left unmapped and each mapping to
    a column the file does not have, in the words of ``gettext`` (a page passes Flask-Babel's;
    this module is pure)."""
    found = []
    for target in targets(kind):
        index = mapping.get(target.key)
        label = gettext(target.label)
        if index is not None and not 0 <= index < len(header):
            said = N_("“%(field)s” is mapped to a column the file does not have.")
        elif index is None and target.required:
            said = N_("“%(field)s” is required: choose its column.")
        else:
            continue
        found.append((label, gettext(said) % {"field": label}))
    return found


# --- values ------------------------------------------------------------------------------


def parse_datetime(text: str) -> datetime:
    """An ISO date or date and time (see the module docstring), as an aware UTC datetime.

    :raise BadValue: any other form.
    """
    text = text.strip()
    try:
        if ISO_DATE.match(text):
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        if ISO_TIME.match(text):
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except ValueError:
        raise BadValue(stored(N_("“%(text)s” is not a real date."), text=text[:40])) from None
    raise BadValue(
        stored(
            N_(
                "“%(text)s” is not a date in the form 2026-03-12 or 2026-03-12 14:30 (other "
                "forms are ambiguous: 03/12 is March or December)."
            ),
            text=text[:40],
        )
    )


def parse_date(text: str) -> date:
    """:raise BadValue: not an ISO date (a time of day is refused too)."""
    if not ISO_DATE.match(text.strip()):
        raise BadValue(
            stored(N_("“%(text)s” is not a date in the form 2026-03-12."), text=text.strip()[:40])
        )
    return parse_datetime(text).date()


def parse_yes_no(text: str, default: bool) -> bool:
    """:raise BadValue: neither yes nor no."""
    word = text.strip().casefold()
    if not word:
        return default
    if word in YES:
        return True
    if word in NO:
        return False
    raise BadValue(stored(N_("“%(text)s” is neither yes nor no."), text=text[:40]))


def parse_level(text: str, labels: Mapping[int, str], what: str) -> int:
    """A level of the priority matrix: its number, ``"2 - Medium"``, or its label.

    :raise BadValue: none of those, or a number outside the matrix.
    """
    text = text.strip()
    number = re.match(r"^(\d+)\b", text)
    if number:
        level = int(number.group(1))
    else:
        by_label = {normalise(v): k for k, v in labels.items()}
        level = by_label.get(normalise(text), 0)
    if level not in labels:
        choices = ", ".join(f"{k} ({v})" for k, v in sorted(labels.items()))
        raise BadValue(
            stored(
                N_("“%(text)s” is not a level of %(what)s: %(choices)s."),
                text=text[:40],
                what=stored(what),
                choices=choices,
            )
        )
    return level


def parse_email(text: str) -> str:
    """:raise BadValue: not an email address (its domain is not asked)."""
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise BadValue(
            stored(
                N_("“%(text)s” is not an email address: %(error)s"),
                text=text[:80],
                error=str(error),
            )
        ) from None


def split_list(text: str) -> list[str]:
    """``"Network; Servers , "`` → ``["Network", "Servers"]`` (repeats dropped)."""
    return list(dict.fromkeys(p.strip() for p in SEPARATORS.split(text) if p.strip()))

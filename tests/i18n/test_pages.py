"""The pages an administrator opens, read in Swedish: no text a finished domain translates is
shown in English (a label read once at import, a lazy string turned into text too early, a
catalog the app did not load). Only the domains out of ``PENDING`` count, so the crawl grows as
domains are marked; both databases."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.i18n import lint
from tests.i18n.test_catalogs import PACKAGES, PENDING

SWEDISH = {"Accept-Language": "sv"}
# GET routes without arguments that are not pages people read.
NOT_PAGES = re.compile(r"^/(api/|healthz|metrics|static/)|/export$|/suggest$|/people/search$")


def _translated(package: str) -> dict[str, str]:
    folder = lint.APP / package / "translations" if package else lint.APP / "translations"
    found: dict[str, str] = {}
    for po in folder.glob("sv/LC_MESSAGES/messages.po"):
        with po.open("rb") as source:
            for message in read_po(source):
                if isinstance(message.id, str) and message.id and message.string:
                    found[message.id] = message.string
    return found


def _pending_sources() -> str:
    """Every template and module of the unfinished domains: a message they show may still be
    English there (unmarked) and is not held against a finished domain."""
    paths: list[Path] = []
    for package in PENDING:
        paths += lint.templates(package)
        paths += lint.python_files(package)
    return "\n".join(path.read_text(encoding="utf-8") for path in paths)


def english_messages() -> set[str]:
    """The English of the finished domains' messages whose Swedish differs, without
    placeholders (those are never shown as they are)."""
    pending = _pending_sources()
    english = set()
    swedish = set()  # a Swedish word that is also an English message ("Importer") is Swedish
    for package in PACKAGES:
        translated = _translated(package)
        swedish.update(" ".join(msgstr.split()) for msgstr in translated.values())
        if package in PENDING:
            continue
        for msgid, msgstr in translated.items():
            text = " ".join(msgid.split())
            if "%(" in msgid or msgid == msgstr or not lint.needs_translation(text):
                continue
            if re.search(rf"(?<![\w-]){re.escape(msgid)}(?![\w-])", pending):
                continue
            english.add(text)
    return english - swedish


class _Texts(HTMLParser):
    """The text nodes and visible attributes of a page, each whitespace-normalised."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.raw = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.raw += 1
        self.texts += [
            " ".join(value.split())
            for name, value in attrs
            if name in lint.VISIBLE_ATTRIBUTES and value
        ]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.raw:
            self.raw -= 1

    def handle_data(self, data: str) -> None:
        if not self.raw and data.strip():
            self.texts.append(" ".join(data.split()))


def english_on(html: str, english: set[str]) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return sorted({text for text in parser.texts if text in english})


@pytest.fixture
def made(db, make_user):
    """An administrator who reads Swedish by browser, and an object of a few kinds to open."""
    from app.auth import groups
    from app.incidents import services as incidents

    admin = make_user(roles=["admin", "agent"], email="admin@example.org")
    caller = make_user(email="caller@example.org")
    group = groups.create_group(actor=admin, name="Service Desk", is_assignment_group=True)
    groups.add_members(group, [admin], actor=admin)
    db.session.commit()
    incident = incidents.open_incident(
        caller=caller, opened_by=caller, short_description="Printer jams", assignment_group=group
    )
    db.session.commit()
    incidents.comment(incident, author=caller, body="Still jammed.", public=True)
    db.session.commit()
    return admin, [
        f"/admin/users/{caller.id}",
        f"/admin/groups/{group.id}",
        f"/incidents/{incident.number}",
        "/no/such/page",
    ]


def test_the_crawl_knows_english_to_look_for():
    assert "Mark all read" in english_messages()  # notifications is finished


def test_no_page_shows_a_finished_domains_text_in_english(app, client, made):
    admin, details = made
    english = english_messages()
    client.login(admin.username)
    pages = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments and not NOT_PAGES.search(rule.rule)
    )
    found = {}
    for path in pages + details:
        response = client.get(path, headers=SWEDISH)
        if response.status_code in (301, 302, 303) or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        if "<html" in html:  # a whole page, not an htmx fragment
            assert '<html lang="sv">' in html, path
        shown = english_on(html, english)
        if shown:
            found[path] = shown
    assert found == {}, "\n".join(f"{path}: {shown}" for path, shown in found.items())


def test_the_sign_in_page_reads_swedish_before_anyone_signs_in(client):
    html = client.get("/login", headers=SWEDISH).get_data(as_text=True)
    assert "Logga in" in html
    assert english_on(html, english_messages()) == []

"""The timeline (``incidents/_timeline.html``, written by ``timeline_html``): who did what and
when, each field change worded, every text escaped, and a reader who is not staff shown only
the changes of state."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

from flask_babel import force_locale

from app.i18n.stored import stored
from app.tickets.models import EntryKind
from app.tickets.priority import PriorityMatrix
from tests.conftest import count_queries

AT = datetime(2026, 12, 6, 6, 58, tzinfo=UTC)


def entry(kind: EntryKind, *, author: str | None = "Ada <Lovelace> & co", **fields):
    person = SimpleNamespace(display_name=author) if author else None
    values = {"body": "", "changes": {}, "message": None, **fields}
    return SimpleNamespace(kind=kind, author=person, created_at=AT, **values)


ENTRIES = [
    entry(EntryKind.REPLY, body='It "works" <again> & well'),
    entry(EntryKind.WORK_NOTE, author=None, body="Checked the switch."),
    entry(
        EntryKind.CHANGE,
        changes={"state": ["new", "on_hold"], "hold_reason": [None, "awaiting_caller"]},
        body="Waiting for the caller.",
    ),
    entry(EntryKind.CHANGE, changes={"impact": [3, 1], "priority": [4, 2]}, body="Raised."),
    entry(EntryKind.CHANGE, changes={"short_description": ["Old <b>", "New & improved"]}),
    entry(
        EntryKind.REPLY,
        body="Reopened",
        message=stored("Reopened by %(name)s at %(when)s", name="Grace <H>", when=AT),
    ),
]


def shown(app, entries, *, staff: bool, **page) -> list[str]:
    """The timeline's entries as a reader sees them: each ``<li>``'s text on one line (``page``:
    more of the page's context, such as its priority ``matrix``)."""
    with app.test_request_context():
        html = app.jinja_env.get_template("incidents/_timeline.html").render(
            timeline=entries, staff=staff, **page
        )
    html = html.strip()
    assert html.startswith('<ol class="dg-timeline">')
    assert html.endswith("</ol>")
    items = re.findall(r'\n  <li class="[^"]+">(.*?)\n  </li>', html, re.S)
    return [" ".join(item.split()) for item in items] or [" ".join(html.split())]


TIME = '<time datetime="2026-12-06T06:58:00Z">6 Dec 2026 06:58 UTC</time>'
AUTHOR = "<strong>Ada &lt;Lovelace&gt; &amp; co</strong>"


def test_staff_read_every_entry_and_every_field_change_escaped(app, db):
    reply, note, hold, raised, renamed, reopened = shown(app, ENTRIES, staff=True)
    assert reply == (
        f'<div class="dg-entry-head"> {AUTHOR} replied · {TIME} </div> '
        '<div class="dg-entry-body">It &#34;works&#34; &lt;again&gt; &amp; well</div>'
    )
    assert '<strong>Deskgraph</strong> <span class="dg-note-label">work note</span>' in note
    assert "<li>State: New → <strong>On hold</strong></li>" in hold
    assert "<li>Waiting for: — → <strong>Awaiting caller</strong></li>" in hold
    assert '<div class="dg-entry-body small">Waiting for the caller.</div>' in hold
    assert "<li>Impact: 3 - Low → <strong>1 - High</strong></li>" in raised
    assert "<li>Priority: P4 · Low → <strong>P2 · High</strong></li>" in raised
    assert "Short description: Old &lt;b&gt; → <strong>New &amp; improved</strong>" in renamed
    assert f"Reopened by Grace &lt;H&gt; at {TIME}" in reopened  # the stored message, worded


def test_others_read_only_the_changes_of_state(app, db):
    entries = [entry for entry in ENTRIES if entry.kind != EntryKind.WORK_NOTE]
    reply, hold, raised, renamed, _reopened = shown(app, entries, staff=False)
    assert "<li>State: New → <strong>On hold</strong></li>" in hold
    assert "Waiting for:" not in hold  # the hold reason is staff's
    assert "Waiting for the caller." in hold  # the text of a change of state
    assert "<li>" not in raised  # no change of state: none of its fields,
    assert "Raised." not in raised  # nor its text
    assert "<li>" not in renamed
    assert "replied" in reply


def test_an_empty_timeline_says_so(app, db):
    assert shown(app, [], staff=True) == [
        '<ol class="dg-timeline"> <li class="text-body-secondary">Nothing yet.</li> </ol>'
    ]


def test_the_timeline_speaks_the_readers_language(app, db):
    with force_locale("sv"):
        reply, note, hold, *_rest = shown(app, ENTRIES, staff=True)
    assert "svarade" in reply
    assert '<span class="dg-note-label">arbetsanteckning</span>' in note
    assert "ändrade" in hold


def test_priorities_are_worded_by_the_pages_matrix_or_one_read_of_it(app, db):
    raised = [entry for entry in ENTRIES if "priority" in entry.changes] * 3
    with count_queries() as statements:
        lines = shown(app, raised, staff=True)
    assert len(statements) == 1  # the matrix in force, read once for three entries
    assert all("Priority: P4 · Low → <strong>P2 · High</strong>" in line for line in lines)

    renamed = PriorityMatrix(levels={1: "Now", 2: "Today", 3: "Soon", 4: "Later", 5: "Someday"})
    with count_queries() as statements:
        lines = shown(app, raised, staff=True, matrix=renamed)
    assert statements == []  # the page's own matrix: nothing read
    assert all("Priority: P4 · Later → <strong>P2 · Today</strong>" in line for line in lines)

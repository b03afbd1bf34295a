"""The timeline (``timeline_html``) against the Jinja loop it replaced: the same characters for
every kind of entry, field and reader."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from app.i18n.stored import stored
from app.tickets.models import EntryKind

# incidents/_timeline.html as it was before ``timeline_html`` took its place.
JINJA_TIMELINE = """{# The ticket's timeline; `staff` decides whether work notes and all field changes are shown
   (the query already left work notes out for everyone else). Each kind's verb is translated
   once, not once a row. #}
{% set verbs = {'reply': _("replied"), 'work_note': _("work note"), 'change': _("changed")} %}<ol class="dg-timeline">
  {% for e in timeline %}
  <li class="dg-{{ e.kind.value }}">
    <div class="dg-entry-head">
      <strong>{{ e.author.display_name if e.author else 'Deskgraph' }}</strong>
      {% if e.kind.value == 'reply' %}{{ verbs.reply }}{% elif e.kind.value == 'work_note' %}<span class="dg-note-label">{{ verbs.work_note }}</span>{% else %}{{ verbs.change }}{% endif %}
      · {{ e.created_at|time_tag }}
    </div>
    {% if e.kind.value == 'change' %}
      <ul class="list-unstyled small mb-0 mt-1">
      {% for field, change in e.changes.items() %}
        {% if staff or field == 'state' %}
        <li>{{ change_field(field) }}: {{ change_value(field, change[0]) }} → <strong>{{ change_value(field, change[1]) }}</strong></li>
        {% endif %}
      {% endfor %}
      </ul>
      {% if e.body and (staff or 'state' in e.changes) %}<div class="dg-entry-body small">{{ (e.message or e.body)|worded }}</div>{% endif %}
    {% else %}
      <div class="dg-entry-body">{{ (e.message or e.body)|worded }}</div>
    {% endif %}
  </li>
  {% else %}
  <li class="text-body-secondary">{{ _("Nothing yet.") }}</li>
  {% endfor %}
</ol>
"""  # noqa: E501

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


@pytest.mark.parametrize("staff", [True, False])
@pytest.mark.parametrize("entries", [ENTRIES, list(reversed(ENTRIES)), ENTRIES[4:5], []])
def test_the_timeline_is_what_the_jinja_loop_wrote(app, db, staff, entries):
    new = app.jinja_env.get_template("incidents/_timeline.html")
    old = app.jinja_env.from_string(JINJA_TIMELINE)
    with app.test_request_context():
        shown = {"timeline": entries, "staff": staff}
        assert new.render(shown) == old.render(shown)

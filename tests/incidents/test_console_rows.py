"""The agent console's rows, worded once in Python (``app/incidents/queue_rows.py``): every
cell says what it said when the template worded it, in the agent's language and time zone."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from app.i18n import formats
from app.incidents import services
from app.incidents.models import MajorState
from app.incidents.queue_rows import date_writer
from app.incidents.workflow import State, Transition
from app.tickets.holds import HoldReason
from app.timeutils import to_zone


def row_of(body: str, number: str) -> str:
    start = body.rindex("<tr>", 0, body.index(f">{number}<"))
    return html.unescape(body[start : body.index("</tr>", start)])


@pytest.fixture
def waiting(signed_in, queue, make_incident, db):
    """A major incident of the Service Desk, nobody's yet, on hold for its caller, who wrote
    since, opened on 6 December 2026 at 06:58 UTC."""
    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    incident = make_incident(
        short_description="VPN drops <every> hour",
        assignment_group=desk,
        category="Network",
        subcategory="VPN",
    )
    services.change_state(
        incident,
        Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_CALLER),
        actor=agent,
    )
    incident.major_state = MajorState.ACCEPTED
    incident.caller_replied_at = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    incident.opened_at = datetime(2026, 12, 6, 6, 58, tzinfo=UTC)
    agent.timezone = "Europe/Stockholm"
    db.session.commit()
    return client, agent, incident


def test_a_row_shows_its_state_badges_group_and_dates(waiting):
    client, _agent, incident = waiting
    body = client.get("/incidents/?view=open").get_data(as_text=True)
    row = row_of(body, incident.number)
    assert f'<a href="/incidents/{incident.number}">{incident.number}</a>' in row
    assert f'aria-label="Select {incident.number}"' in row
    assert re.search(r'class="badge dg-prio dg-prio-\d" title="[A-Z][a-z]+">P\d', row)
    assert '<span class="badge dg-state dg-state-on_hold">On hold: awaiting caller</span>' in row
    assert '<span class="badge text-bg-danger">Major</span>' in row
    assert 'title="The caller wrote 6 Dec 2026 10:30 CET">Caller replied</span>' in row
    assert "VPN drops <every> hour" in row
    assert "· Network › VPN" in row
    assert '<td title="Service Desk · unassigned">Service Desk · unassigned</td>' in row
    assert '<td title="6 Dec 2026 07:58 CET">6 Dec 07:58 CET</td>' in row
    # Text from people is escaped, never markup.
    assert "VPN drops &lt;every&gt; hour" in body


def test_a_swedish_agent_reads_the_row_in_swedish(waiting, db):
    client, agent, incident = waiting
    agent.language = "sv"
    db.session.commit()
    row = row_of(client.get("/incidents/?view=open").get_data(as_text=True), incident.number)
    assert f'aria-label="Välj {incident.number}"' in row
    assert ">Väntande: väntar på anmälaren</span>" in row
    assert "Service Desk · otilldelad" in row
    assert '<td title="6 dec. 2026 07:58 CET">6 dec. 07:58 CET</td>' in row


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Stockholm", "America/New_York", "Asia/Kolkata"])
def test_dates_are_written_as_every_other_page_writes_them(app, language, zone):
    with app.test_request_context(), force_locale(language):
        write = date_writer(zone, formats.locale())
        for month in range(1, 13):
            value = datetime(2026, month, 3 + month, 23, 5 + month, tzinfo=UTC)
            local = to_zone(value, zone)
            assert local is not None
            for short in (True, False):
                assert write(value, short) == formats.datetime_text(local, short=short)


def test_both_group_lists_offer_every_queue_and_the_filter_keeps_its_choice(
    signed_in, queue, make_incident
):
    client, agent = signed_in("agent", "employee")
    lab = queue("R&D <lab>", members=(agent,))
    desk = queue("Service Desk")
    make_incident(assignment_group=lab)  # the bulk action's list is shown above rows
    body = client.get(f"/incidents/?view=open&group={lab.id}").get_data(as_text=True)
    chosen = re.search(r'id="group" name="group">\s*(.*?)\s*</select>', body, re.S)
    bulk = re.search(r'id="bulk-group" name="group">(.*?)</select>', body, re.S)
    assert chosen
    assert bulk
    assert chosen.group(1) == (
        '<option value="">Any group</option>'
        f'<option value="{lab.id}" selected>R&amp;D &lt;lab&gt;</option>'
        f'<option value="{desk.id}">Service Desk</option>'
    )
    assert bulk.group(1) == (
        '<option value="">— Unassigned —</option>'
        f'<option value="{lab.id}">R&amp;D &lt;lab&gt;</option>'
        f'<option value="{desk.id}">Service Desk</option>'
    )

"""The calendar and policy editors submitted as a browser does: every field of the page, empties
included, read back from the HTML; refused input shown back as typed; a stale edit shows the
current values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.sla.models import SlaCalendar, SlaPolicy
from tests.incidents.test_incident_page import _FormReader


class _EditorReader(_FormReader):
    """The fields the page's editor (``form.dg-card``) submits, as a browser sends them:
    inputs and textareas with their text, a select's chosen (or first) option, checked boxes."""

    def __init__(self) -> None:
        super().__init__(action="")

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = "dg-card" in (a.get("class") or "") and a.get("method") == "post"
        elif self.inside and tag == "input" and a.get("type") == "checkbox":
            if "checked" in a:
                self.fields.setdefault(a["name"], []).append(a.get("value") or "on")
        else:
            super().handle_starttag(tag, attrs)


def editor_fields(response: Any) -> dict[str, Any]:
    reader = _EditorReader()
    reader.feed(response.get_data(as_text=True))
    assert reader.fields, "no editor on the page"
    return reader.fields


def test_the_policy_editor_saves_every_field_the_browser_sends(signed_in, queue, calendar_row, db):
    client, _admin = signed_in("admin", "employee")
    desk, other = queue("Desk"), queue("Second line")
    calendar = calendar_row()
    url = f"/sla/queues/{desk.id}/policies/new"
    fields = editor_fields(client.get(url))
    assert (fields["target-3"], fields["escalation_group"], fields["catalog_item"]) == ("", "", "")
    assert fields["pause_reasons"] == ["awaiting_caller", "awaiting_vendor"]
    assert (fields["warnings"], fields["is_active"]) == ("50, 75", ["on"])
    fields |= {"name": "Fix", "calendar": str(calendar.id)}
    fields |= {f"target-{p}": str(100 * p) for p in range(1, 6)}
    assert client.post(url, fields).status_code == 302
    policy = db.session.scalar(select(SlaPolicy).where(SlaPolicy.group_id == desk.id))
    assert (policy.ticket_kind, policy.catalog_item_id, policy.escalation_group_id) == (
        None,
        None,
        None,
    )
    assert (policy.retroactive_start, policy.is_active, policy.start_priorities) == (
        False,
        True,
        [],
    )
    # The edit page shows what was saved; changing one target and the escalation keeps the rest.
    edit = f"/sla/policies/{policy.id}"
    fields = editor_fields(client.get(edit))
    assert (fields["target-4"], fields["calendar"]) == ("400", str(calendar.id))
    assert fields["version"] == str(policy.version)
    fields |= {"target-3": "250", "escalation": "reassign", "escalation_group": str(other.id)}
    fields |= {"start_priorities": ["1", "2"], "retroactive_start": ["on"]}
    assert client.post(edit, fields).status_code == 302
    db.session.expire_all()
    saved = db.session.get(SlaPolicy, policy.id)
    assert saved.targets == {"1": 100, "2": 200, "3": 250, "4": 400, "5": 500}
    assert (saved.escalation_group_id, saved.start_priorities, saved.retroactive_start) == (
        other.id,
        [1, 2],
        True,
    )
    assert saved.pause_reasons == ["awaiting_caller", "awaiting_vendor"]
    assert saved.warnings == [50, 75]
    # Unticking every box is saved as such.
    fields = editor_fields(client.get(edit))
    for box in ("pause_reasons", "start_priorities", "retroactive_start", "is_active"):
        fields.pop(box)
    assert client.post(edit, fields).status_code == 302
    db.session.expire_all()
    saved = db.session.get(SlaPolicy, policy.id)
    assert (saved.pause_reasons, saved.start_priorities, saved.is_active) == ([], [], False)


def test_a_refused_policy_is_shown_back_as_typed(signed_in, queue, calendar_row, db):
    client, _admin = signed_in("admin", "employee")
    desk = queue("Desk")
    calendar = calendar_row()
    url = f"/sla/queues/{desk.id}/policies/new"
    fields = editor_fields(client.get(url))
    fields |= {"name": "Fix", "calendar": str(calendar.id), "warnings": "50, 120"}
    fields |= {f"target-{p}": "60" for p in range(1, 6)} | {"target-2": "two hours"}
    fields["start_priorities"] = ["1"]
    response = client.post(url, fields)
    assert response.status_code == 422
    shown = editor_fields(response)
    assert (shown["target-2"], shown["warnings"], shown["name"]) == ("two hours", "50, 120", "Fix")
    assert (shown["start_priorities"], shown["calendar"]) == (["1"], str(calendar.id))
    page = response.get_data(as_text=True)
    assert "Give priority 2 a target of 1 to" in page
    assert "between 1 and 99" in page
    assert db.session.scalar(select(SlaPolicy.id)) is None


def test_a_stale_policy_edit_shows_the_current_values(signed_in, queue, calendar_row, policy):
    client, _admin = signed_in("admin", "employee")
    desk = queue("Desk")
    row = policy(desk, calendar=calendar_row())
    edit = f"/sla/policies/{row.id}"
    first, second = editor_fields(client.get(edit)), editor_fields(client.get(edit))
    assert client.post(edit, first | {"name": "Saved first"}).status_code == 302
    stale = client.post(edit, second | {"name": "Saved second", "target-1": "5"})
    assert stale.status_code == 409
    assert "was changed by someone else" in stale.get_data(as_text=True)
    shown = editor_fields(stale)
    assert (shown["name"], shown["target-1"]) == ("Saved first", "240")
    assert shown["version"] == str(row.version + 1)
    assert client.post(edit, shown | {"target-1": "5"}).status_code == 302


def test_the_calendar_editor_saves_every_field_the_browser_sends(signed_in, db):
    client, _admin = signed_in("admin", "employee")
    fields = editor_fields(client.get("/sla/calendars/new"))
    assert (fields["mon"], fields["sat"], fields["closed_dates"], fields["country"]) == (
        "08:00-18:00",
        "",
        "",
        "",
    )
    assert (fields["name"], fields["zone"], fields["version"]) == ("", "UTC", "")
    fields |= {"name": "Lyon", "closed_dates": "2026-12-31, 2026-12-24"}
    assert client.post("/sla/calendars/new", fields).status_code == 302
    row = db.session.scalar(select(SlaCalendar).where(SlaCalendar.name == "Lyon"))
    assert (row.zone, row.week) == ("UTC", [[["08:00", "18:00"]]] * 5 + [[], []])
    assert (row.country, row.subdivision) == (None, None)
    assert row.closed_dates == ["2026-12-24", "2026-12-31"]
    edit = f"/sla/calendars/{row.id}"
    fields = editor_fields(client.get(edit))
    assert fields["closed_dates"] == "2026-12-24\n2026-12-31"
    fields |= {"sat": "09:00-12:00", "country": "fr"}
    assert client.post(edit, fields).status_code == 302
    db.session.expire_all()
    saved = db.session.get(SlaCalendar, row.id)
    assert (saved.week[5], saved.country, saved.closed_dates) == (
        [["09:00", "12:00"]],
        "FR",
        ["2026-12-24", "2026-12-31"],
    )
    assert not saved.include_eves
    fields = editor_fields(client.get(edit)) | {"country": "SE", "include_eves": "y"}
    assert client.post(edit, fields).status_code == 302
    db.session.expire_all()
    assert (saved.country, saved.include_eves) == ("SE", True)
    assert editor_fields(client.get(edit))["include_eves"] == ["y"]
    fields = editor_fields(client.get(edit)) | {"country": "US"}
    refused = client.post(edit, fields)
    assert refused.status_code == 422
    assert "has no eves to include" in refused.get_data(as_text=True)
    refused = client.post(edit, editor_fields(client.get(edit)) | {"sun": "noon to three"})
    assert refused.status_code == 422
    assert editor_fields(refused)["sun"] == "noon to three"
    assert "is not a range such as 08:00-12:00" in refused.get_data(as_text=True)


def test_an_editor_without_its_csrf_token_is_refused(signed_in, queue, calendar_row, db):
    client, _admin = signed_in("admin", "employee")
    desk = queue("Desk")
    url = f"/sla/queues/{desk.id}/policies/new"
    fields = editor_fields(client.get(url)) | {"name": "Fix"}
    fields.pop("csrf_token")
    response = client.post(url, fields, csrf=False)
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    calendar = editor_fields(client.get("/sla/calendars/new"))
    calendar.pop("csrf_token")
    assert client.post("/sla/calendars/new", calendar, csrf=False).status_code == 400
    assert db.session.scalar(select(SlaPolicy.id)) is None

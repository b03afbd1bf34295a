"""The work note an alert intake writes is read in each agent's language."""

from __future__ import annotations

from flask_babel import gettext

from app.i18n.locale import in_language_of
from app.i18n.stored import render
from tests.alerts.test_intake import estate, firing, incidents, monitor, send  # noqa: F401


def test_an_alert_note_reads_in_swedish_and_keeps_its_english_body(
    app,
    db,
    make_user,
    estate,  # noqa: F811
    monitor,  # noqa: F811
):
    send(db, monitor, firing("app-1"), firing("array-1"))
    (incident,) = incidents(db)
    (note,) = [e for e in incident.journal if e.kind == "work_note"]
    assert "Alert: app-1: Down (critical)" in note.body
    reader = make_user(roles=["agent"], language="sv")
    with app.test_request_context(), in_language_of(reader):
        swedish = render(note.message, gettext)
    assert "Larm: app-1: Down (critical)" in swedish
    assert "brådska 1 utifrån critical" in swedish

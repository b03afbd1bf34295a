"""Stored texts (``app.i18n.stored``): a message and its parameters stored as JSON, worded in
the reader's language when read; texts stored before stay as they are."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape

from app.i18n.stored import english, is_stored, render, stored

SWEDISH = {
    "Paused at %(at)s: %(reason)s": "Pausad %(at)s: %(reason)s",
    "on hold": "väntande",
    "Assigned to %(name)s": "Tilldelat till %(name)s",
    "Broken %(at)s": "Trasig %(nope)s",
}

AT = datetime(2026, 12, 6, 7, 58, tzinfo=UTC)


def swedish(msg: str) -> str:
    return SWEDISH.get(msg, msg)


def test_a_stored_message_survives_json_and_reads_in_each_language() -> None:
    value = json.loads(json.dumps(stored("Paused at %(at)s: %(reason)s", at=AT, reason="x")))
    assert is_stored(value)
    assert render(value, swedish) == "Pausad 2026-12-06 07:58:00+00:00: x"
    assert english(value) == "Paused at 2026-12-06 07:58:00+00:00: x"


def test_instants_and_spans_come_back_as_datetimes_for_the_page_to_show() -> None:
    later = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    value = stored("%(at)s %(span)s %(took)s", at=AT, span=(AT, later), took=timedelta(hours=1))
    seen: list[object] = []
    render(json.loads(json.dumps(value)), swedish, arg=lambda v: seen.append(v) or "·")
    assert seen == [AT, (AT, later), timedelta(hours=1)]


def test_numbers_keep_their_type_for_the_message_to_format() -> None:
    assert english(stored("%(percent)d%% reached", percent=50)) == "50% reached"


def test_a_parameter_that_is_a_message_is_translated_too() -> None:
    value = stored("Paused at %(at)s: %(reason)s", at="08:58", reason=stored("on hold"))
    assert render(value, swedish) == "Pausad 08:58: väntande"
    assert english(value) == "Paused at 08:58: on hold"


def test_text_stored_before_is_shown_as_it_is() -> None:
    assert render("Assigned to Alice", swedish) == "Assigned to Alice"
    assert render(None, swedish) == ""
    assert not is_stored("Assigned to Alice")
    assert not is_stored(["started ", {"at": AT.isoformat()}])


def test_markup_escapes_the_message_and_text_parameters_but_keeps_tags() -> None:
    value = stored("Paused at %(at)s: %(reason)s", at=AT, reason="<b>x</b>")

    def tag(v: object) -> object:
        return (
            Markup('<time datetime="{}">t</time>').format(v.isoformat())
            if isinstance(v, datetime)
            else v
        )

    out = render(value, lambda m: escape(swedish(m)), arg=tag)
    assert isinstance(out, Markup)
    assert out == Markup(
        'Pausad <time datetime="2026-12-06T07:58:00+00:00">t</time>: &lt;b&gt;x&lt;/b&gt;'
    )


def test_a_translation_whose_placeholders_do_not_fit_falls_back_to_english() -> None:
    assert render(stored("Broken %(at)s", at="now"), swedish) == "Broken now"


def test_several_lines_read_as_one_each_in_the_readers_language() -> None:
    from app.i18n.stored import lines

    value = json.loads(json.dumps(lines([stored("on hold"), "plain <text>"])))
    assert render(value, swedish) == "väntande\nplain <text>"
    assert english(value) == "on hold\nplain <text>"

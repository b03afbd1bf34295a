"""Each person reads the desk in their language: their own choice, else the directory's
preferredLanguage, else their browser's, else the desk's default; dates and numbers follow it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale
from flask_login import login_user

from app.i18n import formats
from app.i18n.languages import choose, directory_language, normalise, ranked_tags
from app.ui import format_datetime, format_day

SPOKEN = ("en", "sv")


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("sv", "sv"), ("sv-SE", "sv"), ("SV_fi", "sv"), ("en-GB", "en"), ("de", None), ("", None)],
)
def test_tags_name_a_language_the_desk_speaks(tag, expected):
    assert normalise(tag, SPOKEN) == expected


def test_a_directory_preference_list_keeps_its_best_language():
    assert ranked_tags("en;q=0.5, sv-SE, de;q=0") == ["sv-SE", "en"]
    assert directory_language("sv-SE, en;q=0.8") == "sv"
    assert directory_language("de-AT") == "de"  # kept: a German catalog may come later
    assert directory_language("<script>") is None


def test_the_persons_choice_wins_then_directory_then_browser_then_default():
    assert choose("en", "sv", "sv", "sv", SPOKEN) == "en"
    assert choose(None, "sv", "en", "en", SPOKEN) == "sv"
    assert choose(None, "de", "sv", "en", SPOKEN) == "sv"  # the desk speaks no German
    assert choose(None, None, None, "sv", SPOKEN) == "sv"
    assert choose(None, None, None, "fi", SPOKEN) == "en"


def test_swedish_dates_numbers_and_durations(app, make_user):
    winter = datetime(2026, 12, 6, 5, 58, tzinfo=UTC)
    stockholm = make_user(timezone="Europe/Stockholm", language="sv")
    with app.test_request_context():
        login_user(stockholm)
        assert format_datetime(winter) == "6 dec. 2026 06:58 CET"
        assert format_day(date(2026, 12, 6)) == "6 dec. 2026"
        assert formats.number(1234.5) == "1\xa0234,5"
        assert formats.percent(0.953, 1) == "95,3\xa0%"
        assert formats.duration(7500) == "2 tim 05 min"
        assert formats.first_weekday() == 0  # Monday
        assert formats.weekday_name(0) == "måndag"
        with force_locale("en"):
            assert format_datetime(winter) == "6 Dec 2026 06:58 CET"
            assert formats.number(1234.5) == "1,234.5"
            assert formats.duration(7500) == "2 h 05 min"
    assert formats.iso_week(date(2026, 12, 6)) == "2026-W49"


def _lang(response) -> str:
    text = response.get_data(as_text=True)
    return text.split('<html lang="', 1)[1].split('"', 1)[0]


def test_the_browser_language_applies_until_the_person_chooses(client, make_user):
    user = make_user()
    client.login(user.username)
    page = client.get("/", headers={"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"})
    assert _lang(page) == "sv"
    assert "Rapportera ett problem" in page.get_data(as_text=True)

    saved = client.post(
        "/account/preferences",
        {"pref-language": "en", "pref-timezone": ""},
        headers={"Accept-Language": "sv"},
        follow_redirects=True,
    )
    assert saved.status_code == 200
    page = client.get("/", headers={"Accept-Language": "sv"})
    assert _lang(page) == "en"
    assert "Report a problem" in page.get_data(as_text=True)


def test_choosing_swedish_answers_in_swedish(client, make_user):
    user = make_user()
    client.login(user.username)
    saved = client.post(
        "/account/preferences",
        {"pref-language": "sv", "pref-timezone": ""},
        follow_redirects=True,
    )
    assert "Inställningarna är sparade." in saved.get_data(as_text=True)
    assert _lang(saved) == "sv"


def test_the_directory_language_applies_when_the_person_chose_none(client, make_user, db):
    user = make_user()
    user.directory_language = "sv"
    db.session.commit()
    client.login(user.username)
    assert _lang(client.get("/", headers={"Accept-Language": "en"})) == "sv"


def test_a_language_the_desk_does_not_speak_is_refused(client, make_user, db):
    user = make_user()
    client.login(user.username)
    refused = client.post("/account/preferences", {"pref-language": "xx", "pref-timezone": ""})
    assert refused.status_code == 422
    db.session.refresh(user)
    assert user.language is None

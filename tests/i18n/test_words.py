"""Translation through the request's catalog found once (``app.i18n.words``) gives the words
Flask-Babel and Flask-WTF give, in every language the desk speaks."""

from __future__ import annotations

from babel.support import Translations
from flask_wtf.i18n import translations as flask_wtf_messages
from wtforms.i18n import messages_path

from app.i18n import words
from app.i18n.locale import available

WTFORMS_MESSAGES = ("This field is required.", "Not a valid choice.", "Invalid input.")
TOO_SHORT = (
    "Field must be at least %(min)d character long.",
    "Field must be at least %(min)d characters long.",
)


def test_wtforms_messages_are_flask_wtfs_in_every_language(app):
    with app.app_context():
        languages = available()
    assert "sv" in languages
    for language in languages:
        expected = Translations.load(messages_path(), [language], domain="wtforms")
        with app.test_request_context(headers={"Accept-Language": language}):
            words.offer_wtforms_messages()
            for message in WTFORMS_MESSAGES:
                assert flask_wtf_messages.gettext(message) == expected.ugettext(message)
            for n in (1, 2, 5):
                assert flask_wtf_messages.ngettext(*TOO_SHORT, n) == expected.ungettext(
                    *TOO_SHORT, n
                )
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        words.offer_wtforms_messages()
        assert flask_wtf_messages.gettext(WTFORMS_MESSAGES[0]) == "Det här fältet är obligatoriskt."


def test_wtforms_catalog_is_read_once_per_language(app):
    words.wtforms_catalog.cache_clear()
    for _ in range(3):
        with app.test_request_context(headers={"Accept-Language": "sv"}):
            words.offer_wtforms_messages()
            flask_wtf_messages.gettext(WTFORMS_MESSAGES[0])
            flask_wtf_messages.gettext(WTFORMS_MESSAGES[1])
    assert words.wtforms_catalog.cache_info().misses == 1

"""Translation through the request's catalog found once (``app.i18n.words``) gives the words
Flask-Babel and Flask-WTF give, in every language the desk speaks."""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import mod

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po
from babel.support import Translations
from flask_babel import (
    Domain,
    force_locale,
    get_locale,
    gettext,
    lazy_gettext,
    lazy_ngettext,
    lazy_pgettext,
    refresh,
)
from flask_login import login_user
from flask_wtf.i18n import translations as flask_wtf_messages
from jinja2 import Environment
from markupsafe import Markup
from wtforms.i18n import messages_path

from app.i18n import words
from app.i18n.locale import available
from tests.i18n import lint

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


def _messages() -> list[Message]:
    """Every message of every catalog the desk ships (singular, plural, with a context)."""
    found: dict[tuple[object, object], Message] = {}
    for po in lint.APP.glob("**/translations/*/LC_MESSAGES/messages.po"):
        with po.open("rb") as source:
            for message in read_po(source):
                if message.id:
                    found[message.id, message.context] = message
    return list(found.values())


def _reference() -> Environment:
    """Jinja with Flask-Babel's own callables over its own domain (Jinja's newstyle wrappers,
    the catalog found again on every call)."""
    reference = Domain()
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: reference.get_translations().ugettext(s),
        ngettext=lambda s, p, n: reference.get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: reference.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: reference.get_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    return env


CALLS = {
    "gettext": "{{ _(m, **v) }}|{{ gettext(m, **v) }}",
    "ngettext": "{% for n in (0, 1, 2, 5, 21) %}{{ ngettext(m, p, n, **v) }}|{% endfor %}",
    "pgettext": "{{ pgettext(c, m, **v) }}",
    "npgettext": "{% for n in (1, 2) %}{{ npgettext(c, m, p, n, **v) }}|{% endfor %}",
}
TRANS = (
    "{% trans %}<b>unverified</b>: made from a mail{% endtrans %}"
    "{% trans roles=roles %}Holds: {{ roles }}{% endtrans %}"
    "{% for n in (1, 2) %}{% trans count=n %}({{ count }} incident){% pluralize %}"
    "({{ count }} incidents){% endtrans %}{% endfor %}"
)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_every_message_reads_as_flask_babel_reads_it(app, language):
    """Python's gettext, lazy strings and the templates' functions give Flask-Babel's words
    for every message of every catalog, escaped and formatted as Jinja's newstyle does."""
    messages = _messages()
    assert len(messages) > 500
    with app.test_request_context(headers={"Accept-Language": language}):
        assert str(get_locale()) == language
        reference = Domain().get_translations()
        env = _reference()
        fast = {name: app.jinja_env.from_string(source) for name, source in CALLS.items()}
        slow = {name: env.from_string(source) for name, source in CALLS.items()}
        for message in messages:
            singular, plural = (
                message.id if isinstance(message.id, tuple) else (message.id, message.id)
            )
            names = set(re.findall(r"%\((\w+)\)", singular + plural)) - {"num", "context"}
            context = {
                "m": singular,
                "p": plural,
                "c": message.context or "",
                "v": {name: f"<{name}>" for name in names},
            }
            if message.context:
                kinds = ["pgettext", "npgettext"]
                assert str(lazy_pgettext(message.context, singular)) == reference.upgettext(
                    message.context, singular
                )
            else:
                kinds = ["gettext", "ngettext"]
                assert gettext(singular) == reference.ugettext(singular)
                assert str(lazy_gettext(singular)) == reference.ugettext(singular)
                assert str(words.lazy_gettext(singular)) == reference.ugettext(singular)
                assert _outcome(words.gettext, singular, **context["v"]) == _outcome(
                    Domain().gettext, singular, **context["v"]
                )
                variables = context["v"]
                for n in (1, 2, 5):
                    lazy = lazy_ngettext(singular, plural, n, **variables)
                    text = reference.ungettext(singular, plural, n)
                    assert _outcome(str, lazy) == _outcome(mod, text, {"num": n, **variables})
            for kind in kinds:
                try:
                    expected = slow[kind].render(**context)
                except (KeyError, TypeError, ValueError) as error:
                    with pytest.raises(type(error)):
                        fast[kind].render(**context)
                    continue
                assert fast[kind].render(**context) == expected, message.id
        roles = Markup("<span>agent</span>")
        trans = app.jinja_env.from_string(TRANS).render(roles=roles)
        assert trans == env.from_string(TRANS).render(roles=roles)
        assert "<span>agent</span>" in trans


def _outcome(words: Callable[..., str], /, *args: object, **variables: object) -> str:
    """The words, or the name of the error formatting them raised."""
    try:
        return words(*args, **variables)
    except (KeyError, TypeError, ValueError) as error:
        return type(error).__name__


def test_swedish_words_in_python_lazy_strings_and_templates(app):
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        assert gettext("Assignment group") == "Tilldelningsgrupp"
        assert str(lazy_gettext("Assignment group")) == "Tilldelningsgrupp"
        page = app.jinja_env.from_string(
            '{{ _("Assignment group") }}|{{ _("Hello %(name)s,", name="<b>") }}|'
            "{{ ngettext('%(count)s active member', '%(count)s active members', 3, count=3) }}"
        )
        assert page.render() == "Tilldelningsgrupp|Hej &lt;b&gt;!|3 aktiva medlemmar"


def test_a_forced_language_and_a_refresh_are_followed(app, make_user):
    """``force_locale`` (a mail in its reader's language) switches the words and switches them
    back; ``refresh()`` after a person chooses another language gives the new one."""
    swedish = make_user(language="sv")
    page = "{{ _('Assignment group') }}"
    label = words.lazy_gettext("Assignment group")
    with app.test_request_context():
        login_user(swedish)
        assert gettext("Assignment group") == "Tilldelningsgrupp"
        with force_locale("en"):
            assert gettext("Assignment group") == "Assignment group"
            assert str(lazy_gettext("Assignment group")) == "Assignment group"
            assert str(label) == "Assignment group"
            assert app.jinja_env.from_string(page).render() == "Assignment group"
        assert str(lazy_gettext("Assignment group")) == "Tilldelningsgrupp"
        assert str(label) == "Tilldelningsgrupp"
        assert app.jinja_env.from_string(page).render() == "Tilldelningsgrupp"
        swedish.language = "en"
        refresh()
        assert gettext("Assignment group") == "Assignment group"
        assert str(label) == "Assignment group"
        assert app.jinja_env.from_string(page).render() == "Assignment group"


def test_outside_a_request_the_words_are_english(app):
    assert gettext("Assignment group") == "Assignment group"
    assert words.gettext("Hello %(name)s,", name="Ann") == "Hello Ann,"
    assert str(words.lazy_gettext("Assignment group")) == "Assignment group"
    assert str(lazy_gettext("Assignment group")) == "Assignment group"
    with app.app_context():
        assert app.jinja_env.from_string("{{ _('Assignment group') }}").render() == (
            "Assignment group"
        )

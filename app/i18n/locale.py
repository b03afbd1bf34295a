"""Which language a page or a mail is in: Flask-Babel bound to the person, the directory, the
browser and the desk's default (:func:`app.i18n.languages.choose`).

The languages the desk speaks are English (the source language) and every language with a
catalog in some domain's ``translations/`` folder, so a language is added by translation files
alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, Domain, force_locale
from flask_login import current_user
from werkzeug.utils import cached_property

from app.i18n import catalogs, words
from app.i18n.languages import choose


class DeskBabel(Babel):
    """Flask-Babel, whose domain finds the request's catalog once (:mod:`app.i18n.words`)."""

    @cached_property
    def domain_instance(self) -> Domain:
        return words.RequestDomain(domain=self.domain)


babel = DeskBabel()
SOURCE_LANGUAGE = "en"
LANGUAGES_KEY = "deskgraph_languages"


def init_app(app: Flask) -> None:
    """Find every domain's catalogs, compile the stale ones, and bind Flask-Babel (it installs
    ``{% trans %}`` in the templates, autoescaped; ``_``, ``gettext`` and ``ngettext`` are
    :mod:`app.i18n.words`'s, which find the request's catalog once)."""
    directories = catalogs.directories()
    catalogs.compile_stale(directories)
    found = catalogs.languages(directories)
    available = [SOURCE_LANGUAGE] + sorted(found - {SOURCE_LANGUAGE})
    default = app.config["DESKGRAPH_LANGUAGE"]
    if default not in available:
        app.logger.warning(
            "DESKGRAPH_LANGUAGE=%s has no translations; the desk's default is English", default
        )
        default = SOURCE_LANGUAGE
    app.extensions[LANGUAGES_KEY] = tuple(available)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(d) for d in directories)
    app.config["BABEL_DEFAULT_LOCALE"] = default
    app.config["DESKGRAPH_LANGUAGE"] = default
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    words.install_jinja(app)
    app.before_request(words.offer_wtforms_messages)
    app.jinja_env.globals.update(
        current_language=current_language, language_name=language_name, js_messages=js_messages
    )


def available() -> tuple[str, ...]:
    """The languages the desk speaks, English first."""
    return tuple(current_app.extensions[LANGUAGES_KEY])


def default_language() -> str:
    return str(current_app.config["DESKGRAPH_LANGUAGE"])


def language_name(code: str) -> str:
    """A language's name in itself ("English", "Svenska")."""
    from babel import Locale

    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def person_language(user: Any) -> str:
    """The language a person reads outside a request (their mail): their choice, else the
    directory's, else the desk's default."""
    return choose(
        getattr(user, "language", None),
        getattr(user, "directory_language", None),
        None,
        default_language(),
        available(),
    )


def select_locale() -> str:
    """Flask-Babel's locale for this request (computed once per request, then cached)."""
    if not has_request_context():
        return default_language()
    own = directory = None
    if current_user and current_user.is_authenticated:
        own = getattr(current_user, "language", None)
        directory = getattr(current_user, "directory_language", None)
    browser = request.accept_languages.best_match(available())
    return choose(own, directory, browser, default_language(), available())


def select_timezone() -> str:
    from app.ui import viewer_timezone

    return viewer_timezone() if has_request_context() else current_app.config["DESKGRAPH_TIMEZONE"]


def current_language() -> str:
    """The language of the page being rendered (``en``, ``sv``)."""
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale.language) if locale is not None else default_language()


@contextmanager
def in_language_of(user: Any) -> Iterator[str]:
    """Render something for one person (a mail, a PDF) in their language, whatever the page's."""
    language = person_language(user)
    with force_locale(language):
        yield language


JS_MESSAGES_KEY = "deskgraph_js_messages"
JS_WORDED_KEY = "deskgraph_js_worded"


def register_js_messages(app: Flask, messages: dict[str, Any]) -> None:
    """Strings the page's JavaScript shows (``lazy_gettext`` each, keyed by a name): every page
    carries them in the reader's language, and scripts read them with ``dgText(name)``."""
    app.extensions.setdefault(JS_MESSAGES_KEY, {}).update(messages)
    app.extensions.pop(JS_WORDED_KEY, None)


def js_messages() -> dict[str, str]:
    """The scripts' strings in the page's language: worded once per catalog (a language's
    catalog is the process's for its life), where every page worded each again."""
    worded = current_app.extensions.setdefault(JS_WORDED_KEY, {})
    catalog = words.translations()
    texts = worded.get(catalog)
    if texts is None:
        messages = current_app.extensions.get(JS_MESSAGES_KEY, {})
        texts = worded[catalog] = {key: str(text) for key, text in messages.items()}
    return dict(texts)

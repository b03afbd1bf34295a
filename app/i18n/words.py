"""WTForms' own messages (a field's default label, a validator's message) in the page's
language, read from their catalog once per process and language, where Flask-WTF reads and
parses the file again on each request. Catalogs are files that ship with the code, so keeping
them for the process's life is what Flask-Babel already does with the desk's own."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from flask import request
from flask_babel import get_locale

if TYPE_CHECKING:
    from babel.support import NullTranslations


@cache
def wtforms_catalog(language: str) -> NullTranslations:
    """WTForms' catalog of its own messages in one language, as Flask-WTF reads it."""
    from babel.support import Translations
    from wtforms.i18n import messages_path

    return Translations.load(messages_path(), [language], domain="wtforms")


class WTFormsMessages:
    """What Flask-WTF looks for on the request (``request.wtforms_translations``): WTForms'
    messages in the language the request first asked them in, as Flask-WTF does."""

    __slots__ = ("_catalog",)
    _catalog: NullTranslations

    def _found(self) -> NullTranslations:
        try:
            return self._catalog
        except AttributeError:
            self._catalog = wtforms_catalog(str(get_locale()))
            return self._catalog

    def ugettext(self, string: str) -> str:
        return self._found().ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return self._found().ungettext(singular, plural, n)


def offer_wtforms_messages() -> None:
    """Before each request: WTForms' messages from the process's catalogs."""
    setattr(request, "wtforms_translations", WTFormsMessages())  # noqa: B010  (Flask-WTF's name)

"""Translating at the cost of a lookup: the catalog of what is being rendered is found once per
request and language, and each ``gettext`` after that reads it beside Flask-Babel's state
(``g._flask_babel``).

Flask-Babel answers each ``gettext`` by walking its proxies again (the application's globals,
the domain, the locale, the catalog keyed by the locale's name: some twenty calls a string, a
few hundred strings a page). Here:

- :class:`RequestDomain`, Flask-Babel's domain (``gettext``, ``ngettext`` and the lazy strings
  of forms and navigation all go through it), keeps the catalog it found beside the locale it
  found it for, and looks again when the locale is another object: ``force_locale`` (a mail, an
  error page in another language) and ``refresh()`` (a person who has just chosen a language)
  replace or drop the locale, so they are followed as before;
- :func:`gettext` and :func:`lazy_gettext` are Flask-Babel's, reading that catalog directly
  (Flask-Babel's own still look up the domain through three proxies first);
- :func:`install_jinja` puts the templates' ``_``, ``gettext``, ``ngettext``, ``pgettext`` and
  ``npgettext`` over Flask-Babel's, with Jinja's "newstyle" meaning (the translation is
  ``Markup`` when the template autoescapes, always formatted with ``%`` and the keywords,
  ``num`` given by ``ngettext``);
- :class:`WTFormsMessages`: WTForms' own messages (a field's default label, a validator's
  message) from their catalog read once per process and language, where Flask-WTF reads and
  parses the file again on each request.

Catalogs are files that ship with the code, so keeping them for the process's life is what
Flask-Babel already does with the desk's own; nothing here depends on the database."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, cast

from flask import g, request
from flask_babel import Domain, LazyString, get_domain, get_locale
from jinja2 import pass_eval_context
from markupsafe import Markup

if TYPE_CHECKING:
    from babel.support import NullTranslations
    from flask import Flask
    from jinja2.nodes import EvalContext
    from werkzeug.local import LocalProxy

FOUND = "deskgraph_catalog"  # on Flask-Babel's state: (locale, domain, catalog)
_GLOBALS = cast("LocalProxy[Any]", g)


def babel_state() -> Any:
    """Flask-Babel's state in this application context: ``None`` outside any, or before
    Flask-Babel's first use in it."""
    try:
        return _GLOBALS._get_current_object().__dict__.get("_flask_babel")
    except RuntimeError:
        return None


class RequestDomain(Domain):
    """Flask-Babel's domain, which finds its catalog once per locale and context."""

    def get_translations(self) -> NullTranslations:
        state = babel_state()
        if state is not None:
            found = state.__dict__.get(FOUND)
            if found and found[0] is state.__dict__.get("babel_locale") and found[1] is self:
                return cast("NullTranslations", found[2])
        catalog = super().get_translations()
        state = babel_state()
        if state is not None:
            setattr(state, FOUND, (state.__dict__.get("babel_locale"), self, catalog))
        return cast("NullTranslations", catalog)


def translations() -> NullTranslations:
    """The catalog of what is being rendered: the one :class:`RequestDomain` found for this
    locale, else Flask-Babel's own answer (a null catalog outside any context)."""
    state = babel_state()
    if state is not None:
        # Subscripts, not three calls of ``get``: a page asks this a few hundred times.
        known = state.__dict__
        try:
            found = known[FOUND]
            if found[0] is known["babel_locale"] and found[1] is known["babel_domain"]:
                return cast("NullTranslations", found[2])
        except KeyError:  # nothing found yet, or the locale was dropped (``refresh()``)
            pass
    return cast("NullTranslations", get_domain().get_translations())


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's ``gettext`` through the request's catalog found once."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """Flask-Babel's ``lazy_gettext`` (a form's label, a navigation link's), worded through
    :func:`gettext` each time it is shown: ``from app.i18n.words import lazy_gettext as _l``."""
    return LazyString(gettext, string, **variables)


def _shown(eval_ctx: EvalContext, text: str) -> str:
    return Markup(text) if eval_ctx.autoescape else text


@pass_eval_context
def jinja_gettext(eval_ctx: EvalContext, string: str, /, **variables: Any) -> str:
    text = translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    # Formatting a text without ``%`` with a mapping gives the text: most are left as they are.
    return text % variables if "%" in text else text


@pass_eval_context
def jinja_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    variables.setdefault("num", num)
    return _shown(eval_ctx, translations().ungettext(singular, plural, num)) % variables


@pass_eval_context
def jinja_pgettext(eval_ctx: EvalContext, context: str, string: str, /, **variables: Any) -> str:
    variables.setdefault("context", context)
    return _shown(eval_ctx, translations().upgettext(context, string)) % variables


@pass_eval_context
def jinja_npgettext(
    eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    text = translations().unpgettext(context, singular, plural, num)
    return _shown(eval_ctx, text) % variables


def install_jinja(app: Flask) -> None:
    """The templates' translation functions, over those Flask-Babel installed (``{% trans %}``
    compiles to calls of these names, so it uses them too)."""
    app.jinja_env.globals.update(
        _=jinja_gettext,
        gettext=jinja_gettext,
        ngettext=jinja_ngettext,
        pgettext=jinja_pgettext,
        npgettext=jinja_npgettext,
    )


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

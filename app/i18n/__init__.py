"""Languages: which language each person reads (``locale``), the formats of dates, numbers and
durations in it (``formats``), content kept in several languages (``content``), and the
translation catalogs each domain keeps in its own ``translations/`` folder (``catalogs``).

Strings are marked with Flask-Babel's ``gettext`` (``_``) where they are used in a request or a
job, ``lazy_gettext`` (``_l``) where they are defined at import time (form labels, navigation),
``{% trans %}`` and ``_()`` in templates. A language is added by its translation files alone."""


def N_(text: str) -> str:  # noqa: N802  (gettext's conventional name)
    """Mark ``text`` for the catalogs where it cannot be translated yet (a constraint's message
    declared at import time, in a pure module): whoever shows it passes it through gettext."""
    return text

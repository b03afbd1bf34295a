"""The list pages' filter forms, read from the query string the way a browser sends it.

A browser submits every field of a GET form, so choosing nothing in a select ("Any") sends an
empty value (``state=&priority=&q=vpn``): an empty value is no filter at all. A value that is
not understood (``state=nonsense``) is ignored alone, not with the whole filter, and the page
says which one; the links the page builds (tabs, sorting, pages) carry on only the values it
understood, so a bad one does not follow the person from tab to tab.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict


def without_empty(args: Mapping[str, Any]) -> MultiDict[str, str]:
    """``args`` less every blank value (a key left with none disappears)."""
    pairs = args.items(multi=True) if isinstance(args, MultiDict) else args.items()
    return MultiDict([(k, v) for k, v in pairs if not (isinstance(v, str) and not v.strip())])


class FilterForm(FlaskForm):
    """A list page's filters (a GET form, so no CSRF token).

    Build it from ``request.args``, then call :meth:`clean` (not ``validate``): the fields
    whose value was not understood are back at their defaults and named in ``ignored``, and
    :attr:`understood` holds the query arguments to build the page's links from (what the form
    does not know, such as ``per_page``, is kept).
    """

    class Meta:
        csrf = False

    def __init__(self, formdata: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        self.understood = without_empty(formdata or {})
        self.ignored: list[str] = []
        super().__init__(formdata=self.understood, **kwargs)

    def clean(self) -> list[str]:
        """Validate; put every field that fails back to its default and forget its value.

        :return: ``State “nonsense”`` for each ignored field (empty when all were understood).
        """
        if self.validate():
            return self.ignored
        for field in self:
            if field.errors:
                value = " ".join(self.understood.getlist(field.name))
                self.ignored.append(f"{field.label.text} “{value[:40]}”")
                self.understood.poplist(field.name)
                field.process(None)
                field.raw_data, field.errors = [], []
        return self.ignored


def ignored_note(ignored: list[str]) -> str:
    """The warning a page shows for filters it ignored."""
    return _(
        "Some filters were not understood and were ignored: %(filters)s.",
        filters=", ".join(ignored),
    )

"""A dashboard's tables as the charts macro draws them (``app.exports.Table``): each count is
a number for the chart and the export, and a link to its tickets in the table view."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from app.exports import Table as ExportTable
from app.reports.pages.dashboards import Cell, Table
from app.reports.pages.filters import Filters
from app.reports.scope import report_zone


class Linked(int):
    """A count that renders in a page as the link to the tickets it counts (``__html__``)
    and is a plain number everywhere else (chart data, CSV, XLSX)."""

    href: str

    def __new__(cls, value: int, href: str) -> Linked:
        number = super().__new__(cls, value)
        number.href = href
        return number

    def __html__(self) -> str:
        return str(Markup('<a href="{}">{}</a>').format(self.href, int(self)))


def drill_url(dashboard: str, cell: Cell) -> str:
    """Where a count's tickets are listed: the console, or the reports' own list."""
    if cell.console:
        return url_for("incidents.console", **dict[str, Any](cell.console))
    return url_for(f"reports.{dashboard}_tickets", **dict[str, Any](cell.listing))


# The characters url_for leaves unquoted in a query (werkzeug's ``_urlencode``).
SAFE = "!$'()*,/:;?@"


class Drills:
    """The drill-down URLs of a table's counts exactly as :func:`drill_url` builds them, each
    route's path built once and each query pair encoded once: a year-long trend has 730
    counts, and ``url_for`` for each was most of the page's Python time."""

    def __init__(self, dashboard: str) -> None:
        self.dashboard = dashboard
        self.paths: dict[str, str] = {}
        self.pairs: dict[tuple[str, str], str] = {}

    def url(self, cell: Cell) -> str:
        endpoint, args = (
            ("incidents.console", cell.console)
            if cell.console
            else (f"reports.{self.dashboard}_tickets", cell.listing)
        )
        if not all(isinstance(v, str) for v in args.values()):
            return drill_url(self.dashboard, cell)
        if endpoint not in self.paths:
            self.paths[endpoint] = url_for(endpoint)
        query = "&".join(self._pair(k, v) for k, v in args.items())
        return f"{self.paths[endpoint]}?{query}" if query else self.paths[endpoint]

    def _pair(self, key: str, value: str) -> str:
        pair = self.pairs.get((key, value))
        if pair is None:
            pair = f"{quote_plus(key, safe=SAFE)}={quote_plus(value, safe=SAFE)}"
            self.pairs[(key, value)] = pair
        return pair


def export_url(dashboard: str, table: Table, filters: Filters) -> str:
    """The dashboard with the same filters, asking for ``table`` as a download."""
    args: dict[str, Any] = {**filters.args(), "export": table.key}
    return url_for(f"reports.{dashboard}", **args)


def for_chart(dashboard: str, table: Table, *, links: bool = True) -> ExportTable:
    """``table`` for the charts macro (``links``) or an export (plain numbers)."""
    rows: list[list[Any]] = []
    drills = Drills(dashboard)
    for label, cells in table.rows:
        values: list[Any] = [Linked(c.value, drills.url(c)) if links else c.value for c in cells]
        rows.append([label, *values])
    return ExportTable(table.key, table.title, (table_label(table), *table.columns), rows)


def table_label(table: Table) -> str:
    """The heading of the rows' column, in the reader's language."""
    labels = {
        "trend": _("Day (%(zone)s)", zone=report_zone()),
        "groups": _("Group"),
        "ages": _("Age"),
        "workload": _("Agent"),
        "services": _("Service"),
        "cis": _("Configuration item"),
        "priorities": _("Priority"),
        "channels": _("Channel"),
    }
    return labels.get(table.key, "")

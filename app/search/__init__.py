"""One search over everything a person may see: tickets, CIs, people, catalog items (and the
knowledge base's articles next), through one index (``search_documents``) kept in step with
the rows in the same transaction.

Each domain describes its rows as a :class:`~app.search.sources.Source` in its own
``search_source`` module; the factory registers them with :func:`~app.search.index.install`,
so this package imports no domain (the console's and the CMDB list's text filters import it).
``/search?q=…`` shows the results, ``/search/suggest?q=…`` the few best while typing, and
``flask search reindex`` rebuilds the index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register the search pages and ``flask search``."""
    from app.search.cli import search_cli
    from app.search.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(search_cli)

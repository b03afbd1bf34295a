"""What the SLA asks the other domains (blinker signals, as Flask's own).

A policy may be narrowed to one catalog item; the SLA imports nothing from ``requests``, which
owns the catalog and answers these questions. The application factory connects the receivers
(:func:`app.factory.create_app`).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

catalog_items = _signals.signal(
    "catalog-items",
    doc="""The policy editor asks for catalog items: sent with ``active`` (every active item)
    and ``ids`` (these items, active or not); each receiver returns a list of objects with
    ``id``, ``name`` and ``is_active``, ordered by name.""",
)

ticket_catalog_items = _signals.signal(
    "ticket-catalog-items",
    doc="""The clock asks which catalog item each ticket is for: sent with ``ticket_ids``;
    each receiver returns ``{ticket id: catalog item id}`` for the request items and catalog
    tasks among them (other tickets are simply absent).""",
)

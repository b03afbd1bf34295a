"""Deskgraph: an ITIL-style internal IT service desk with a CMDB.

This package module stays light on purpose: importing a pure core such as ``app.sla.clock``
or ``app.cmdb.graph.vocabulary`` must not load Flask. The application is assembled in
``app.factory``.
"""

from __future__ import annotations

from typing import Any

from app.version import __version__

__all__ = ["__version__", "create_app"]


def create_app(*args: Any, **kwargs: Any) -> Any:
    """Build a Deskgraph application (see ``app.factory.create_app``)."""
    from app.factory import create_app as build

    return build(*args, **kwargs)

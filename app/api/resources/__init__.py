"""The API's resources beyond incidents (issue 18, item 1): one module per area of the desk,
each a thin layer over the services the pages call (see ``docs/api.md``).

Each module has a blueprint ``blp`` and registers its token scope area
(:func:`app.api.scopes.add_area`) when imported; :func:`register_resources` registers them all.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

#: The resource modules, in the order the documentation lists them.
MODULES = (
    "app.api.resources.requests",
    "app.api.resources.approvals",
    "app.api.resources.catalog",
    "app.api.resources.tasks",
    "app.api.resources.cmdb",
    "app.api.resources.ci_attributes",
    "app.api.resources.sla",
    "app.api.resources.directory",
    "app.api.resources.kb",
    "app.api.resources.notifications",
    "app.api.resources.search",
)


def register_resources(app: Flask) -> None:
    """Register every resource's blueprint under ``/api/v1`` (see ``app.api``)."""
    from app.api import register_resource

    for name in MODULES:
        register_resource(app, import_module(name).blp)

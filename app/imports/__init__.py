"""Imports from the tools teams leave: ServiceNow incident history, NetBox and iTop estates,
spreadsheets of people, groups, incidents and CIs.

What every importer shares lives here: :class:`~app.imports.models.ImportRun` (one run of one
importer over one file: its progress, its counts, its summary and where to resume),
:class:`~app.imports.models.ImportProblem` (one line of its report: a row skipped or a value not
carried, with the reason; nothing is skipped silently) and
:class:`~app.imports.models.ExternalRef` (the other tool's id of an object made or matched here,
so a second run of the same file is a sync, not a copy). :mod:`~app.imports.runs` and
:mod:`~app.imports.refs` are their services, :mod:`~app.imports.views` the administrators'
pages under ``/admin/imports`` and :mod:`~app.imports.cli` the ``flask import`` group. Each
importer is a sub-package that adds its commands to that group and its pages to the blueprint.
Nothing imports this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register the blueprint (the runs and each importer's pages) and the ``flask import``
    commands."""
    from app.imports import views
    from app.imports.cli import import_cli
    from app.imports.itop import cli as _itop_cli  # noqa: F401  (flask import itop)
    from app.imports.itop import views as _itop_views  # noqa: F401  (its pages)
    from app.imports.netbox import cli as _netbox_cli  # noqa: F401  (flask import netbox)
    from app.imports.netbox import views as _netbox_views  # noqa: F401  (its pages)
    from app.imports.servicenow import cli as _servicenow_cli  # noqa: F401  (its command)
    from app.imports.servicenow import views as _servicenow_views  # noqa: F401  (its page)
    from app.imports.sheets import cli as sheets_cli  # noqa: F401  (adds `flask import sheet`)
    from app.imports.sheets import views as sheets_views  # noqa: F401  (adds its pages)

    app.register_blueprint(views.bp, url_prefix="/admin/imports")
    app.cli.add_command(import_cli)

"""``/admin/imports/itop``: an administrator uploads an iTop export (an XML or CSV file, or a
zip of them), reads the dry run's diff, then imports the checked upload (read and checked
again when applied): the shared flow of :mod:`app.imports.flow`."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.imports.flow import Flow, add_pages
from app.imports.itop import service
from app.imports.itop.reader import Unreadable
from app.imports.models import ImportRun


def _run(name: str, data: bytes, dry_run: bool, actor: Any) -> ImportRun:
    """The import of one uploaded file; a file that cannot be read is a refused run."""
    try:
        sources = service.sources_of(name, data)
    except Unreadable as error:
        return service.refused(name, error, dry_run=dry_run, actor=actor)
    run, _ = service.import_itop(sources, source_name=name, dry_run=dry_run, actor=actor)
    return run


FLOW = Flow(
    name="itop",
    label="iTop",
    offer=_l(
        "CIs and relations from iTop's XML or CSV export: servers, VMs, farms, applications, "
        "services; a second run syncs."
    ),
    template="imports/itop.html",
    run=_run,
    file_label=_l("iTop export"),
    file_required=_l("Choose an XML, CSV or zip file."),
    file_description=_l("An XML or CSV export (.xml, .csv, .gz), or a zip of several."),
)
add_pages(FLOW)

"""``/admin/imports/netbox``: upload a NetBox source, read its dry run (what would be created,
updated, retired, and what is not carried), then import the same file without uploading it
again: the shared flow of :mod:`app.imports.flow`."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.imports.flow import Flow, add_pages
from app.imports.models import ImportRun
from app.imports.netbox.importer import import_netbox


def _run(name: str, data: bytes, dry_run: bool, actor: Any) -> ImportRun:
    return import_netbox(name, [(name, data)], dry_run=dry_run, actor=actor)


FLOW = Flow(
    name="netbox",
    label="NetBox",
    offer=_l(
        "Sites, racks, devices, power, circuits, clusters and VMs from a NetBox dump or its "
        "REST API, as CIs and relations; a second run syncs."
    ),
    template="imports/netbox.html",
    run=_run,
    file_label=_l("NetBox file"),
    file_required=_l("Choose a NetBox dump or API export."),
    file_description=_l(
        "A dump (.json or .json.gz), one API answer or a JSON of several, or a "
        "zip of API answers named after their endpoints (dcim_devices.json)."
    ),
)
add_pages(FLOW)

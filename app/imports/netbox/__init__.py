"""NetBox estates into the CMDB: ``flask import netbox`` and ``/admin/imports/netbox``.

:mod:`~app.imports.netbox.source` reads NetBox's dump or REST API answers,
:mod:`~app.imports.netbox.reader` maps them (by the tables of
:mod:`~app.imports.netbox.mapping`) onto an estate, and the shared
:mod:`app.imports.estates.sync` applies it: a second run of a changed source is a sync.
"""

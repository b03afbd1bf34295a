"""ServiceNow's incident history into Deskgraph: ``flask import servicenow-incidents FILE``
and the page ``/admin/imports/servicenow``.

:mod:`source` reads the export (pure), :mod:`summary` adds up what the report says about it
(pure), :mod:`importer` writes the incidents batch by batch, :mod:`cli` and :mod:`views` start
it. See ``docs/imports/servicenow.md``.
"""

"""The iTop estate import: iTop's XML or CSV export read into an estate (:mod:`.reader`, pure,
with the mapping of :mod:`.mapping`), applied by the shared estate sync; ``flask import itop``
(:mod:`.cli`) and the page ``/admin/imports/itop`` (:mod:`.views`)."""

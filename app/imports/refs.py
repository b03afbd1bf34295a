"""External ids: which object here another tool's object became, so a second run syncs.

An importer looks its source ids up in bulk (:func:`known`), compares the fingerprint of the
source data with the one it applied last (:func:`fingerprint`), and remembers what it made or
matched (:func:`remember`). Flush, never commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.imports.models import ExternalRef, ImportRun
from app.timeutils import utc_now

LOOKUP_CHUNK = 500  # ids per IN (...) list


def fingerprint(data: Any) -> str:
    """A stable hash of a source object's data (JSON-serialisable; keys sorted)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def known(system: str, kind: str, external_ids: Iterable[str]) -> dict[str, ExternalRef]:
    """The references already held for these ids of one kind of object, by id."""
    wanted = list(dict.fromkeys(str(i) for i in external_ids))
    found: dict[str, ExternalRef] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        for ref in db.session.scalars(
            select(ExternalRef).where(
                ExternalRef.system == system,
                ExternalRef.kind == kind,
                ExternalRef.external_id.in_(chunk),
            )
        ):
            found[ref.external_id] = ref
    return found


def all_of(system: str, kind: str) -> dict[str, ExternalRef]:
    """Every reference of one kind of object (a sync retires what the source no longer has)."""
    return {
        ref.external_id: ref
        for ref in db.session.scalars(
            select(ExternalRef).where(ExternalRef.system == system, ExternalRef.kind == kind)
        )
    }


def remember(
    system: str,
    kind: str,
    external_id: str,
    *,
    object_type: str,
    object_id: int,
    fingerprint: str | None = None,
    run: ImportRun | None = None,
    imported: bool = True,
    existing: ExternalRef | None = None,
) -> ExternalRef:
    """Record (or move) the reference of one source object; ``existing`` is the reference
    :func:`known` returned for it, if any."""
    ref = existing
    if ref is None:
        ref = ExternalRef(system=system, kind=kind, external_id=str(external_id)[:200])
        db.session.add(ref)
    ref.object_type = object_type
    ref.object_id = object_id
    ref.fingerprint = fingerprint
    ref.imported = imported
    ref.run_id = run.id if run is not None else None
    ref.updated_at = utc_now()
    return ref


def external_ids(object_type: str, object_id: int) -> list[ExternalRef]:
    """What other tools call this object (shown on its page, searchable)."""
    return list(
        db.session.scalars(
            select(ExternalRef)
            .where(ExternalRef.object_type == object_type, ExternalRef.object_id == object_id)
            .order_by(ExternalRef.system, ExternalRef.kind)
        )
    )

"""Move every blob to one backend (``flask attachments migrate --to database|directory``).

The move goes in batches in key order; each batch is one transaction that the caller commits,
so an interrupted run loses at most one batch of work and the next run carries on where the
rows still say the old place (a moved blob is never moved again: re-running is a no-op).

A source is let go only once its copy is safe. To the directory: the bytes are checked against
the recorded sha256, written to a synced file, read back and checked again, and only then is
the row's copy set to ``NULL`` (in the transaction the caller commits). To the database: the
file is read and checked, the row updated and read back from the database and checked, and the
file is removed only after that transaction committed; files whose row was moved by an earlier,
interrupted run are removed by :func:`sweep_directory` at the end of a complete run. A blob
whose source is missing or does not match its sha256 is left as it is and reported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.extensions import db
from app.files import blobs
from app.files.models import Location, StoredFile
from app.outbox.transaction import after_commit

BATCH = 50
BATCH_BYTES = 64 * 1024 * 1024
"""A batch ends after this many blobs or bytes, whichever comes first (memory stays bounded)."""


@dataclass
class MoveReport:
    """What a run did: counts, and the keys it could not move (and why)."""

    moved: int = 0
    bytes_moved: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    swept: int = 0

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupt


def counts() -> dict[Location, int]:
    """How many blobs are in each place."""
    rows = db.session.execute(
        select(StoredFile.location, func.count()).group_by(StoredFile.location)
    ).all()
    return {location: 0 for location in Location} | {loc: n for loc, n in rows}


def batches(target: Location, report: MoveReport, size: int = BATCH) -> Iterator[int]:
    """Move the blobs that are not in ``target`` yet, one batch per step: each step flushes one
    batch (the caller commits it) and yields how many it moved. Blobs that cannot be moved are
    added to ``report`` and skipped, so the run always ends."""
    after = ""
    while True:
        keys = db.session.scalars(
            select(StoredFile.key)
            .where(StoredFile.location != target, StoredFile.key > after)
            .order_by(StoredFile.key)
            .limit(size)
        ).all()
        if not keys:
            return
        moved = weight = 0
        for key in keys:
            after = key
            row = db.session.get(StoredFile, key)
            if row is not None and row.location is not target and _move(row, target, report):
                moved += 1
                weight += row.size
            if weight >= BATCH_BYTES:
                break
        db.session.flush()
        yield moved


def _move(row: StoredFile, target: Location, report: MoveReport) -> bool:
    if target is Location.DIRECTORY:
        data = row.data
        if data is None:
            report.missing.append(row.key)
            return False
        if not _matches(row, data):
            report.corrupt.append(row.key)
            return False
        path = blobs.path_for(row.key)
        blobs.write_file(path, data)
        if not _matches(row, path.read_bytes()):
            report.corrupt.append(row.key)
            return False
        row.data = None
    else:
        path = blobs.path_for(row.key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            report.missing.append(row.key)
            return False
        if not _matches(row, data):
            report.corrupt.append(row.key)
            return False
        row.data = data
        row.location = target
        db.session.flush()
        stored = db.session.scalar(select(StoredFile.data).where(StoredFile.key == row.key))
        if stored is None or not _matches(row, stored):
            row.data, row.location = None, Location.DIRECTORY  # keep the file as the copy
            report.corrupt.append(row.key)
            return False
        after_commit(lambda: path.unlink(missing_ok=True))
    row.location = target
    report.moved += 1
    report.bytes_moved += row.size
    return True


def _matches(row: StoredFile, data: bytes) -> bool:
    return len(data) == row.size and hashlib.sha256(data).hexdigest() == row.sha256


def sweep_directory() -> int:
    """Remove the files left behind by an interrupted move to the database: those whose blob
    is in the database now, with the same content. Other files (another blob's, or one no row
    knows) are left alone. Returns how many were removed."""
    root = blobs.directory_root()
    if not root.is_dir():
        return 0
    removed = 0
    for path in root.glob("*/*"):
        if path.name.endswith(".part") or not blobs.KEY.match(path.name):
            continue
        row = db.session.get(StoredFile, path.name)
        if row is None or row.location is not Location.DATABASE:
            continue
        stored = db.session.scalar(select(StoredFile.data).where(StoredFile.key == row.key))
        if stored is not None and _matches(row, stored):
            path.unlink(missing_ok=True)
            removed += 1
    return removed

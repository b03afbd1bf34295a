"""The file store's one table: a blob's bytes (or where they live) by its key."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import str_enum
from app.extensions import Model
from app.timeutils import utc_now


class Location(enum.StrEnum):
    """Where a blob's bytes are now: in its row, or in a file under ``ATTACHMENTS_DIR``."""

    DATABASE = "database"
    DIRECTORY = "directory"


class StoredFile(Model):
    """One stored blob. ``data`` holds the bytes when ``location`` is ``database`` and is
    ``NULL`` when they are in the directory (``<ATTACHMENTS_DIR>/<key[:2]>/<key>``).

    ``sha256`` and ``size`` are those of the bytes, wherever they are: a migration between the
    two places checks them before it lets go of the source, and a new permanent blob with the
    content of an existing one shares that one. A blob with ``expires_at`` is temporary (a
    staged CMDB import) and is purged once that time has passed; permanent ones are never
    deleted.
    """

    __tablename__ = "stored_files"
    __table_args__ = (
        Index("ix_stored_files_expires_at", "expires_at"),
        Index("ix_stored_files_sha256", "sha256"),
    )

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    location: Mapped[Location] = mapped_column(str_enum(Location, "stored_file_location"))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Deferred: listing or locating a blob never loads its bytes.
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime | None] = mapped_column()

    def __repr__(self) -> str:
        return f"<StoredFile {self.key} {self.location} {self.size}>"

"""Saved views: a report page (its endpoint) with the filters of its query string, under a
name of its owner's choosing. Personal: only their owner lists, opens, renames or deletes them."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TimestampMixin, unique
from app.extensions import Model


class SavedView(TimestampMixin, Model):
    """One person's named view of a report page: ``endpoint`` (``reports.overview``) with
    ``query`` (``group=3&range=month``, without the leading ``?``)."""

    __tablename__ = "report_saved_views"
    __table_args__ = (
        unique(
            "owner_id", "name", field="name", message="You already have a saved view of that name."
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    endpoint: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(2000), default="")

    def __repr__(self) -> str:
        return f"<SavedView {self.id} {self.name!r} of {self.owner_id}>"

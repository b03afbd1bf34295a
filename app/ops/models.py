"""What operators read about the background: each periodic job's last run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model


class PeriodicJob(Model):
    """The last run of one periodic job (the SLA tick, mail polling, digests, purges...), by
    any node: ``flask deskgraph doctor`` and ``/metrics`` tell from it whether the scheduler is
    alive. ``skipped`` counts the runs that found another node already running it."""

    __tablename__ = "periodic_jobs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_succeeded_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    node: Mapped[str] = mapped_column(String(200), default="")
    runs: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)

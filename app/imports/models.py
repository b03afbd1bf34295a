"""Import runs, the lines of their reports, and the external ids of what they made."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit import JSONType
from app.db import str_enum
from app.extensions import Model
from app.timeutils import utc_now


class RunState(enum.StrEnum):
    RUNNING = "running"  # working, or stopped half way (killed): running it again resumes
    FINISHED = "finished"  # every row read and accounted for
    FAILED = "failed"  # refused as a whole (a file that cannot be read, a dry run with errors)

    @property
    def label(self) -> str:
        return str(_STATE_LABELS[self])


_STATE_LABELS = {
    RunState.RUNNING: _l("Running"),
    RunState.FINISHED: _l("Finished"),
    RunState.FAILED: _l("Failed"),
}


class ImportRun(Model):
    """One run of one importer over one source.

    ``kind`` names the importer (``servicenow-incidents``, ``netbox``, ...), ``source_sha256``
    the bytes read, so running the same file again finds the run it interrupted and resumes at
    ``checkpoint`` (whatever the importer needs: a row number, the last key). ``counts`` holds
    the importer's tallies (``rows_read``, ``incidents_created``, ...) and ``summary`` what it
    computed for the reader to check against the source. ``done`` of ``total`` is the progress
    bar.
    """

    __tablename__ = "import_runs"
    __table_args__ = (Index("ix_import_runs_kind_source", "kind", "source_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    source_name: Mapped[str] = mapped_column(String(300))
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    dry_run: Mapped[bool] = mapped_column(default=False)
    state: Mapped[RunState] = mapped_column(
        str_enum(RunState, "import_run_state"), default=RunState.RUNNING
    )
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None]
    counts: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    # ``error`` as a message id and its parameters (app.i18n.stored), worded for each reader;
    # None for runs refused before it was kept (``error`` is shown as it is)
    error_detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    @property
    def error_text(self) -> str | dict[str, Any] | None:
        """What to word for the reader (``stored_text`` in templates)."""
        return self.error_detail if self.error_detail is not None else self.error

    problems: Mapped[list[ImportProblem]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))

    def __repr__(self) -> str:
        return f"<ImportRun {self.id} {self.kind} {self.state}>"


class ProblemKind(enum.StrEnum):
    SKIPPED = "skipped"  # the row was not imported
    NOT_CARRIED = "not_carried"  # the row was imported, this part of it was not
    ERROR = "error"  # a dry run or an all-or-nothing import refused because of this
    NOTICE = "notice"  # imported, with something the reader should know (a name made unique)

    @property
    def label(self) -> str:
        return str(_KIND_LABELS[self])


_KIND_LABELS = {
    ProblemKind.SKIPPED: _l("Skipped"),
    ProblemKind.NOT_CARRIED: _l("Not carried"),
    ProblemKind.ERROR: _l("Error"),
    ProblemKind.NOTICE: _l("Notice"),
}


class ImportProblem(Model):
    """One line of a run's report: where in the source (``where``: a line number, an object's
    id), which column or field, and why, in words for the person who fixes the source."""

    __tablename__ = "import_problems"
    __table_args__ = (Index("ix_import_problems_run", "run_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"))
    kind: Mapped[ProblemKind] = mapped_column(str_enum(ProblemKind, "import_problem_kind"))
    where: Mapped[str] = mapped_column(String(200), default="")
    column: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(String(2000))  # in English (exports, logs)
    # ``message`` as a message id and its parameters (app.i18n.stored), worded for each
    # reader; None for lines written before it was kept (``message`` is shown as it is)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    run: Mapped[ImportRun] = relationship(back_populates="problems")

    @property
    def text(self) -> str | dict[str, Any]:
        """What to word for the reader (``stored_text`` in templates)."""
        return self.detail if self.detail is not None else self.message


class ExternalRef(Model):
    """An object here that came from (or was matched to) an object of another tool.

    ``system`` names the tool (``servicenow``, ``netbox``, ``itop``), ``kind`` the kind of
    object there (``incident``, ``device``, ``person``...), ``external_id`` its id there, and
    ``object_type``/``object_id`` the row here. ``fingerprint`` is a hash of the source data
    last applied, so a second run of the same file sees nothing changed and writes nothing.
    ``imported`` is false for an object that existed here and was only matched.
    """

    __tablename__ = "external_refs"
    __table_args__ = (
        UniqueConstraint("system", "kind", "external_id"),
        Index("ix_external_refs_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(60))
    external_id: Mapped[str] = mapped_column(String(200))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[int]
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    imported: Mapped[bool] = mapped_column(default=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

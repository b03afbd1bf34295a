"""``/admin/imports/servicenow``: upload an export; the import runs in the background.

The upload is checked at once (a file that is not ServiceNow's incident export is refused
with 422 and the reason, nothing started), kept in the file store, and its run started; the
page then goes to the run, whose progress panel polls while it works. The work goes through
the outbox (RQ, ``REDIS_URL`` set: any worker node reads the file from the store, and a
worker killed half way is retried after the outbox lease, resuming at the checkpoint) or,
without Redis, a thread of this process started after the commit. Uploading the same bytes
again resumes a run that was stopped.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from app.extensions import db
from app.files import blobs
from app.imports import runs
from app.imports.models import ImportRun, RunState
from app.imports.servicenow import source
from app.imports.servicenow.importer import KIND, import_incidents
from app.imports.views import bp, offer
from app.outbox import enqueue, handler
from app.outbox.transaction import after_commit
from app.policy import require
from app.timeutils import utc_now

JOB = "imports.servicenow"
KEEP_UPLOAD = timedelta(days=7)  # the uploaded file, for a retry or a resume


class UploadForm(FlaskForm):
    file = FileField(
        _l("ServiceNow incident export"),
        validators=[FileRequired(_l("Choose the export: a CSV file, or a zip holding one."))],
        description=_l(
            "The incident audit log: one row per update (number, incident_state, "
            "sys_updated_at...), as a CSV or a zip holding it."
        ),
    )
    dry_run = BooleanField(_l("Dry run: check and count everything, save nothing"))


@bp.route("/servicenow", methods=["GET", "POST"])
@require("imports.admin")
def servicenow() -> ResponseReturnValue:
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or "servicenow.csv"
        data = upload.read()
        try:
            source.open_source(io.BytesIO(data), name)
        except source.SourceError as error:
            form.file.errors = [*form.file.errors, str(error)]
        else:
            run = start(data, name, dry_run=form.dry_run.data)
            return redirect(url_for("imports.run_detail", run_id=run.id))
    page = render_template("imports/servicenow.html", form=form)
    return page, 422 if form.errors else 200


def start(data: bytes, name: str, *, dry_run: bool) -> ImportRun:
    """Start (or find the stopped run of the same bytes and resume) a run in the background;
    commits."""
    digest = runs.sha256_of(io.BytesIO(data))
    if dry_run:
        run = runs.start(KIND, name, sha256=digest, dry_run=True, user=current_user)
    else:
        run, _ = runs.start_or_resume(KIND, name, sha256=digest, user=current_user)
    stored = blobs.put(data, expires_at=utc_now() + KEEP_UPLOAD)
    payload = {"run": run.id, "file": stored.key}
    if current_app.config.get("REDIS_URL"):
        enqueue(JOB, payload)
    else:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        after_commit(lambda: in_background(lambda: _work_in(app, payload)))
    db.session.commit()
    return run


def in_background(work: Callable[[], None]) -> None:
    """Run ``work`` in a thread of this process (no Redis: no worker to hand it to)."""
    threading.Thread(target=work, name="servicenow-import", daemon=True).start()


def _work_in(app: Any, payload: dict[str, Any]) -> None:
    with app.app_context():
        try:
            work(payload)
        finally:
            db.session.remove()


@handler(JOB)
def work(payload: dict[str, Any]) -> None:
    """Run (or resume) the import of a stored upload; nothing to do for a run that ended."""
    run = db.session.get(ImportRun, int(payload["run"]))
    if run is None or run.state != RunState.RUNNING:
        return
    data = blobs.read(str(payload["file"]))
    if data is None:
        runs.fail(run, _("The uploaded file is no longer stored: upload it again to resume."))
        db.session.commit()
        return
    import_incidents(io.BytesIO(data), run.source_name, dry_run=run.dry_run, run=run)


offer(
    _l("ServiceNow incidents"),
    "imports.servicenow",
    _l("The incident audit log (CSV or zip): incidents with their history, people, groups, CIs."),
)

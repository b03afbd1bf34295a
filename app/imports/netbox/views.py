"""``/admin/imports/netbox``: upload a NetBox source, read its dry run (what would be created,
updated, retired, and what is not carried), then import the same file without uploading it
again (kept by :mod:`app.cmdb.transfer.staging` for the uploader, for a day)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length, Regexp

from app.cmdb.transfer import staging
from app.extensions import db
from app.imports.models import ImportRun, RunState
from app.imports.netbox.importer import import_netbox
from app.imports.views import bp, offer
from app.policy import require

offer(
    "NetBox",
    "imports.netbox_page",
    "Sites, racks, devices, power, circuits, clusters and VMs from a NetBox dump or its REST "
    "API, as CIs and relations; a second run syncs.",
)


class UploadForm(FlaskForm):
    file = FileField(
        "NetBox file",
        validators=[FileRequired("Choose a NetBox dump or API export.")],
        description="A dump (.json or .json.gz), one API answer or a JSON of several, or a zip "
        "of API answers named after their endpoints (dcim_devices.json).",
    )


class ApplyForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])
    filename = HiddenField(validators=[Length(max=200)])
    run_id = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,12}$")])


@bp.route("/netbox", methods=["GET", "POST"])
@require("imports.admin")
def netbox_page() -> ResponseReturnValue:
    """The upload form; a posted file gets its dry run, shown with the Import button."""
    form = UploadForm()
    if not form.is_submitted():
        return _render(form)
    if not form.validate_on_submit():
        return _render(form, status=422)
    upload = form.file.data
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    data = upload.stream.read(limit + 1)
    name = (upload.filename or "upload.json")[:200]
    if len(data) > limit:
        form.file.errors = [f"The file is larger than {limit >> 20} MB."]
        return _render(form, status=413)
    run = import_netbox(name, [(name, data)], dry_run=True, actor=current_user)
    if run.state is RunState.FAILED:
        db.session.commit()
        return _render(form, run=run, status=422)
    apply = ApplyForm(formdata=None)
    apply.token.data = staging.stage(data, current_user.id)
    apply.filename.data, apply.run_id.data = name, str(run.id)
    db.session.commit()
    return _render(form, run=run, apply=apply)


@bp.post("/netbox/apply")
@require("imports.admin")
def netbox_apply() -> ResponseReturnValue:
    """Import the file the dry run read (the CMDB is compared again: a sync of what is there
    now)."""
    form = ApplyForm()
    if not form.validate_on_submit():
        flash("This import form is incomplete: upload the file again.", "danger")
        return _render(UploadForm(formdata=None), status=422)
    data = staging.load(form.token.data, current_user.id)
    if data is None:
        flash("This upload has expired or was already imported: upload it again.", "warning")
        return _render(UploadForm(formdata=None), status=404)
    name = form.filename.data or "upload.json"
    run = import_netbox(name, [(name, data)], dry_run=False, actor=current_user)
    if run.state is not RunState.FAILED:
        staging.discard(form.token.data, current_user.id)
    db.session.commit()
    return redirect(url_for("imports.run_detail", run_id=run.id))


def _render(
    form: UploadForm,
    *,
    run: ImportRun | None = None,
    apply: ApplyForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    page = render_template(
        "imports/netbox.html", form=form, run=run, apply=apply, counts=(run.counts if run else {})
    )
    return page, status

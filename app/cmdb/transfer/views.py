"""CMDB import and export pages, on the ``cmdb`` blueprint.

``/cmdb/export``: CIs (with the CI list's filters), relations, or both, as CSV or JSON, for
people who may browse the CMDB. ``/cmdb/import``: administrators upload a file, read the dry
run's report, then import the checked file (kept by :mod:`app.cmdb.transfer.staging`).
"""

from __future__ import annotations

import os
from typing import IO

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectChoice, SelectField
from wtforms.validators import AnyOf, DataRequired, Length, Regexp

from app.cmdb import pages
from app.cmdb.filters import CIFilterForm, ci_query
from app.cmdb.models import ConfigurationItem
from app.cmdb.transfer import export as transfer_export
from app.cmdb.transfer import staging as transfer_staging
from app.cmdb.transfer.imports import ImportReport, import_file
from app.cmdb.views import bp
from app.extensions import db
from app.policy import require

KIND_CHOICES = [
    SelectChoice("", _l("Find out from the file")),
    SelectChoice("cis", _l("Configuration items")),
    SelectChoice("relations", _l("Relations")),
]
MIMETYPES = {"csv": "text/csv", "json": "application/json"}


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV or JSON file"),
        validators=[FileRequired("Choose a CSV or JSON file.")],
        description=_l("UTF-8. A CSV file holds CIs or relations; a JSON file may hold both."),
    )
    kind = SelectField(_l("The file holds"), choices=KIND_CHOICES, default="")


class ApplyForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])
    filename = HiddenField(validators=[Length(max=200)])
    kind = HiddenField(validators=[AnyOf(["", "cis", "relations"])])


@bp.get("/export")
@require("cmdb.browse")
def export() -> ResponseReturnValue:
    """``?kind=cis|relations|all&format=csv|json`` and, for CIs, the CI list's filters."""
    kind, file_format = request.args.get("kind", "cis"), request.args.get("format", "csv")
    if kind not in ("cis", "relations", "all") or file_format not in MIMETYPES:
        abort(400, "Export kind=cis, relations or all as format=csv or json.")
    if kind == "all" and file_format != "json":
        abort(400, "CIs and relations together are exported as JSON only.")
    if kind == "cis":
        classes = pages.all_classes()
        form = CIFilterForm(request.args)
        form.ci_class.choices = pages.class_choices(classes)
        if not form.validate():
            abort(400, "Some filters were not understood: export from the CI list.")
        query, attribute_filters = ci_query(form, classes, request.args)
        if attribute_filters.errors:
            abort(400, "Some attribute filters do not fit their attribute: check their values.")
        ids = query.with_only_columns(ConfigurationItem.id).order_by(None)
        body = "".join(transfer_export.export_cis(file_format, ids))
    elif kind == "relations":
        body = "".join(transfer_export.export_relations(file_format))
    else:
        body = transfer_export.export_all()
    return Response(
        body,
        mimetype=MIMETYPES[file_format],
        headers={"Content-Disposition": f'attachment; filename="cmdb-{kind}.{file_format}"'},
    )


@bp.route("/import", methods=["GET", "POST"])
@require("cmdb.manage")
def import_page() -> ResponseReturnValue:
    """Upload a file: its dry run's report, and the button that imports it when it is valid."""
    form = ImportForm()
    if not form.is_submitted():
        return _render(form)
    if not form.validate_on_submit():
        return _render(form, status=422)
    upload = form.file.data
    limit = current_app.config["CMDB_IMPORT_MAX_BYTES"]
    data = upload.stream.read(limit + 1)
    size = _size_of(upload.stream) if len(data) > limit else None
    report = import_file(
        data,
        filename=upload.filename or "upload",
        actor=current_user,
        dry_run=True,
        kind=form.kind.data or None,
        max_bytes=limit,
        size=size,
    )
    db.session.rollback()
    if not report.ok:
        return _render(form, report, status=413 if report.too_large else 422)
    apply = ApplyForm(formdata=None)
    apply.token.data = transfer_staging.stage(data, current_user.id)
    db.session.commit()
    apply.filename.data, apply.kind.data = report.filename, form.kind.data or ""
    return _render(form, report, apply=apply)


@bp.post("/import/apply")
@require("cmdb.manage")
def import_apply() -> ResponseReturnValue:
    """Import a file checked by :func:`import_page`, checking it again: all or nothing."""
    form = ApplyForm()
    if not form.validate_on_submit():
        flash(_("This import form is incomplete: upload the file again."), "danger")
        return _render(ImportForm(formdata=None), status=422)
    data = transfer_staging.load(form.token.data, current_user.id)
    if data is None:
        flash(
            _("This upload has expired or was already imported: upload the file again."), "warning"
        )
        return _render(ImportForm(formdata=None), status=404)
    report = import_file(
        data,
        filename=form.filename.data or "upload",
        actor=current_user,
        dry_run=False,
        kind=form.kind.data or None,
    )
    if not report.ok:
        db.session.rollback()
        return _render(ImportForm(formdata=None), report, status=422)
    transfer_staging.discard(form.token.data, current_user.id)
    db.session.commit()
    flash(report.summary(), "success")
    return redirect(url_for("cmdb.index"))


def _size_of(stream: IO[bytes]) -> int | None:
    """The size of an upload (Werkzeug spools it whole to memory or a temporary file), or
    ``None`` if its stream cannot tell."""
    try:
        return stream.seek(0, os.SEEK_END)
    except (AttributeError, OSError, ValueError):
        return None


def _render(
    form: ImportForm,
    report: ImportReport | None = None,
    *,
    apply: ApplyForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    page = render_template("cmdb/import.html", form=form, report=report, apply=apply)
    return page, status

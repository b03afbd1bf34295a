"""The spreadsheet import pages, on the shared ``imports`` blueprint.

``/admin/imports/sheets``: choose what the file holds and upload it; a readable file is kept
in the shared file store (as the CMDB import keeps its files, so any node serves the next
step) and the mapping page opens. ``/admin/imports/sheets/<kind>/<token>``: a select per
field, guessed from the headers; **Preview** shows the first rows as they will be saved,
**Dry run** checks every row and records a run with its report, **Import** checks again and
writes everything or nothing.
"""

from __future__ import annotations

import os
from typing import IO, Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField

from app.cmdb.transfer import staging
from app.extensions import db
from app.i18n.formats import number
from app.i18n.stored import render
from app.imports.models import ImportProblem, ImportRun, RunState
from app.imports.sheets import service
from app.imports.sheets.fields import KIND_LABELS, guess_mapping, mapping_problems, targets
from app.imports.sheets.reading import Sheet, Unreadable, read
from app.imports.views import bp, offer
from app.policy import require

PREFIX = "sheet-import"
ACTIONS = ("preview", "dry_run", "import")
NOT_MAPPED = ""
SHOWN_PROBLEMS = 200

offer(
    _l("Spreadsheet (CSV or XLSX)"),
    "imports.sheets_upload",
    _l("People, groups, incidents or CIs, with a column mapping, a preview and a dry run."),
)
# What ``_outcome`` says of each of a run's tallies, in this order.
OUTCOMES = {
    "rows_created": _l("%(count)s created"),
    "rows_to_create": _l("%(count)s to create"),
    "rows_updated": _l("%(count)s updated"),
    "rows_to_update": _l("%(count)s to update"),
    "rows_unchanged": _l("%(count)s unchanged"),
    "rows_refused": _l("%(count)s refused"),
    "rows_not_saved": _l("%(count)s not saved"),
}


class UploadForm(FlaskForm):
    kind = SelectField(
        _l("The file holds"),
        choices=[SelectChoice(k, _l(label)) for k, label in KIND_LABELS.items()],
        default="people",
    )
    file = FileField(
        _l("CSV or XLSX file"),
        validators=[FileRequired(_l("Choose a CSV or XLSX file."))],
        description=_l(
            "CSV in UTF-8 (comma, semicolon or tab), or the first sheet of an XLSX "
            "workbook. The first row names the columns."
        ),
    )


def mapping_form(kind: str, sheet: Sheet, guess: dict[str, int | None]) -> Any:
    """A form with one select per field of ``kind``, its options the file's headers."""
    choices = [SelectChoice(NOT_MAPPED, _("— not imported —"))] + [
        SelectChoice(str(i), h or _("(column %(number)s has no name)", number=i + 1))
        for i, h in enumerate(sheet.header)
    ]
    fields = {
        f"map_{t.key}": SelectField(
            _(t.label) + (" *" if t.required else ""),
            choices=choices,
            default=NOT_MAPPED if guess.get(t.key) is None else str(guess[t.key]),
            validate_choice=False,  # an unknown column is a mapping problem, said in words
            description=_(t.hint) if t.hint else "",
        )
        for t in targets(kind)
    }
    return type("MappingForm", (FlaskForm,), fields)()


def _posted_mapping(kind: str, form: Any) -> dict[str, int | None]:
    mapping: dict[str, int | None] = {}
    for target in targets(kind):
        value = (getattr(form, f"map_{target.key}").data or "").strip()
        mapping[target.key] = None if value == NOT_MAPPED else int(value) if value.isdigit() else -1
    return mapping


@bp.route("/sheets", methods=["GET", "POST"])
@require("imports.admin")
def sheets_upload() -> ResponseReturnValue:
    """Upload a sheet: a readable one is staged and its mapping page opens."""
    form = UploadForm()
    if not form.is_submitted():
        return render_template("imports/sheets/upload.html", form=form)
    if not form.validate_on_submit():
        return render_template("imports/sheets/upload.html", form=form), 422
    upload = form.file.data
    limit = current_app.config["SHEET_IMPORT_MAX_BYTES"]
    data = upload.stream.read(limit + 1)
    name = _filename(upload.filename)
    if len(data) > limit:
        size = _size_of(upload.stream)
        problems = [
            _(
                "%(name)s is %(size)s bytes; the limit is %(limit)s bytes (import it with "
                "flask import sheet).",
                name=name,
                size=number(size),
                limit=number(limit),
            )
            if size
            else _(
                "%(name)s is larger than the limit of %(limit)s bytes (import it with "
                "flask import sheet).",
                name=name,
                limit=number(limit),
            )
        ]
        return render_template("imports/sheets/upload.html", form=form, problems=problems), 413
    try:
        rows = len(read(data, name).rows)
    except Unreadable as error:
        problems = [
            _("Line %(line)s: %(problem)s", line=p.where, problem=render(p.message, _))
            if p.where
            else render(p.message, _)
            for p in error.problems
        ]
        return render_template("imports/sheets/upload.html", form=form, problems=problems), 422
    most = current_app.config["SHEET_IMPORT_MAX_ROWS"]
    if rows > most:
        problems = [
            _(
                "%(name)s has %(rows)s rows; the page imports at most %(most)s (each row is "
                "written while you wait): import it with flask import sheet, or split it.",
                name=name,
                rows=number(rows),
                most=number(most),
            )
        ]
        return render_template("imports/sheets/upload.html", form=form, problems=problems), 413
    token = staging.stage(data, current_user.id, prefix=PREFIX)
    db.session.commit()
    return redirect(url_for("imports.sheets_mapping", kind=form.kind.data, token=token, name=name))


@bp.route("/sheets/<kind>/<token>", methods=["GET", "POST"])
@require("imports.admin")
def sheets_mapping(kind: str, token: str) -> ResponseReturnValue:
    """The mapping, and what the buttons ask: a preview, a dry run, the import."""
    if kind not in KIND_LABELS:
        abort(404)
    name = _filename(request.args.get("name"))
    data = staging.load(token, current_user.id, prefix=PREFIX)
    if data is None:
        flash(
            _("This upload has expired or was already imported: upload the file again."), "warning"
        )
        return render_template("imports/sheets/upload.html", form=UploadForm(formdata=None)), 404
    try:
        sheet = read(data, name)  # it was read when staged, unless ``name`` was changed since
    except Unreadable:
        flash(_("This file cannot be read under that name: upload it again."), "warning")
        return render_template("imports/sheets/upload.html", form=UploadForm(formdata=None)), 422
    form = mapping_form(kind, sheet, guess_mapping(kind, sheet.header))
    page = {"kind": kind, "token": token, "name": name, "sheet": sheet, "form": form}
    if not form.is_submitted():
        return _mapping_page(page)
    action = request.form.get("action", "")
    if not form.validate_on_submit() or action not in ACTIONS:
        return _mapping_page(page, status=422)
    mapping = _posted_mapping(kind, form)
    problems = mapping_problems(kind, mapping, sheet.header, _)
    if problems:
        return _mapping_page(page, mapping_problems=problems, status=422)
    if action == "preview":
        checked = service.check(sheet, kind, mapping, filename=name)
        db.session.rollback()
        labels, rows = service.preview(checked, sheet, mapping)
        return _mapping_page(page, checked=checked, labels=labels, rows=rows)
    run = service.run_import(
        data,
        filename=name,
        kind=kind,
        mapping=mapping,
        actor=current_user,
        dry_run=action == "dry_run",
    )
    failed = run.state == RunState.FAILED
    if action == "import" and not failed:
        staging.discard(token, current_user.id, prefix=PREFIX)
    db.session.commit()
    if action == "import" and not failed:
        flash(_("Imported %(name)s: %(outcome)s.", name=name, outcome=_outcome(run)), "success")
        return redirect(url_for("imports.run_detail", run_id=run.id))
    return _mapping_page(page, run=run, status=422 if failed else 200)


def _mapping_page(page: dict[str, Any], status: int = 200, **more: Any) -> ResponseReturnValue:
    run: ImportRun | None = more.get("run")
    lines = []
    if run is not None:
        lines = (
            db.session.query(ImportProblem)
            .filter(ImportProblem.run_id == run.id)
            .order_by(ImportProblem.id)
            .limit(SHOWN_PROBLEMS)
            .all()
        )
    return render_template(
        "imports/sheets/mapping.html",
        kind_label=_(KIND_LABELS[page["kind"]]),
        outcome=_outcome(run) if run is not None else "",
        lines=lines,
        **page,
        **more,
    ), status


def _outcome(run: ImportRun) -> str:
    counts = run.counts or {}
    parts = [
        str(said) % {"count": number(counts[key])}
        for key, said in OUTCOMES.items()
        if counts.get(key)
    ]
    return _(
        "%(count)s rows read: %(outcome)s",
        count=number(counts.get("rows_read", 0)),
        outcome=", ".join(parts) or _("nothing to do"),
    )


def _filename(name: str | None) -> str:
    return (name or "upload").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"


def _size_of(stream: IO[bytes]) -> int | None:
    try:
        return stream.seek(0, os.SEEK_END)
    except (AttributeError, OSError, ValueError):
        return None

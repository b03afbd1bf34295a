"""The catalog's list editors (administrators): an item's form (every save is a new version;
requests already made keep theirs), its approval policy and its task template.

Rows are added, removed and moved with submit buttons (``op``) that re-render the page without
saving; "Save" sends the whole list to one service. A refused list comes back with each
problem on its row (422) and nothing saved; a list someone else saved in the meantime is
refused with what they changed (409). Routes belong to the ``requests`` blueprint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.errors import Conflict, Invalid
from app.extensions import db
from app.forms import refused, saved
from app.policy import require
from app.requests import services
from app.requests.catalog import admin_forms as forms
from app.requests.catalog import admin_pages as pages
from app.requests.catalog.admin_views import get_item
from app.requests.models import CatalogItem
from app.requests.views import bp


@dataclass(frozen=True)
class Editor:
    """One list editor: its form, where its rows live, how they are stored and saved."""

    tab: str
    form_class: type[FlaskForm]
    rows: str  # the FieldList's name
    limit: int
    marker: str  # the hidden field holding the version edited
    stored: Callable[[CatalogItem], list[dict[str, Any]]]
    version: Callable[[CatalogItem], str]
    save: Callable[[CatalogItem, list[dict[str, Any]], Any], bool]  # -> changed
    error_prefix: str
    saved_message: Callable[[CatalogItem], str]
    changed_since: Callable[[CatalogItem, Any], str]  # "what changed" for a 409


def _save_form(item: CatalogItem, rows: list[dict[str, Any]], number: Any) -> bool:
    before = item.form.number if item.form else None
    saved = services.save_form(
        item, forms.variable_definitions(rows), actor=current_user, expected_version=number
    )
    return saved.number != before


def _item_list(
    tab: str, form_class: type[FlaskForm], rows: str, limit: int, field: str, what: str
) -> Editor:
    """An editor of one of the item's JSON lists, saved with ``update_item`` (the item's
    version guards it); ``rows``/``field`` name the FieldList and the item's column."""
    to_rows = {"approval_policy": forms.level_rows, "task_template": forms.task_rows}[field]
    to_list = {"approval_policy": forms.policy_levels, "task_template": forms.template_tasks}

    def save(item: CatalogItem, entries: list[dict[str, Any]], version: Any) -> bool:
        values = {field: to_list[field](entries)}
        return bool(
            services.update_item(item, actor=current_user, expected_version=version, **values)
        )

    return Editor(
        tab=tab,
        form_class=form_class,
        rows=rows,
        limit=limit,
        marker="version",
        stored=lambda item: to_rows(getattr(item, field) or []),
        version=lambda item: str(item.version),
        save=save,
        error_prefix=f"{field}.{rows}",
        saved_message=lambda item: f"{what} saved; it applies to new requests.",
        changed_since=lambda item, _version: pages.latest_item_change(item, current_user),
    )


EDITORS = {
    "form": Editor(
        tab="form",
        form_class=forms.FormBuilderForm,
        rows="variables",
        limit=forms.MAX_VARIABLES,
        marker="number",
        stored=lambda item: forms.variable_rows(item.form.variables if item.form else []),
        version=lambda item: str(item.form.number if item.form else ""),
        save=_save_form,
        error_prefix="variables",
        saved_message=lambda item: (
            f"Saved as version {item.form.number}. Requests already made keep the version "
            "they were ordered with."
        ),
        changed_since=pages.form_changes,
    ),
    "approvals": _item_list(
        "approvals",
        forms.PolicyForm,
        "levels",
        forms.MAX_LEVELS,
        "approval_policy",
        "Approval policy",
    ),
    "tasks": _item_list(
        "tasks", forms.TemplateForm, "tasks", forms.MAX_TASKS, "task_template", "Task template"
    ),
}


def _prepare(editor: Editor, form: FlaskForm) -> FlaskForm:
    """Give the rows' select fields their choices."""
    if editor.tab == "form":
        classes = pages.ci_class_choices()
        for entry in form.variables:
            entry.form.ci_class.choices = classes
    elif editor.tab == "approvals":
        groups = pages.group_choices(queues_only=False, empty="— Choose a group —")
        for entry in form.levels:
            entry.form.group.choices = groups
    else:
        queues = pages.group_choices(queues_only=True, empty="The fulfilment group")
        for entry in form.tasks:
            entry.form.group.choices = queues
    return form


def _fresh(editor: Editor, rows: list[dict[str, Any]], version: str) -> FlaskForm:
    form = editor.form_class(formdata=None, data={editor.rows: rows, editor.marker: version})
    return _prepare(editor, form)


def _render(
    editor: Editor, item: CatalogItem, form: FlaskForm, status: int = 200
) -> tuple[str, int]:
    context: dict[str, Any] = {"item": item, "form": form, "tab": editor.tab}
    if editor.tab == "form":
        context["history"] = pages.form_history(item)
    page = render_template(f"requests/admin_{editor.tab}.html", **context)
    return page, status


def _edit(item_id: int, tab: str) -> ResponseReturnValue:
    editor, item = EDITORS[tab], get_item(item_id)
    if request.method == "GET":
        return _render(editor, item, _fresh(editor, editor.stored(item), editor.version(item)))
    form = _prepare(editor, editor.form_class())
    valid = form.validate_on_submit()
    if "csrf_token" in form.errors:
        abort(400, "This form has expired or did not come from this site. Reload the page.")
    op = request.form.get("op", "save")[:20]
    marker = getattr(form, editor.marker).data or ""
    if op != "save":  # add, remove or move a row: nothing is saved
        rows = forms.apply_row_op(op, getattr(form, editor.rows).data, editor.limit)
        return _render(editor, item, _fresh(editor, rows, marker))
    if not valid:
        return _render(editor, item, form, 422)
    try:
        changed = editor.save(item, getattr(form, editor.rows).data, marker)
    except Invalid as error:
        db.session.rollback()
        pages.put_row_errors(form, editor.rows, editor.error_prefix, error)
        return _render(editor, get_item(item_id), form, 422)
    except Conflict as error:
        return refused(
            error,
            lambda: get_item(item_id),
            lambda item, status: _render(
                editor, item, _fresh(editor, editor.stored(item), editor.version(item)), status
            ),
            conflict_note=lambda item: editor.changed_since(item, marker),
        )
    return saved(
        editor.saved_message(item) if changed else _("Nothing changed."),
        url_for(f"requests.admin_{tab}", item_id=item.id),
    )


@bp.route("/admin/items/<int:item_id>/form", methods=["GET", "POST"])
@require("requests.admin")
def admin_form(item_id: int) -> ResponseReturnValue:
    return _edit(item_id, "form")


@bp.route("/admin/items/<int:item_id>/approvals", methods=["GET", "POST"])
@require("requests.admin")
def admin_approvals(item_id: int) -> ResponseReturnValue:
    return _edit(item_id, "approvals")


@bp.route("/admin/items/<int:item_id>/tasks", methods=["GET", "POST"])
@require("requests.admin")
def admin_tasks(item_id: int) -> ResponseReturnValue:
    return _edit(item_id, "tasks")

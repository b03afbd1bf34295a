"""The order form of one item or of a cart, for the catalog views: one line per item, built
from the form version the page shows, re-shown with the posted values and the service's field
errors (``lines.<i>.<variable>``) when the order is refused.

Posted field names: ``lines-<i>-<variable>`` for the answers, ``cart-<i>-item`` and
``cart-<i>-form`` for the line's catalog item and form version (variables are lower-case
names, so they never clash with these).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict
from wtforms import SelectChoice
from wtforms.form import BaseForm

from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.forms import apply_errors
from app.i18n.locale import current_language
from app.requests import portal_queries, services
from app.requests.catalog.variables import Variable, VariableType
from app.requests.common import active_user
from app.requests.forms import OrderForm, line_form, raw_answers, set_picker_choices
from app.requests.models import CatalogItem, FormVersion
from app.requests.ordering.services import MAX_LINES

FILE_AGAIN = "Choose the file again: files are not kept when the form has to be corrected."


@dataclass
class Line:
    """One item of the order as the page shows it."""

    index: int
    item: CatalogItem
    version: FormVersion
    variables: tuple[Variable, ...]
    form: BaseForm
    errors: list[str] = field(default_factory=list)
    searchable: dict[str, bool] = field(default_factory=dict)  # pickers with a search box


def _fill_pickers(line: Line) -> None:
    """The options of the line's person and CI selects: the current choice, and when the
    variable offers few enough CIs, every one of them (no search box then). Only for a page
    that shows the form (``order_context``): an order that is placed never shows them, and
    the service reads the CIs it checks the answers against itself."""
    for variable in line.variables:
        picker = line.form[variable.name]
        chosen = [picker.data] if picker.data else []
        if variable.type == VariableType.PERSON:
            people = portal_queries.people_by_id(chosen)
            set_picker_choices(picker, [SelectChoice(str(p.id), p.display_name) for p in people])
            line.searchable[variable.name] = True
        elif variable.type == VariableType.CI:
            listed = portal_queries.cis_matching("", variable, portal_queries.CI_LIST_LIMIT + 1)
            small = len(listed) <= portal_queries.CI_LIST_LIMIT
            cis = listed if small else portal_queries.cis_by_id(chosen, variable)
            set_picker_choices(picker, [SelectChoice(str(c.id), c.name) for c in cis])
            line.searchable[variable.name] = not small


def _line(index: int, item: CatalogItem, version: FormVersion, formdata: Any) -> Line:
    language = current_language()
    variables = tuple(v.in_language(language) for v in services.form_of(version))
    return Line(index, item, version, variables, line_form(index, variables, formdata))


def blank_lines(items: list[CatalogItem]) -> list[Line]:
    """Empty forms for ``items`` (each with its current form version)."""
    return [_line(i, item, item.form, None) for i, item in enumerate(items) if item.form]


def _version(item: CatalogItem, raw: str | None) -> FormVersion:
    """The form version the page showed; the item's current one when the post names none of
    the item's versions (a tampered or outdated page), so the answers are checked against it."""
    if raw and raw.isdecimal() and len(raw) < 12:
        version = db.session.get(FormVersion, int(raw))
        if version is not None and version.item_id == item.id:
            return version
    return item.form


def posted_lines(only: CatalogItem | None = None) -> list[Line]:
    """The lines of the posted order form, with the posted values (``only``: the item page's
    single item, whatever the post says).

    :raise NotFound: a posted item does not exist (or the item has no form).
    """
    formdata = CombinedMultiDict([request.files, request.form])
    lines: list[Line] = []
    for index in range(MAX_LINES + 1):
        raw_item = request.form.get(f"cart-{index}-item")
        if only is None and raw_item is None:
            break
        item = only
        if only is None:
            ident = int(raw_item) if raw_item and raw_item.isdecimal() and len(raw_item) < 12 else 0
            item = db.session.get(CatalogItem, ident)
        if item is None or item.form is None:
            raise NotFound(_("An item of this request is no longer in the catalog."))
        version = _version(item, request.form.get(f"cart-{index}-form"))
        lines.append(_line(index, item, version, formdata))
        if only is not None:
            break
    return lines


def _apply_order_errors(error: Invalid, lines: list[Line], form: OrderForm) -> None:
    """Each of the service's messages at its field: ``lines.<i>.<variable>`` on the line's
    field, ``lines.<i>.<other>`` on the line, the rest on the order form."""
    rest: dict[str, list[str]] = {}
    for key, messages in error.field_errors.items():
        parts = key.split(".", 2)
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdecimal():
            index = int(parts[1])
            if index < len(lines):
                line = lines[index]
                if parts[2] in line.form:
                    target = line.form[parts[2]]
                    target.errors = [*target.errors, *messages]
                else:
                    line.errors += messages
                continue
        rest[key] = messages
    if rest:
        apply_errors(form, Invalid(rest))
    for line in lines:
        for variable in line.variables:
            upload = line.form[variable.name]
            if variable.type == VariableType.ATTACHMENT and upload.data and not upload.errors:
                upload.errors = [FILE_AGAIN]


def place_order(lines: list[Line], form: OrderForm) -> tuple[str | None, int]:
    """Order the lines for the chosen person and commit: ``(the request's number, 302)``. On
    refusal, roll back, put the errors on the form, flash the reason: ``(None, 422 or 409)``.

    :raise Forbidden: an item the user may not order.
    """
    try:
        form.consume(done=url_for("requests.mine"))
        placed = services.order(
            orderer=current_user,
            requested_for=active_user(form.requested_for.data),
            lines=[
                services.OrderLine(line.item, raw_answers(line.form, line.variables), line.version)
                for line in lines
            ],
            note_text=form.note.data or "",
        )
    except Invalid as error:
        db.session.rollback()
        _apply_order_errors(error, lines, form)
        flash(error.message or "Some answers need your attention.", "danger")
        return None, 422
    except Conflict as error:
        db.session.rollback()
        flash(error.message, "danger")
        return None, 409
    number = placed.number  # read before the commit expires the request
    db.session.commit()
    flash(
        _("Thank you. Your request %(number)s is registered; follow it here.", number=number),
        "success",
    )
    return number, 302


def prepare_order_form(form: OrderForm) -> None:
    """ "Who is it for?": oneself (the default), one's direct reports, and the person chosen."""
    if not form.is_submitted():
        form.requested_for.data = str(current_user.id)
    chosen = portal_queries.people_by_id([form.requested_for.data or ""])
    reports = [p for p in current_user.reports if p.is_active]
    set_picker_choices(
        form.requested_for,
        [SelectChoice(str(current_user.id), f"Myself ({current_user.display_name})")]
        + [SelectChoice(str(p.id), p.display_name) for p in (*reports, *chosen)],
    )


def order_context(lines: list[Line], form: OrderForm) -> dict[str, Any]:
    """What the order form's page shows: the lines with their pickers' options, the order."""
    for line in lines:
        _fill_pickers(line)
    return {"lines": lines, "order_form": form, "max_lines": MAX_LINES}

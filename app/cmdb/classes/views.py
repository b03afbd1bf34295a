"""CI classes and their typed attributes: the class tree for everyone who reads the CMDB, and
the pages with which administrators add, edit and delete classes and attributes (the rules
are in :mod:`app.cmdb.classes.services` and :mod:`app.cmdb.classes.attributes`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from app.cmdb import pages
from app.cmdb.classes import attributes as class_attributes
from app.cmdb.classes import services as class_services
from app.cmdb.classes.tree import subtree_ids
from app.cmdb.forms import (
    AttributeEditForm,
    AttributeForm,
    ClassEditForm,
    ClassForm,
    DeleteAttributeForm,
    DeleteClassForm,
)
from app.cmdb.models import AttributeDefinition, CIClass, ConfigurationItem
from app.cmdb.views import bp
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.forms import apply_errors, refused, saved
from app.policy import require


def _get_class(class_id: int) -> CIClass:
    """:raise NotFound: no such class."""
    ci_class = db.session.get(CIClass, class_id)
    if ci_class is None:
        raise NotFound(_("There is no CI class with this number (it may have been deleted)."))
    return ci_class


def _get_definition(definition_id: int) -> AttributeDefinition:
    """:raise NotFound: no such attribute definition."""
    definition = db.session.get(AttributeDefinition, definition_id)
    if definition is None:
        raise NotFound(_("There is no such attribute (it may have been deleted)."))
    return definition


def _parent_from(form: ClassForm) -> CIClass | None:
    """:raise Invalid: the chosen parent does not exist."""
    parent_id = form.parent.data or ""
    parent = db.session.get(CIClass, int(parent_id)) if parent_id.isdecimal() else None
    if parent_id and parent is None:
        raise Invalid({"parent": _("Unknown parent class.")})
    return parent


def _definitions_by_class() -> dict[int, list[AttributeDefinition]]:
    found: dict[int, list[AttributeDefinition]] = {}
    for d in db.session.scalars(
        select(AttributeDefinition).order_by(AttributeDefinition.position, AttributeDefinition.name)
    ):
        found.setdefault(d.class_id, []).append(d)
    return found


def _save(
    form: ClassEditForm | AttributeEditForm,
    save: Callable[[], dict[str, Any]],
    *,
    reload: Callable[[], Any],
    render: Callable[..., ResponseReturnValue],
    what: str,
) -> ResponseReturnValue:
    """Run an edit service for a validated form, commit, and come back to the edit page.

    A refusal (409) shows the current state when the form was stale, else the form as typed;
    bad input (422) puts the field errors back on the form.
    """
    try:
        changes = save()
    except Conflict as error:
        db.session.rollback()
        flash(error.message, "danger")
        current = reload()
        stale = form.version.data != str(current.version)
        return render(current, None if stale else form, 409)
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        return render(reload(), form, 422)
    return saved(str(what) if changes else _("Nothing changed."), request.path)


def _render(
    class_form: ClassForm | None = None,
    attribute_form: AttributeForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    all_classes = pages.all_classes()
    children: dict[int | None, list[CIClass]] = {}
    for c in all_classes:
        children.setdefault(c.parent_id, []).append(c)
    counts = dict(
        db.session.execute(
            select(ConfigurationItem.class_id, func.count()).group_by(ConfigurationItem.class_id)
        ).all()
    )
    class_form = class_form or ClassForm(formdata=None)
    class_form.parent.choices = pages.class_choices(all_classes, "— None (a root class) —")
    attribute_form = attribute_form or AttributeForm(formdata=None)
    attribute_form.ci_class.choices = pages.class_choices(all_classes, "—")
    page = render_template(
        "cmdb/classes.html",
        children=children,
        definitions=_definitions_by_class(),
        counts=counts,
        class_form=class_form,
        attribute_form=attribute_form,
    )
    return page, status


@bp.get("/classes")
@require("cmdb.browse")
def classes() -> ResponseReturnValue:
    return _render()


@bp.post("/classes")
@require("cmdb.manage")
def add_class() -> ResponseReturnValue:
    form = ClassForm()
    form.parent.choices = pages.class_choices(pages.all_classes())
    if not form.validate_on_submit():
        return _render(class_form=form, status=422)
    try:
        parent = _parent_from(form)
        ci_class = class_services.add_class(
            actor=current_user,
            name=form.name.data,
            label=form.label.data,
            parent=parent,
            is_hardware=form.is_hardware.data or (parent.is_hardware if parent else False),
            description=form.description.data or "",
        )
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render(class_form=form, status=422)
    return saved(_("Class %(name)s added.", name=ci_class.label), url_for("cmdb.classes"))


@bp.post("/classes/attributes")
@require("cmdb.manage")
def add_attribute() -> ResponseReturnValue:
    form = AttributeForm()
    if not form.validate_on_submit():
        return _render(attribute_form=form, status=422)
    class_id = form.ci_class.data or ""
    ci_class = db.session.get(CIClass, int(class_id)) if class_id.isdecimal() else None
    try:
        if ci_class is None:
            raise Invalid({"ci_class": _("Choose a class.")})
        definition = class_attributes.add_attribute(
            actor=current_user,
            ci_class=ci_class,
            name=form.name.data,
            label=form.label.data or "",
            type_=form.type.data,
            required=form.required.data,
            choices=(form.choices.data or "").split(","),
            help_text=form.help.data or "",
        )
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render(attribute_form=form, status=422)
    return saved(
        _(
            "Attribute %(attribute)s added to %(name)s.",
            attribute=definition.label,
            name=ci_class.label,
        ),
        url_for("cmdb.classes"),
    )


def _render_class(
    ci_class: CIClass, form: ClassEditForm | None = None, status: int = 200
) -> ResponseReturnValue:
    if form is None:
        form = ClassEditForm(formdata=None, obj=ci_class)
        form.parent.data = str(ci_class.parent_id or "")
        form.version.data = str(ci_class.version)
    below = set(subtree_ids(ci_class))
    form.parent.choices = pages.class_choices(
        [c for c in pages.all_classes() if c.id not in below], "— None (a root class) —"
    )
    page = render_template(
        "cmdb/class_edit.html",
        ci_class=ci_class,
        form=form,
        usage=class_services.class_usage(ci_class),
        definitions=_definitions_by_class().get(ci_class.id, []),
        delete_form=DeleteClassForm(formdata=None, version=str(ci_class.version)),
    )
    return page, status


@bp.route("/classes/<int:class_id>", methods=["GET", "POST"])
@require("cmdb.manage")
def edit_class(class_id: int) -> ResponseReturnValue:
    ci_class = _get_class(class_id)
    form = ClassEditForm()
    if not form.is_submitted():
        return _render_class(ci_class)
    if not form.validate():
        return _render_class(ci_class, form, 422)
    return _save(
        form,
        lambda: class_services.update_class(
            ci_class,
            actor=current_user,
            name=form.name.data,
            label=form.label.data,
            description=form.description.data or "",
            parent=_parent_from(form),
            is_hardware=bool(form.is_hardware.data),
            expected_version=form.version.data,
        ),
        reload=lambda: _get_class(class_id),
        render=_render_class,
        what=_l("Class saved."),
    )


@bp.post("/classes/<int:class_id>/delete")
@require("cmdb.manage")
def delete_class(class_id: int) -> ResponseReturnValue:
    ci_class = _get_class(class_id)
    form = DeleteClassForm()
    if not form.validate_on_submit():
        return _render_class(ci_class, status=422)
    label = ci_class.label
    try:
        class_services.delete_class(
            ci_class, actor=current_user, expected_version=form.version.data
        )
    except Conflict as error:
        return refused(
            error,
            lambda: _get_class(class_id),
            lambda ci_class, status: _render_class(ci_class, status=status),
        )
    return saved(_("Class %(name)s deleted.", name=label), url_for("cmdb.classes"))


def _render_attribute(
    definition: AttributeDefinition,
    form: AttributeEditForm | None = None,
    status: int = 200,
    delete_form: DeleteAttributeForm | None = None,
) -> ResponseReturnValue:
    if form is None:
        form = AttributeEditForm(formdata=None, obj=definition)
        form.type.data = definition.type.value
        form.choices.data = ", ".join(definition.choices or [])
        form.version.data = str(definition.version)
    page = render_template(
        "cmdb/attribute_edit.html",
        definition=definition,
        form=form,
        usage=class_attributes.value_usage(definition),
        delete_form=delete_form
        or DeleteAttributeForm(formdata=None, version=str(definition.version)),
    )
    return page, status


@bp.route("/classes/attributes/<int:definition_id>", methods=["GET", "POST"])
@require("cmdb.manage")
def edit_attribute(definition_id: int) -> ResponseReturnValue:
    definition = _get_definition(definition_id)
    form = AttributeEditForm()
    if not form.is_submitted():
        return _render_attribute(definition)
    if not form.validate():
        return _render_attribute(definition, form, 422)
    return _save(
        form,
        lambda: class_attributes.update_attribute(
            definition,
            actor=current_user,
            name=form.name.data,
            label=form.label.data or "",
            type_=form.type.data,
            required=bool(form.required.data),
            choices=(form.choices.data or "").split(","),
            help_text=form.help.data or "",
            expected_version=form.version.data,
        ),
        reload=lambda: _get_definition(definition_id),
        render=_render_attribute,
        what=_l("Attribute saved."),
    )


@bp.post("/classes/attributes/<int:definition_id>/delete")
@require("cmdb.manage")
def delete_attribute(definition_id: int) -> ResponseReturnValue:
    definition = _get_definition(definition_id)
    form = DeleteAttributeForm()
    if not form.validate_on_submit():
        return _render_attribute(definition, status=422, delete_form=form)
    label, class_label = definition.label, definition.ci_class.label
    try:
        removed = class_attributes.delete_attribute(
            definition,
            actor=current_user,
            confirm=form.confirm.data or "",
            expected_version=form.version.data,
        )
    except Conflict as error:
        return refused(
            error,
            lambda: _get_definition(definition_id),
            lambda found, status: _render_attribute(found, status=status, delete_form=form),
        )
    db.session.commit()
    message = (
        _(
            "Attribute %(attribute)s and its %(count)s values deleted from %(name)s.",
            attribute=label,
            count=removed,
            name=class_label,
        )
        if removed
        else _("Attribute %(attribute)s deleted from %(name)s.", attribute=label, name=class_label)
    )
    flash(message, "success")
    return redirect(url_for("cmdb.classes"))

"""CI classes and their typed attributes: the class tree for everyone who reads the CMDB, and
the forms with which administrators add classes and attributes."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from app.cmdb import pages, services
from app.cmdb.forms import AttributeForm, ClassForm
from app.cmdb.models import AttributeDefinition, CIClass
from app.cmdb.views import bp
from app.errors import Invalid
from app.extensions import db
from app.forms import apply_errors
from app.policy import require


def _render(
    class_form: ClassForm | None = None,
    attribute_form: AttributeForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    classes = pages.all_classes()
    definitions: dict[int, list[AttributeDefinition]] = {}
    for d in db.session.scalars(
        select(AttributeDefinition).order_by(AttributeDefinition.position, AttributeDefinition.name)
    ):
        definitions.setdefault(d.class_id, []).append(d)
    children: dict[int | None, list[CIClass]] = {}
    for c in classes:
        children.setdefault(c.parent_id, []).append(c)
    class_form = class_form or ClassForm(formdata=None)
    class_form.parent.choices = pages.class_choices(classes, "— None (a root class) —")
    attribute_form = attribute_form or AttributeForm(formdata=None)
    attribute_form.ci_class.choices = pages.class_choices(classes, "—")
    page = render_template(
        "cmdb/classes.html",
        children=children,
        definitions=definitions,
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
    parent_id = form.parent.data or ""
    parent = db.session.get(CIClass, int(parent_id)) if parent_id.isdigit() else None
    try:
        if parent_id and parent is None:
            raise Invalid({"parent": "Unknown parent class."})
        ci_class = services.add_class(
            actor=current_user,
            name=form.name.data,
            label=form.label.data,
            parent=parent,
            is_hardware=form.is_hardware.data or (parent.is_hardware if parent else False),
        )
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render(class_form=form, status=422)
    db.session.commit()
    flash(f"Class {ci_class.label} added.", "success")
    return redirect(url_for("cmdb.classes"))


@bp.post("/classes/attributes")
@require("cmdb.manage")
def add_attribute() -> ResponseReturnValue:
    form = AttributeForm()
    if not form.validate_on_submit():
        return _render(attribute_form=form, status=422)
    class_id = form.ci_class.data or ""
    ci_class = db.session.get(CIClass, int(class_id)) if class_id.isdigit() else None
    try:
        if ci_class is None:
            raise Invalid({"ci_class": "Choose a class."})
        definition = services.add_attribute(
            actor=current_user,
            ci_class=ci_class,
            name=form.name.data,
            label=form.label.data or "",
            type_=form.type.data,
            required=form.required.data,
            choices=(form.choices.data or "").split(","),
        )
    except Invalid as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render(attribute_form=form, status=422)
    db.session.commit()
    flash(f"Attribute {definition.label} added to {ci_class.label}.", "success")
    return redirect(url_for("cmdb.classes"))

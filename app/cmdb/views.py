"""CMDB pages: the CI list, the CI page, and the forms that create, edit, relate, retire and
delete CIs. Each view parses, loads and authorizes, calls one service, commits, redirects.
The graph and what-if pages are in ``graph_views``, classes and attributes in
``classes.views``."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.cmdb import (
    pages,
    permissions,  # noqa: F401  (registers the rules)
    services,
)
from app.cmdb.filters import CIFilterForm, ci_query
from app.cmdb.forms import CIForm, DeleteForm, RelateForm, RemoveRelationForm, RetireForm
from app.cmdb.models import CIClass, ConfigurationItem
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.filtering import ignored_note
from app.forms import apply_errors, refused, saved
from app.policy import require
from app.ui import page_args

bp = Blueprint("cmdb", __name__, template_folder="templates")


def get_ci(ci_id: int) -> ConfigurationItem:
    """:raise NotFound: no such CI."""
    ci = db.session.get(ConfigurationItem, ci_id)
    if ci is None:
        raise NotFound(_("There is no configuration item with this number."))
    return ci


def _done(ci: ConfigurationItem, message: str) -> ResponseReturnValue:
    return saved(message, url_for("cmdb.detail", ci_id=ci.id))


def _refused(ci_id: int, error: Invalid | Conflict, **forms: FlaskForm) -> ResponseReturnValue:
    """The CI page again with the error (422 or 409); ``forms`` keep what was entered."""
    return refused(
        error,
        lambda: get_ci(ci_id),
        lambda ci, status: pages.render_detail(ci, status=status, **forms),
        *forms.values(),
    )


@bp.get("/")
@require("cmdb.browse")
def index() -> ResponseReturnValue:
    classes = pages.all_classes()
    form = CIFilterForm(request.args)
    form.ci_class.choices = pages.class_choices(classes)
    if ignored := form.clean():
        flash(ignored_note(ignored), "warning")
    query, attribute_filters = ci_query(form, classes, form.understood)
    if attribute_filters.errors:
        flash(_("Some attribute filters were not applied: check their values."), "warning")
        for name in attribute_filters.errors:
            form.understood.poplist(f"a_{name}")
    page, per_page = page_args()
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return render_template(
        "cmdb/index.html",
        form=form,
        pagination=pagination,
        attribute_filters=attribute_filters,
        classes={c.id: c for c in classes},
    )


@bp.get("/<int:ci_id>")
@require("cmdb.browse")
def detail(ci_id: int) -> ResponseReturnValue:
    return pages.render_detail(get_ci(ci_id))


@bp.route("/new", methods=["GET", "POST"])
@require("cmdb.manage")
def new() -> ResponseReturnValue:
    """Pick a class (``?class=<name>``), then fill in the CI and its class's attributes."""
    name = request.values.get("class", "")
    ci_class = db.session.scalar(db.select(CIClass).where(CIClass.name == name)) if name else None
    if ci_class is None:
        status = 404 if name else 200
        return render_template("cmdb/pick_class.html", classes=pages.all_classes()), status
    form = CIForm()
    form.support_group.choices = form.users_group.choices = pages.group_choices()
    values = pages.submitted_attributes(request.form, ci_class) if form.is_submitted() else None
    if form.validate_on_submit():
        try:
            ci = services.create_ci(
                actor=current_user,
                ci_class=ci_class,
                attribute_values=values,
                **pages.fields_from(form, ci_class),
            )
        except Invalid as error:
            db.session.rollback()
            apply_errors(form, error)
            return pages.render_form(ci_class, form, values=values, error=error, status=422)
        return _done(ci, _("%(name)s created.", name=ci.name))
    status = 422 if form.is_submitted() else 200
    return pages.render_form(ci_class, form, values=values, status=status)


@bp.route("/<int:ci_id>/edit", methods=["GET", "POST"])
@require("cmdb.manage")
def edit(ci_id: int) -> ResponseReturnValue:
    ci = get_ci(ci_id)
    form = CIForm()
    if not form.is_submitted():
        pages.fill_form(form, ci)
        return pages.render_form(ci.ci_class, form, ci=ci)
    form.support_group.choices = form.users_group.choices = pages.group_choices()
    values = pages.submitted_attributes(request.form, ci.ci_class)
    if not form.validate():
        return pages.render_form(ci.ci_class, form, ci=ci, values=values, status=422)
    try:
        changes = services.update_ci(
            ci,
            actor=current_user,
            expected_version=form.version.data,
            attribute_values=values,
            **pages.fields_from(form, ci.ci_class),
        )
    except Conflict as error:
        db.session.rollback()
        flash(error.message, "danger")
        ci = get_ci(ci_id)
        fresh = CIForm(formdata=None)
        pages.fill_form(fresh, ci)
        return pages.render_form(ci.ci_class, fresh, ci=ci, status=409)
    except Invalid as error:
        db.session.rollback()
        ci = get_ci(ci_id)
        apply_errors(form, error)
        return pages.render_form(ci.ci_class, form, ci=ci, values=values, error=error, status=422)
    return _done(ci, _("Saved.") if changes else _("Nothing changed."))


@bp.post("/<int:ci_id>/retire")
@require("cmdb.manage")
def retire(ci_id: int) -> ResponseReturnValue:
    ci = get_ci(ci_id)
    form = RetireForm()
    if not form.validate_on_submit():
        return pages.render_detail(ci, status=422)
    try:
        services.retire_ci(ci, actor=current_user, expected_version=form.version.data)
    except (Invalid, Conflict) as error:
        return _refused(ci_id, error)
    return _done(ci, _("%(name)s is retired.", name=ci.name))


@bp.post("/<int:ci_id>/delete")
@require("cmdb.manage")
def delete(ci_id: int) -> ResponseReturnValue:
    ci = get_ci(ci_id)
    if not DeleteForm().validate_on_submit():
        return pages.render_detail(ci, status=422)
    name = ci.name
    try:
        services.delete_ci(ci, actor=current_user)
    except Conflict as error:
        return _refused(ci_id, error)
    return saved(_("%(name)s deleted.", name=name), url_for("cmdb.index"))


@bp.post("/<int:ci_id>/relations")
@require("cmdb.manage")
def relate(ci_id: int) -> ResponseReturnValue:
    ci = get_ci(ci_id)
    form = RelateForm()
    form.type.choices = [(t.name, t.forward) for t in pages.relation_types()]
    if not form.validate_on_submit():
        return pages.render_detail(ci, status=422, relate_form=form)
    try:
        other = pages.find_ci_by_name(form.other.data)
        source, target = (ci, other) if form.direction.data != "reverse" else (other, ci)
        services.relate(source, target, form.type.data, actor=current_user)
    except Invalid as error:
        fields = dict(error.field_errors)
        if "target" in fields:  # the service names the far end "target"; the form "other"
            fields["other"] = fields.pop("target")
        return _refused(ci_id, Invalid(fields, error.message), relate_form=form)
    return _done(ci, _("Relation added."))


@bp.post("/<int:ci_id>/relations/remove")
@require("cmdb.manage")
def unrelate(ci_id: int) -> ResponseReturnValue:
    ci = get_ci(ci_id)
    form = RemoveRelationForm()
    if not form.validate_on_submit():
        return pages.render_detail(ci, status=422)
    relation = pages.relation_of(ci, form.relation.data or "")
    if relation is None:
        raise NotFound(_("This relation does not exist (any more)."))
    services.unrelate(relation, actor=current_user)
    return _done(ci, _("Relation removed."))

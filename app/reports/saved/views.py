"""The saved views' pages on the reports blueprint: the list (``/reports/saved``), saving a
report page's filters from that page, opening, renaming and deleting a view."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from app.extensions import db
from app.forms import commit_or_errors
from app.policy import require
from app.reports.blueprint import bp
from app.reports.saved import permissions as _permissions  # noqa: F401  (registers the rules)
from app.reports.saved import services
from app.reports.saved.models import SavedView


class SaveViewForm(FlaskForm):
    name = StringField(_l("Name of the view"), validators=[DataRequired(), Length(max=80)])
    endpoint = HiddenField()
    query = HiddenField()


class RenameForm(FlaskForm):
    name = StringField(_l("New name"), validators=[DataRequired(), Length(max=80)])


def _list_page(
    status: int = 200,
    *,
    save_form: SaveViewForm | None = None,
    renaming: tuple[int, RenameForm] | None = None,
) -> ResponseReturnValue:
    return render_template(
        "reports/saved/list.html",
        views=services.views_of(current_user),
        save_form=save_form,
        renaming=renaming,
        form=FlaskForm(),
    ), status


@bp.get("/saved")
@require("reports.saved_views")
def saved_views() -> ResponseReturnValue:
    return _list_page()


@bp.post("/saved")
@require("reports.saved_views")
def save_view() -> ResponseReturnValue:
    """Save the report page a person is on (its endpoint and query string) under a name."""
    form = SaveViewForm()
    created: list[SavedView] = []
    if form.validate_on_submit() and commit_or_errors(
        form,
        lambda: created.append(
            services.save_view(
                current_user,
                name=form.name.data or "",
                endpoint=form.endpoint.data or "",
                query=form.query.data or "",
            )
        ),
    ):
        flash(_("Saved as '%(name)s': find it under Saved views.", name=created[0].name), "success")
        return redirect(services.view_url(created[0]))
    return _list_page(422, save_form=form)


@bp.get("/saved/<int:view_id>")
@require("reports.saved_views")
def open_saved_view(view_id: int) -> ResponseReturnValue:
    return redirect(services.view_url(services.get_view(current_user, view_id)))


@bp.post("/saved/<int:view_id>/rename")
@require("reports.saved_views")
def rename_saved_view(view_id: int) -> ResponseReturnValue:
    view = services.get_view(current_user, view_id)
    form = RenameForm()
    if form.validate_on_submit() and commit_or_errors(
        form, lambda: services.rename_view(view, form.name.data or "")
    ):
        flash(_("Renamed to '%(name)s'.", name=view.name), "success")
        return redirect(url_for(".saved_views"))
    return _list_page(422, renaming=(view_id, form))


class DeleteForm(FlaskForm):
    # The report page the button was on (a dashboard), to go back to; else the list.
    back = HiddenField()


@bp.post("/saved/<int:view_id>/delete")
@require("reports.saved_views")
def delete_saved_view(view_id: int) -> ResponseReturnValue:
    view = services.get_view(current_user, view_id)
    form = DeleteForm()
    if not form.validate_on_submit():
        return _list_page(400)
    name = view.name
    services.delete_view(view)
    db.session.commit()
    flash(_("Deleted the view '%(name)s'.", name=name), "success")
    back = form.back.data or ""
    return redirect(url_for(back) if services.is_savable(back) else url_for(".saved_views"))

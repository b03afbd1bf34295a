"""The notification pages: the list (the bell leads there), opening one, marking all read,
each person's preferences, and the administrators' settings. Routes on the
``notifications`` blueprint (``/notifications``)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm

from app.extensions import db
from app.forms import saved
from app.notifications import labels, mailing, rules, services
from app.notifications import permissions as _permissions  # noqa: F401  (registers the rules)
from app.policy import require
from app.ui import page_args

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.get("")
@require("signed_in")
def index() -> ResponseReturnValue:
    page, per_page = page_args()
    pagination = services.notifications_of(current_user, page=page, per_page=per_page)
    return render_template(
        "notifications/index.html",
        pagination=pagination,
        labels={name: kind.label for name, kind in labels.KINDS.items()},
        form=FlaskForm(),
    )


@bp.get("/<int:notification_id>")
@require("signed_in")
def open_one(notification_id: int) -> ResponseReturnValue:
    """Mark the notification read and go to what it is about."""
    note = services.open_notification(current_user, notification_id)
    db.session.commit()
    endpoint, values = mailing.target(note)
    return redirect(url_for(endpoint, **values))


@bp.post("/read")
@require("signed_in")
def read_all() -> ResponseReturnValue:
    form = FlaskForm()
    if not form.validate_on_submit():
        return redirect(url_for("notifications.index"))
    count = services.mark_all_read(current_user)
    return saved(
        ngettext("%(num)d notification marked read.", "%(num)d notifications marked read.", count),
        url_for("notifications.index"),
    )


@bp.route("/preferences", methods=["GET", "POST"])
@require("signed_in")
def preferences() -> ResponseReturnValue:
    form = FlaskForm()
    if form.validate_on_submit():
        services.save_preferences(current_user, request.form.getlist("on"))
        return saved(_("Your notification preferences are saved."), url_for(".preferences"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "notifications/preferences.html",
        form=form,
        configs=services.configs_for(current_user),
        kinds=labels.KINDS,
        channels=services.effective_channels(current_user),
    ), status


@bp.route("/settings", methods=["GET", "POST"])
@require("notifications.admin")
def settings() -> ResponseReturnValue:
    form = FlaskForm()
    if form.validate_on_submit():
        on = set(request.form.getlist("on"))
        values = {
            name: {field: f"{name}.{field}" in on for field in services.SETTING_FIELDS}
            for name in rules.KINDS
        }
        services.save_kind_settings(values)
        return saved(_("Notification settings saved."), url_for(".settings"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "notifications/settings.html",
        form=form,
        configs=services.kind_configs(),
        kinds=labels.KINDS,
    ), status

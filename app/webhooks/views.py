"""The administrators' webhook pages: the subscriptions, one subscription with its filters,
its secret (shown once when made or replaced, never again), a test delivery, enabling it again,
and its delivery log. Views parse, load, call one service, commit and redirect."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.auth.models import Group
from app.cmdb.classes.tree import of_class
from app.cmdb.graph.vocabulary import BUSINESS_SERVICE
from app.cmdb.models import ConfigurationItem
from app.errors import Conflict, Invalid, NotFound, check_version
from app.extensions import db
from app.forms import commit_or_errors, refused, saved
from app.policy import require
from app.ui import page_args
from app.webhooks import (
    permissions,  # noqa: F401  (registers the rules)
    sealing,
    services,
)
from app.webhooks.forms import ButtonForm, NewSubscriptionForm, SubscriptionForm, TestForm
from app.webhooks.models import DeliveryState, WebhookDelivery, WebhookSubscription
from app.webhooks.vocabulary import EVENT_TYPES, TICKET_KINDS

bp = Blueprint("webhooks", __name__, template_folder="templates")

REVEAL = "webhooks_reveal"  # the subscription whose secret the next page shows once


def get_subscription(subscription_id: int) -> WebhookSubscription:
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound(_("There is no webhook subscription with this id."))
    return subscription


def get_delivery(subscription_id: int, delivery_id: int) -> WebhookDelivery:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != subscription_id:
        raise NotFound(_("There is no such delivery of this subscription."))
    return delivery


def _fill_choices(form: SubscriptionForm) -> None:
    groups = db.session.execute(
        select(Group.id, Group.name).where(Group.is_assignment_group).order_by(Group.name)
    ).all()
    form.group_ids.choices = [(gid, name) for gid, name in groups]
    services_found = db.session.execute(
        select(ConfigurationItem.id, ConfigurationItem.name)
        .where(of_class(BUSINESS_SERVICE))
        .order_by(ConfigurationItem.name)
    ).all()
    form.service_ids.choices = [(cid, name) for cid, name in services_found]


def _values(form: SubscriptionForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "url": form.url.data or "",
        "event_types": form.event_types.data or [],
        "ticket_kinds": form.ticket_kinds.data or [],
        "group_ids": form.group_ids.data or [],
        "service_ids": form.service_ids.data or [],
        "work_notes": bool(form.work_notes.data),
    }


@bp.get("/")
@require("webhooks.admin")
def index() -> ResponseReturnValue:
    subscriptions = db.session.scalars(
        select(WebhookSubscription).order_by(WebhookSubscription.name)
    ).all()
    last = dict(
        db.session.execute(
            select(
                WebhookDelivery.subscription_id, func.max(WebhookDelivery.attempted_at)
            ).group_by(WebhookDelivery.subscription_id)
        ).all()
    )
    return render_template("webhooks/index.html", subscriptions=subscriptions, last=last)


@bp.route("/new", methods=["GET", "POST"])
@require("webhooks.admin")
def create() -> ResponseReturnValue:
    form = NewSubscriptionForm()
    _fill_choices(form)
    created: list[WebhookSubscription] = []

    def action() -> None:
        form.consume(done=url_for("webhooks.index"))
        created.append(services.create_subscription(actor=current_user, **_values(form)))

    if form.validate_on_submit() and commit_or_errors(form, action):
        session[REVEAL] = created[0].id
        return saved(
            _(
                "%(name)s is subscribed. Copy its secret now: it signs every delivery.",
                name=created[0].name,
            ),
            url_for("webhooks.detail", subscription_id=created[0].id),
        )
    status = 422 if form.is_submitted() else 200
    return render_template(
        "webhooks/new.html", form=form, event_types=EVENT_TYPES, kinds=TICKET_KINDS
    ), status


def _once(subscription: WebhookSubscription) -> str | None:
    """The secret just made, for the one page that shows it (None if it cannot be unsealed:
    the page then says it is set, and a new one can be made)."""
    try:
        return services.secret_of(subscription)
    except sealing.Unreadable:
        return None


def _render(
    subscription: WebhookSubscription,
    status: int = 200,
    form: SubscriptionForm | None = None,
) -> ResponseReturnValue:
    if form is None:
        form = SubscriptionForm(obj=subscription, formdata=None)
        form.version.data = str(subscription.version)
    _fill_choices(form)
    page, per_page = page_args()
    deliveries = db.paginate(
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription.id)
        .order_by(WebhookDelivery.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    shown_once = session.pop(REVEAL, None) == subscription.id
    return render_template(
        "webhooks/detail.html",
        subscription=subscription,
        form=form,
        deliveries=deliveries,
        secret=_once(subscription) if shown_once else None,
        button=ButtonForm(),
        test_form=TestForm(),
        dead=DeliveryState.DEAD,
    ), status


@bp.get("/<int:subscription_id>")
@require("webhooks.admin")
def detail(subscription_id: int) -> ResponseReturnValue:
    return _render(get_subscription(subscription_id))


@bp.post("/<int:subscription_id>")
@require("webhooks.admin")
def update(subscription_id: int) -> ResponseReturnValue:
    subscription = get_subscription(subscription_id)
    form = SubscriptionForm()
    _fill_choices(form)
    if not form.validate_on_submit():
        return _render(subscription, 422, form)
    changes: dict[str, Any] = {}

    def action() -> None:
        check_version(subscription, form.version.data, f"{subscription.name}'s subscription")
        changes.update(
            services.update_subscription(subscription, actor=current_user, **_values(form))
        )

    try:
        if not commit_or_errors(form, action):  # a rule or a name already taken: 422
            return _render(get_subscription(subscription_id), 422, form)
    except Conflict as error:
        return refused(error, lambda: get_subscription(subscription_id), _render)
    here = url_for("webhooks.detail", subscription_id=subscription_id)
    return saved(_("Saved.") if changes else _("Nothing changed."), here)


def _button(subscription_id: int, form: Any = None) -> WebhookSubscription | ResponseReturnValue:
    subscription = get_subscription(subscription_id)
    if not (form or ButtonForm()).validate_on_submit():
        return _render(subscription, 400)
    return subscription


@bp.post("/<int:subscription_id>/test")
@require("webhooks.admin")
def send_test(subscription_id: int) -> ResponseReturnValue:
    form = TestForm()
    subscription = _button(subscription_id, form)
    if not isinstance(subscription, WebhookSubscription):
        return subscription
    here = url_for("webhooks.detail", subscription_id=subscription_id)
    try:
        form.consume(done=here)
        services.send_test(subscription, actor=current_user)
    except Invalid as error:
        return refused(error, lambda: get_subscription(subscription_id), _render)
    return saved(_("A test delivery (ping) is on its way; its outcome is in the log below."), here)


@bp.post("/<int:subscription_id>/enable")
@require("webhooks.admin")
def enable(subscription_id: int) -> ResponseReturnValue:
    return _switch(subscription_id, True)


@bp.post("/<int:subscription_id>/disable")
@require("webhooks.admin")
def disable(subscription_id: int) -> ResponseReturnValue:
    return _switch(subscription_id, False)


def _switch(subscription_id: int, enabled: bool) -> ResponseReturnValue:
    subscription = _button(subscription_id)
    if not isinstance(subscription, WebhookSubscription):
        return subscription
    services.set_enabled(subscription, enabled, actor=current_user)
    message = _("Enabled: new events are sent again.") if enabled else _("Switched off.")
    return saved(message, url_for("webhooks.detail", subscription_id=subscription_id))


@bp.post("/<int:subscription_id>/rotate")
@require("webhooks.admin")
def rotate_secret(subscription_id: int) -> ResponseReturnValue:
    subscription = _button(subscription_id)
    if not isinstance(subscription, WebhookSubscription):
        return subscription
    services.rotate_secret(subscription, actor=current_user)
    session[REVEAL] = subscription.id
    return saved(
        _("A new secret signs the next deliveries; the old one no longer does. Copy it now."),
        url_for("webhooks.detail", subscription_id=subscription_id),
    )


@bp.get("/<int:subscription_id>/deliveries/<int:delivery_id>")
@require("webhooks.admin")
def delivery(subscription_id: int, delivery_id: int) -> ResponseReturnValue:
    found = get_delivery(subscription_id, delivery_id)
    return render_template(
        "webhooks/delivery.html",
        delivery=found,
        subscription=found.subscription,
        button=ButtonForm(),
        dead=DeliveryState.DEAD,
    )


@bp.post("/<int:subscription_id>/deliveries/<int:delivery_id>/redeliver")
@require("webhooks.admin")
def redeliver(subscription_id: int, delivery_id: int) -> ResponseReturnValue:
    subscription = _button(subscription_id)
    if not isinstance(subscription, WebhookSubscription):
        return subscription
    found = get_delivery(subscription_id, delivery_id)
    here = url_for("webhooks.detail", subscription_id=subscription_id)
    try:
        services.redeliver(found, actor=current_user)
    except Invalid as error:
        return refused(error, lambda: get_subscription(subscription_id), _render)
    return saved(_("The delivery is sent again, with the same id."), here)

"""Subscribing to the weekly report mail and ending it. Personal: every function takes the
person and finds only their subscriptions. Services flush, never commit."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.errors import Invalid, NotFound
from app.extensions import db
from app.reports.saved import services as saved_views
from app.reports.subscriptions.models import WEEKDAYS, Subscription

DESK_REPORT = "reports.weekly"
"""The report a subscription without a saved view mails: the weekly figures page's."""


def subscriptions_of(user: User) -> list[Subscription]:
    """The person's subscriptions, oldest first."""
    return list(
        db.session.scalars(
            select(Subscription).where(Subscription.user_id == user.id).order_by(Subscription.id)
        )
    )


def get_subscription(user: User, subscription_id: int) -> Subscription:
    """:raise NotFound: the person has no such subscription."""
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None or subscription.user_id != user.id:
        raise NotFound(_("You have no weekly report with this number."))
    return subscription


def title_of(subscription: Subscription) -> str:
    """What the subscription's mail is called: its saved view's name, or the page's."""
    if subscription.saved_view is not None:
        return subscription.saved_view.name
    return _("Weekly figures of the desk")


def subscribe(user: User, *, report: str, weekday: int) -> tuple[Subscription, bool]:
    """Mail ``report`` to ``user`` every ``weekday`` (0 Monday ... 6 Sunday): ``"desk"`` for
    the desk's weekly figures, ``"saved:<id>"`` for a saved view of theirs. Subscribing again
    to the same report moves it to the new weekday. Returns (subscription, whether it is new).

    :raise Invalid: an unknown report or weekday (fields ``report``, ``weekday``).
    """
    if weekday not in range(len(WEEKDAYS)):
        raise Invalid({"weekday": _("Choose a day of the week.")})
    saved_view_id: int | None = None
    if report.startswith("saved:") and report[6:].isdecimal() and len(report) < 16:
        try:
            saved_view_id = saved_views.get_view(user, int(report[6:])).id
        except NotFound:
            raise Invalid({"report": _("You have no saved view with this number.")}) from None
    elif report != "desk":
        raise Invalid({"report": _("Choose the desk's figures or one of your saved views.")})
    existing = db.session.scalar(
        select(Subscription).where(
            Subscription.user_id == user.id,
            Subscription.saved_view_id.is_(None)
            if saved_view_id is None
            else Subscription.saved_view_id == saved_view_id,
        )
    )
    if existing is not None:
        existing.weekday = weekday
        db.session.flush()
        return existing, False
    subscription = Subscription(
        user_id=user.id,
        saved_view_id=saved_view_id,
        endpoint="" if saved_view_id else DESK_REPORT,
        query="",
        weekday=weekday,
    )
    db.session.add(subscription)
    db.session.flush()
    return subscription, True


def unsubscribe(subscription: Subscription) -> None:
    """End ``subscription`` (the weeks it mailed go with it)."""
    db.session.delete(subscription)
    db.session.flush()

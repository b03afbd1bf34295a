"""The weekly report mail: once a week per subscription, on or after its weekday, the figures
of the last full week (Monday to Sunday, the desk's time zone) go to the person through the
mail outbox (``queue_mail``: recorded in the caller's transaction, sent after commit), with a
link to the report and a signed link to unsubscribe (in the text, and one-click in the
``List-Unsubscribe`` header, RFC 8058). A ``report_mailings`` row per
subscription and week, written in the same transaction, makes a second run of the week send
nothing (and two runs at once: the second fails on its key and sends nothing either)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import Invalid
from app.extensions import db
from app.i18n.formats import day_text
from app.i18n.locale import in_language_of
from app.mail.outgoing.services import queue_mail
from app.notifications.mailing import absolute_url, mail_template, plain
from app.reports.saved.models import SavedView
from app.reports.subscriptions import links
from app.reports.subscriptions.figures import ReportView, Summary, measures_summary
from app.reports.subscriptions.models import Mailing, Subscription
from app.reports.subscriptions.services import title_of
from app.reports.subscriptions.weeks import Week, last_full_week, local_day
from app.timeutils import utc_now


def due_subscriptions(now: datetime, week: Week) -> list[Subscription]:
    """Subscriptions whose weekday has come this week and whose mail of ``week`` is not sent."""
    today = local_day(now, current_app.config["DESKGRAPH_TIMEZONE"])
    sent = select(Mailing.subscription_id).where(Mailing.week == week.monday)
    return list(
        db.session.scalars(
            select(Subscription)
            .where(Subscription.weekday <= today.weekday(), Subscription.id.not_in(sent))
            .order_by(Subscription.id)
        )
    )


def report_view(subscription: Subscription, week: Week) -> ReportView:
    """What ``subscription`` reports on over ``week``."""
    saved: SavedView | None = subscription.saved_view
    return ReportView(
        viewer=subscription.user,
        endpoint=saved.endpoint if saved else subscription.endpoint,
        query=saved.query if saved else subscription.query,
        title=title_of(subscription),
        week=week,
    )


def send_weekly(now: datetime | None = None, summary_for: Summary = measures_summary) -> int:
    """Queue the weekly mails due at ``now``; returns how many. People deactivated, without
    a mail address or with one that is no address get none (and nothing is recorded, so they
    get it once they have a good one)."""
    now = now or utc_now()
    week = last_full_week(now, current_app.config["DESKGRAPH_TIMEZONE"])
    sent = 0
    for subscription in due_subscriptions(now, week):
        person = subscription.user
        if not person.is_active or not person.email:
            continue
        with in_language_of(person):
            view = report_view(subscription, week)
            text, html = _bodies(subscription, view, summary_for(view))
            subject = _(
                "Weekly report: %(title)s, %(monday)s to %(sunday)s",
                title=view.title,
                monday=day_text(week.monday, year=False),
                sunday=day_text(week.sunday, year=False),
            )
        try:
            mail = queue_mail(
                to_address=person.email,
                subject=subject,
                text=text,
                html=html,
                recipient=person,
                kind="weekly_report",
                list_unsubscribe=absolute_url(
                    "reports.weekly_one_click", token=links.token(subscription)
                ),
            )
        except Invalid:
            continue  # an address the mail channel refuses: nothing sent, nothing recorded
        db.session.add(
            Mailing(subscription_id=subscription.id, week=week.monday, mail_id=mail.id, sent_at=now)
        )
        sent += 1
    db.session.flush()
    return sent


def _bodies(
    subscription: Subscription, view: ReportView, figures: list[tuple[str, Any]]
) -> tuple[str, str]:
    if subscription.saved_view_id is not None:
        report_link = absolute_url("reports.open_saved_view", view_id=subscription.saved_view_id)
    else:
        report_link = absolute_url(view.endpoint)
    context = {
        "recipient": subscription.user,
        "view": view,
        "figures": figures,
        "weekday": subscription.weekday_name,
        "report_link": report_link,
        "unsubscribe_link": absolute_url(
            "reports.weekly_unsubscribe", token=links.token(subscription)
        ),
        "zone": current_app.config["DESKGRAPH_TIMEZONE"],
    }
    return (
        plain(mail_template("reports/weekly/mail.txt", **context)),
        mail_template("reports/weekly/mail.html", **context),
    )

"""The weekly figures page (``/reports/weekly``: tickets opened, resolved and in the backlog per
week, a chart with its table and downloads, the person's weekly mails), subscribing and
unsubscribing there, and the mail's signed unsubscribe links: the one in the text (a page that
asks) and the one-click one of its ``List-Unsubscribe`` header (RFC 8058)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from app import exports, signed_links
from app.errors import DomainError, Invalid, NotFound
from app.extensions import csrf, db
from app.forms import commit_or_errors
from app.i18n.formats import weekday_name
from app.policy import public, require
from app.reports.blueprint import bp
from app.reports.saved import services as saved_views
from app.reports.subscriptions import links, services
from app.reports.subscriptions import permissions as _permissions  # noqa: F401  (rules)
from app.reports.subscriptions.figures import counts_table, weekly_counts
from app.reports.subscriptions.models import WEEKDAYS
from app.reports.subscriptions.weeks import last_weeks
from app.timeutils import utc_now

WEEK_CHOICES = (4, 8, 12, 26)
DEFAULT_WEEKS = 8


class SubscribeForm(FlaskForm):
    report = SelectField(_l("Report to mail"))
    weekday = SelectField(
        _l("Day of the week"),
        coerce=int,
        choices=[SelectChoice(n, day) for n, day in enumerate(WEEKDAYS)],
        validate_choice=False,
    )


def _subscribe_form(form: SubscribeForm | None = None) -> SubscribeForm:
    form = form or SubscribeForm(formdata=None)
    form.report.choices = [SelectChoice("desk", _("Weekly figures of the desk"))] + [
        SelectChoice(f"saved:{view.id}", _("Saved view: %(name)s", name=view.name))
        for view in saved_views.views_of(current_user)
    ]
    form.weekday.choices = [SelectChoice(n, weekday_name(n)) for n in range(len(WEEKDAYS))]
    return form


def _weeks_shown() -> tuple[int, str | None]:
    """The number of weeks asked for (``weeks=``), or the default and what was wrong."""
    asked = request.args.get("weeks", "").strip()
    if not asked:
        return DEFAULT_WEEKS, None
    if asked.isdecimal() and int(asked) in WEEK_CHOICES:
        return int(asked), None
    shown = ", ".join(map(str, WEEK_CHOICES))
    return DEFAULT_WEEKS, _(
        "Show %(choices)s weeks, not '%(asked)s'; here are %(default)s.",
        choices=shown,
        asked=asked,
        default=DEFAULT_WEEKS,
    )


def _page(form: SubscribeForm | None = None, status: int = 200) -> ResponseReturnValue:
    count, problem = _weeks_shown()
    weeks = last_weeks(utc_now(), current_app.config["DESKGRAPH_TIMEZONE"], count)
    table = counts_table(weekly_counts(current_user, weeks))
    export = request.args.get("export")
    if export is not None:
        if export != table.key:
            raise NotFound(_("This page has no table '%(name)s' to download.", name=export))
        if problem:
            raise Invalid({"weeks": problem})
        return exports.export_response(
            request.args.get("format"), f"tickets-per-week-{count}", table.columns, table.rows
        )
    return render_template(
        "reports/weekly/page.html",
        table=table,
        weeks=count,
        week_choices=WEEK_CHOICES,
        problem=problem,
        export_url=url_for("reports.weekly", weeks=count, export=table.key),
        subscriptions=services.subscriptions_of(current_user),
        title_of=services.title_of,
        form=_subscribe_form(form),
        csrf_form=FlaskForm(),
    ), (422 if problem else status)


@bp.get("/weekly")
@require("reports.weekly_mail")
def weekly() -> ResponseReturnValue:
    return _page()


@bp.post("/weekly/subscribe")
@require("reports.weekly_mail")
def weekly_subscribe() -> ResponseReturnValue:
    form = _subscribe_form(SubscribeForm())
    form.report.validate_choice = False  # the service names what is wrong
    result = []
    if form.validate_on_submit() and commit_or_errors(
        form,
        lambda: result.append(
            services.subscribe(
                current_user, report=form.report.data or "", weekday=form.weekday.data
            )
        ),
    ):
        subscription, new = result[0]
        title = services.title_of(subscription)
        day = subscription.weekday_name
        said = (
            _("You will receive '%(title)s' every %(weekday)s.", title=title, weekday=day)
            if new
            else _("You now receive '%(title)s' every %(weekday)s.", title=title, weekday=day)
        )
        flash(said, "success")
        return redirect(url_for("reports.weekly"))
    return _page(form, 422)


@bp.post("/weekly/<int:subscription_id>/stop")
@require("reports.weekly_mail")
def weekly_stop(subscription_id: int) -> ResponseReturnValue:
    subscription = services.get_subscription(current_user, subscription_id)
    if not FlaskForm().validate_on_submit():
        return _page(status=400)
    title = services.title_of(subscription)
    services.unsubscribe(subscription)
    db.session.commit()
    flash(_("You will no longer receive '%(title)s'.", title=title), "success")
    return redirect(url_for("reports.weekly"))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public
def weekly_unsubscribe(token: str) -> ResponseReturnValue:
    """From the mail: the GET asks, the POST stops the mail (no sign-in needed)."""
    try:
        _person_id, subscription = links.open_link(token)
    except DomainError as error:
        return signed_links.refusal(
            error, target=url_for("reports.weekly"), open_label="Open your weekly reports"
        )
    form = FlaskForm()
    title = services.title_of(subscription) if subscription is not None else ""
    done = subscription is None
    if subscription is not None and form.validate_on_submit():
        services.unsubscribe(subscription)
        db.session.commit()
        done = True
    return render_template(
        "reports/weekly/unsubscribe.html", form=form, title=title, done=done, token=token
    )


ONE_CLICK = "List-Unsubscribe=One-Click"


@bp.post("/unsubscribe/<token>/one-click")
@csrf.exempt
@public
def weekly_one_click(token: str) -> ResponseReturnValue:
    """The mail client's one-click unsubscribe (RFC 8058): a POST with the body
    ``List-Unsubscribe=One-Click`` and no cookies, so no CSRF token: the signed token is the
    proof. A GET is not served (scanners follow links); twice is no error."""
    if request.form.get("List-Unsubscribe") != "One-Click":
        return f"The body must be {ONE_CLICK}.\n", 400, {"Content-Type": "text/plain"}
    try:
        _person_id, subscription = links.open_link(token)
    except DomainError as error:
        return f"{error}\n", error.status, {"Content-Type": "text/plain"}
    if subscription is not None:
        services.unsubscribe(subscription)
        db.session.commit()
    return "Unsubscribed.\n", 200, {"Content-Type": "text/plain"}

"""The UI shell's helpers: navigation per role, time display, pagination arguments."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import Environment
from markupsafe import Markup, escape
from sqlalchemy import BindParameter, Integer, Select, bindparam, select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RoutingException

from app import policy
from app.extensions import db
from app.form_controls import control, field_control, form_field, option_tags
from app.i18n import formats
from app.i18n.stored import is_stored, render
from app.i18n.words import lazy_gettext as _l
from app.timeutils import to_zone
from app.version import __version__


@dataclass(frozen=True)
class NavItem:
    label: str | LazyString
    endpoint: str
    icon: str
    action: str
    # Endpoint prefixes of the pages that belong under this link (besides its own endpoint).
    also: tuple[str, ...] = ()

    def is_current(self, endpoint: str | None) -> bool:
        return bool(endpoint) and (endpoint == self.endpoint or endpoint.startswith(self.also))


@dataclass(frozen=True)
class NavSection:
    title: str | LazyString
    items: tuple[NavItem, ...]


NAVIGATION = (
    NavSection(
        _l("Self-service"),
        (
            NavItem(_l("Home"), "portal.home", "house", policy.SIGNED_IN),
            NavItem(
                _l("Report a problem"), "incidents.report", "exclamation-circle", "incidents.use"
            ),
            NavItem(_l("My tickets"), "incidents.mine", "ticket-detailed", "incidents.use"),
            NavItem(
                _l("Knowledge"), "kb.home", "book", "kb.read", also=("kb.article", "kb.category")
            ),
            NavItem(
                _l("Service catalog"),
                "requests.catalog",
                "bag",
                "requests.order",
                also=("requests.catalog_item", "requests.cart"),
            ),
            NavItem(
                _l("My requests"),
                "requests.mine",
                "list-check",
                "requests.order",
                also=("requests.detail",),
            ),
            NavItem(
                _l("My approvals"),
                "requests.approvals",
                "check2-square",
                "requests.order",
                also=("requests.approval", "requests.delegations"),
            ),
        ),
    ),
    NavSection(
        _l("Agent console"),
        (
            NavItem(
                _l("Incidents & tasks"),
                "incidents.console",
                "inboxes",
                "incidents.console",
                also=("incidents.new", "requests.task"),
            ),
            NavItem(
                _l("Configuration items"),
                "cmdb.index",
                "diagram-3",
                "cmdb.browse",
                also=("cmdb.detail", "cmdb.new", "cmdb.edit", "cmdb.graph", "cmdb.classes"),
            ),
            NavItem(_l("What if…"), "cmdb.what_if", "lightning", "cmdb.browse"),
            NavItem(_l("Alerts"), "alerts.recent", "activity", "alerts.view"),
            NavItem(_l("Clocks at risk"), "sla.at_risk", "hourglass-split", "sla.at_risk"),
            NavItem(
                _l("My articles"),
                "kb.mine",
                "journal-text",
                "kb.write",
                also=("kb.new", "kb.edit", "kb.versions", "kb.deflection"),
            ),
        ),
    ),
    NavSection(
        _l("Service owner"),
        (
            NavItem(
                _l("Major incident proposals"),
                "incidents.major_proposals",
                "exclamation-octagon",
                "incident.decide_major",
            ),
            NavItem(
                _l("SLA & reports"),
                "sla.index",
                "speedometer2",
                "sla.reports",
                also=("sla.policies", "sla.new_policy", "sla.edit_policy"),
            ),
            NavItem(
                _l("SLA reports"),
                "sla.reports_page",
                "graph-up",
                "sla.reports",
                also=("sla.ticket_slas", "sla.export_csv"),
            ),
            NavItem(_l("Satisfaction"), "surveys.report", "emoji-smile", "surveys.read_scores"),
            NavItem(
                _l("Business calendars"),
                "sla.calendars",
                "calendar-week",
                "sla.calendars",
                also=("sla.new_calendar", "sla.edit_calendar"),
            ),
        ),
    ),
    NavSection(
        _l("Reports"),
        (
            NavItem(
                _l("Dashboards"),
                "reports.index",
                "bar-chart-line",
                "reports.view",
                also=("reports.",),
            ),
        ),
    ),
    NavSection(
        _l("Administration"),
        (
            NavItem(
                _l("People"),
                "admin.users",
                "people",
                "admin.users",
                also=(
                    "admin.user",
                    "admin.create_user",
                    "admin.update_user",
                    "admin.update_roles",
                    "admin.set_active",
                    "admin.reset_password",
                ),
            ),
            NavItem(
                _l("Groups"),
                "admin.groups",
                "diagram-2",
                "groups.view",
                also=(
                    "admin.group",
                    "admin.create_group",
                    "admin.update_group",
                    "admin.add_members",
                    "admin.remove_member",
                ),
            ),
            NavItem(
                _l("Service catalog"),
                "requests.admin_catalog",
                "bag-check",
                "requests.admin",
                also=("requests.admin_",),
            ),
            NavItem(
                _l("Incident settings"),
                "incidents.settings",
                "sliders",
                "incidents.admin",
                also=(
                    "incidents.propose_size",
                    "incidents.save_priority_matrix",
                    "incidents.add_routing_rule",
                ),
            ),
            NavItem(
                _l("Mail outbox"), "mail.outbox", "envelope", "mail.admin", also=("mail.outbox_",)
            ),
            NavItem(_l("Notifications"), "notifications.settings", "bell", "notifications.admin"),
            NavItem(
                _l("Mailboxes"),
                "mail.mailboxes_page",
                "envelope-arrow-down",
                "mail.admin",
                also=("mail.new_mailbox", "mail.edit_mailbox", "mail.quarantine_page"),
            ),
            NavItem(_l("Surveys"), "surveys.settings", "ui-checks", "surveys.configure"),
            NavItem(
                _l("Alert sources"),
                "alerts.sources",
                "router",
                "alerts.admin",
                also=("alerts.edit_source",),
            ),
            NavItem(
                _l("Webhooks"), "webhooks.index", "broadcast", "webhooks.admin", also=("webhooks.",)
            ),
            NavItem(
                _l("Imports"),
                "imports.index",
                "box-arrow-in-down",
                "imports.admin",
                also=("imports.",),
            ),
        ),
    ),
)


NAV_ACTIONS = tuple(dict.fromkeys(item.action for s in NAVIGATION for item in s.items))


def navigation_for(user: Any) -> list[NavSection]:
    """The sections and links this user may use; empty sections are left out (each action
    asked once: several links share one)."""
    allowed = {action: policy.can(user, action) for action in NAV_ACTIONS}
    sections = []
    for section in NAVIGATION:
        items = tuple(item for item in section.items if allowed[item.action])
        if items:
            sections.append(NavSection(section.title, items))
    return sections


SHELL_COUNTS = "deskgraph_shell_counts"  # app.extensions key: {name: (query(user), shown(user))}
SHELL_STATEMENTS = "deskgraph_shell_statements"  # app.extensions key: {names shown: statement}
NAV_COUNT = "nav:"  # the name of a navigation link's count: "nav:" and the link's endpoint


@dataclass(frozen=True)
class CountUser:
    """The person a registered count's ``query(user)`` is built for: ``id`` is a bind
    parameter, given the signed-in person's id when the statement runs."""

    id: BindParameter[int] = bindparam("shell_user_id", type_=Integer)


COUNT_USER = CountUser()


def register_shell_count(
    app: Flask,
    name: str,
    query: Callable[[Any], Select[Any]],
    shown: Callable[[Any], bool] = lambda _user: True,
) -> None:
    """A number the page shell shows the signed-in person (the bell's unread notifications,
    the approvals waiting beside "My approvals"): ``query(user)`` is a ``SELECT`` of that one
    number, ``shown(user)`` whether the page shows it to them. A domain registers it in its
    ``register(app)``; every count a page shows is read in one statement (:func:`shell_count`).

    The statement is built once per process for each set of counts shown, not per request:
    ``query`` is called with :data:`COUNT_USER`, whose ``id`` is a bind parameter, so it may
    read nothing else of the person, and whatever changes between requests (the time) must
    be a bind parameter valued when the statement runs (``bindparam(callable_=...)``)."""
    app.extensions.setdefault(SHELL_COUNTS, {})[name] = (query, shown)


def register_nav_count(app: Flask, endpoint: str, query: Callable[[Any], Select[Any]]) -> None:
    """Show the number ``query(user)`` selects beside the navigation link to ``endpoint`` when
    it is not zero (e.g. the approvals waiting for the person), on the pages whose navigation
    shows the link to the person; keep it one cheap, indexed count (built as
    :func:`register_shell_count` says)."""
    actions = {
        item.action for section in NAVIGATION for item in section.items if item.endpoint == endpoint
    }
    register_shell_count(
        app,
        NAV_COUNT + endpoint,
        query,
        lambda user: any(policy.can(user, action) for action in actions),
    )


def _counts_statement(names: tuple[str, ...]) -> Select[Any]:
    """The one ``SELECT`` of the counts ``names`` as scalar subqueries, built on first use
    and kept for the application's life (its values are bind parameters)."""
    statements = current_app.extensions.setdefault(SHELL_STATEMENTS, {})
    statement: Select[Any] | None = statements.get(names)
    if statement is None:
        counts = current_app.extensions[SHELL_COUNTS]
        statement = statements[names] = select(
            *(
                counts[name][0](COUNT_USER)
                .scalar_subquery()
                .label(name.replace(":", "_").replace(".", "_"))
                for name in names
            )
        )
    return statement


def shell_count(name: str) -> int | None:
    """The signed-in person's count registered as ``name`` (None when there is none, or the
    page does not show it to them). The first call of a request reads every count shown to
    the person in one ``SELECT`` of scalar subqueries and keeps them for the request (never
    longer: another node may change them). ``base.html`` asks where it shows them, so a
    fragment or a mail rendered in a request reads none."""
    counts = _shell_counts()
    return None if counts is None else counts.get(name)


def _shell_counts() -> dict[str, int] | None:
    if not has_request_context():
        return None
    counts: dict[str, int] | None = g.get("shell_counts")
    if counts is None:
        user = current_user._get_current_object()
        if not user or not user.is_authenticated:
            return None
        names = tuple(
            key
            for key, (_query, shown) in current_app.extensions.get(SHELL_COUNTS, {}).items()
            if shown(user)
        )
        row = (
            db.session.execute(_counts_statement(names), {COUNT_USER.id.key: user.id}).one()
            if names
            else ()
        )
        counts = g.shell_counts = {
            key: int(value or 0) for key, value in zip(names, row, strict=True)
        }
    return counts


@dataclass(frozen=True, slots=True)
class NavLink:
    """A navigation link as the page shows it."""

    label: str | LazyString
    href: str
    icon: str
    current: bool  # the page shown is this link's (or one of the pages under it)
    count: int  # the number beside it (0: none shown)


@dataclass(frozen=True, slots=True)
class NavLinks:
    title: str | LazyString
    links: tuple[NavLink, ...]


MOST_ROOTS = 4  # the script roots whose navigation addresses are kept (a proxy sets one)


def _hrefs(root: str) -> dict[str, str]:
    """The navigation's addresses under the script root ``root``, by endpoint, kept for the
    application's life: a link's address takes no argument and the routes do not change, so
    ``url_for`` (some twenty calls each, sixteen links a page) answers each once. Past
    :data:`MOST_ROOTS` roots (a forwarded prefix a client may set) nothing more is kept."""
    kept = current_app.extensions.setdefault("deskgraph_nav_hrefs", {})
    if root in kept or len(kept) < MOST_ROOTS:
        return cast(dict[str, str], kept.setdefault(root, {}))
    return {}


def page_navigation() -> list[NavLinks]:
    """The navigation of the page being rendered: the signed-in person's sections and links
    (:func:`navigation_for`) with their addresses, the current page's link and the counts
    beside them. ``base.html`` asks where it shows it, so a fragment or a mail rendered in a
    request computes none of it."""
    user = current_user._get_current_object() if has_request_context() else None
    if not user:
        return []
    counts = _shell_counts() or {}
    endpoint = request.endpoint
    hrefs = _hrefs(request.script_root)
    return [
        NavLinks(
            section.title,
            tuple(
                NavLink(
                    item.label,
                    hrefs.get(item.endpoint)
                    or hrefs.setdefault(item.endpoint, url_for(item.endpoint)),
                    item.icon,
                    item.is_current(endpoint),
                    counts.get(NAV_COUNT + item.endpoint, 0),
                )
                for item in section.items
            ),
        )
        for section in navigation_for(user)
    ]


def viewer_timezone() -> str:
    zone = getattr(current_user._get_current_object(), "timezone", None)
    return zone or current_app.config["DESKGRAPH_TIMEZONE"]


def format_datetime(value: datetime | None, style: str = "long", zone: str | None = None) -> str:
    """A UTC timestamp in the viewer's time zone (or ``zone``: a mail's recipient's) and
    language, in the one format every page uses: ``6 Dec 2026 07:58 CET`` (``6 dec. 2026 07:58
    CET`` in Swedish; ``short`` leaves the year out: ``6 Dec 07:58 CET``)."""
    local = to_zone(value, zone or viewer_timezone())
    if local is None:
        return "—"
    return formats.datetime_text(local, short=style == "short")


def format_range(start: datetime, end: datetime) -> str:
    """Two instants in the viewer's zone; the end only as a time when it is the same day:
    ``6 Dec 2026 07:58–09:30 CET`` or ``6 Dec 2026 17:00 CET – 7 Dec 2026 09:00 CET``."""
    zone = viewer_timezone()
    first, last = to_zone(start, zone), to_zone(end, zone)
    assert first is not None
    assert last is not None
    if first.date() == last.date() and first.tzname() == last.tzname():
        opening = formats.datetime_text(first).removesuffix(f" {first.strftime('%Z')}")
        return f"{opening}–{formats.time_text(last)}"
    return f"{format_datetime(start)} – {format_datetime(end)}"


def time_tag(value: datetime | None, style: str = "long", zone: str | None = None) -> Markup:
    """``<time datetime="…">`` with the machine-readable UTC instant and the viewer's text (in
    ``zone`` when given: a list of many tags finds the viewer's once)."""
    if value is None:
        return Markup("—")
    # The instant is digits and separators, nothing to escape; Markup.format's formatter
    # escaping both cost some forty calls a tag (a timeline writes one per entry).
    text = escape(format_datetime(value, style, zone))
    return Markup(f'<time datetime="{formats.utc_iso(value)}">{text}</time>')


def explained(line: Any) -> Markup:
    """One line of an explanation built by a pure module, or any text the desk stored (the
    ``worded`` filter: a journal line, a delivery error), with every instant in the viewer's
    zone: a stored message (:mod:`app.i18n.stored`) in the viewer's language, or (stored
    before lines were messages) its text and instants as they are."""
    if is_stored(line):
        return Markup(render(line, _escaped_gettext, _explained_arg))
    out = Markup()
    for part in (line,) if isinstance(line, str) else line:
        out += _explained_arg(part)
    return out


def _escaped_gettext(msg: str) -> Markup:
    return escape(_(msg))


def _explained_arg(value: Any) -> Any:
    """A parameter of an explanation's line as the viewer reads it: instants and spans as
    ``<time>`` tags in their zone, lengths of business time in hours and minutes (never days:
    a business day is not 24 hours)."""
    if isinstance(value, datetime):
        return time_tag(value)
    if isinstance(value, tuple):
        return Markup('<time datetime="{}">{}</time>').format(
            formats.utc_iso(value[0]), format_range(*value)
        )
    if isinstance(value, timedelta):
        hours, minutes = divmod(int(value.total_seconds() // 60), 60)
        if hours:
            return _("%(hours)s h %(minutes)s min", hours=hours, minutes=str(minutes).zfill(2))
        return _("%(minutes)s min", minutes=minutes)
    return value


def audit_value(value: Any) -> str:
    """An audited old or new value as a person reads it."""
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


MAX_PAGE = 100_000


def page_args(default_per_page: int | None = None) -> tuple[int, int]:
    """``page`` and ``per_page`` from the query string, clamped to sane values."""
    per_page_default = default_per_page or current_app.config["PER_PAGE"]
    page = request.args.get("page", 1, type=int) or 1
    per_page = request.args.get("per_page", per_page_default, type=int) or per_page_default
    return min(max(page, 1), MAX_PAGE), min(max(per_page, 5), 100)


def url_with(args: Mapping[str, Any] | None = None, /, **changes: Any) -> str:
    """The current page's URL with some query arguments changed (``None`` removes one; a list
    gives several values).

    ``args`` are the arguments to start from: by default the request's (every value kept); a
    list page passes its filter form's understood ones, so that its links never carry a value
    it ignored. The query string is appended to the path, not given to ``url_for`` as keywords,
    so arguments named like ``url_for``'s own (``endpoint``, ``_method``, ``_external``...) are
    ordinary arguments rather than a crash.
    """
    query = MultiDict(request.args if args is None else args)
    for key, value in changes.items():
        if value is None:
            query.poplist(key)
        else:
            query.setlist(key, list(value) if isinstance(value, list | tuple) else [value])
    path = url_for(request.endpoint or "portal.home", **(request.view_args or {}))
    return f"{path}?{urlencode(list(query.items(multi=True)))}" if query else path


def reload_address() -> str:
    """The address a page answering a form post shows, so that a reload asks for the page
    by GET instead of posting the form again ("" when none).

    Successful posts redirect; a page rendered for a post is a refusal (a 422 with the
    person's input and errors) or a result such as an import's dry run. It shows the posted
    address when that address also answers GET; pages whose post goes elsewhere name their
    own address through ``replace_url`` (the incident page does)."""
    if request.method != "POST":
        return ""
    try:
        current_app.create_url_adapter(request).match(request.path, method="GET")
    except HTTPException:  # no GET there (405), or a redirect
        return ""
    except RoutingException:
        return ""
    return request.full_path.rstrip("?")


def format_day(value: date | None, year: bool = True) -> str:
    """A calendar day as people read it ("6 Dec 2026"; "6 Dec" without the year): days carry
    no time, so no zone applies (a date's zone, when it has one, is said beside it)."""
    if value is None:
        return ""
    return formats.day_text(value, year)


def _share_globals(env: Environment) -> None:
    """Let a template loaded without globals of its own use the environment's globals
    themselves, not Jinja's ``ChainMap`` over them. Jinja reads a template's globals on every
    render, include and ``{% from ... import %}``: it copies them into each new context and,
    for each import, takes the importing template's keys less the imported one's, through
    ``ChainMap``'s methods in Python, some 250 function calls per import (a page imports several
    macro files). A dict reads the same names, in C. What a template is given
    as its own globals (``from_string(source, globals)``) is still laid over them; nothing
    here passes a template globals when getting it, which would add them to every template's.
    """
    overlay = env.make_globals

    def make_globals(own: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return overlay(own) if own else env.globals

    env.make_globals = make_globals  # type: ignore[method-assign, assignment]


def init_templates(app: Flask) -> None:
    _share_globals(app.jinja_env)
    app.jinja_env.globals.update(
        can=lambda action, obj=None: policy.can(current_user, action, obj),
        url_with=url_with,
        reload_address=reload_address,
        navigation=page_navigation,
        shell_count=shell_count,
        deskgraph_version=__version__,
        control=control,
        field_control=field_control,
        form_field=form_field,
        option_tags=option_tags,
    )
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["time_tag"] = time_tag
    app.jinja_env.filters["explained"] = explained
    app.jinja_env.filters["worded"] = explained  # any stored text: a journal line, an error
    app.jinja_env.filters["audit_value"] = audit_value
    formats.install(app.jinja_env.filters)

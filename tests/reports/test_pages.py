"""The dashboards under /reports/: who opens which, what each counts, the drill-down from every
figure to exactly the tickets it counts, and bad filters refused with a 422 page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from app.incidents import services
from app.incidents.workflow import State, Transition
from app.timeutils import utc_now
from tests.conftest import Client, count_queries

ALWAYS_OPEN = [[["00:00", "24:00"]]] * 7
FIGURE = re.compile(
    r'<a class="dg-tile" href="([^"]+)" data-figure="(\w+)">\s*'
    r'<span><span class="dg-stat">(\d+)</span>'
)
CELL = re.compile(r'<td class="text-end"><a href="([^"]+)">(\d+)</a></td>')
NUMBER = re.compile(r'href="/incidents/(INC\d+)"')
EMPTY_FORM = "start=&end=&group=&service=&category=&priority=&channel="


def form(**values: Any) -> str:
    """The filter form's query string as a browser sends it: every field, empty or not."""
    fields = dict.fromkeys(
        ("start", "end", "group", "service", "category", "priority", "channel"), ""
    )
    return "&".join(f"{k}={v}" for k, v in (fields | values).items())


def _resolve(incident: Any, actor: Any, when: Any) -> None:
    services.change_state(
        incident,
        Transition(State.RESOLVED, resolution_code="solved_remotely", resolution_notes="Done"),
        actor=actor,
        now=when,
    )


@pytest.fixture
def desk(db, make_user, queue, policy, calendar_row, make_incident, business_service) -> dict:
    """Network (managed by ``manager``, worked by ``agent``) with a one-hour resolution SLA
    around the clock; Apps, managed by someone else; ERP, a service ``owner`` owns."""
    from app.sla.jobs import run_tick

    manager = make_user("manager", roles=["agent", "employee"])
    agent = make_user("agent", roles=["agent", "employee"])
    owner = make_user("owner", roles=["service_owner", "employee"])
    admin = make_user("boss", roles=["admin", "employee"])
    network = queue("Network", members=(agent, manager), manager_id=manager.id)
    apps = queue("Apps", members=(agent,), manager_id=admin.id)
    policy(network, calendar_row(week=ALWAYS_OPEN), targets={p: 60 for p in range(1, 6)})
    erp = business_service("ERP", owner)
    now = utc_now()
    made = {
        "fresh": make_incident(
            short_description="fresh", assignment_group=network, now=now - timedelta(minutes=40)
        ),
        "late": make_incident(
            short_description="late",
            assignment_group=network,
            affected_service="ERP",
            now=now - timedelta(days=2),
        ),
        "done": make_incident(
            short_description="done",
            assignment_group=network,
            affected_service="ERP",
            now=now - timedelta(days=5),
        ),
        "ancient": make_incident(
            short_description="ancient", assignment_group=network, now=now - timedelta(days=45)
        ),
        "apps": make_incident(
            short_description="apps", assignment_group=apps, now=now - timedelta(days=1)
        ),
    }
    services.assign_incident(made["late"], group=network, assignee=agent, actor=manager)
    services.assign_incident(made["done"], group=network, assignee=agent, actor=manager)
    services.assign_incident(made["apps"], group=apps, assignee=agent, actor=manager)
    _resolve(made["done"], agent, now - timedelta(days=1))
    db.session.commit()
    run_tick(now)
    db.session.commit()
    return {
        "manager": manager,
        "agent": agent,
        "owner": owner,
        "admin": admin,
        "erp": erp,
        "network": network,
        "apps": apps,
        **made,
    }


def _figures(html: str) -> dict[str, tuple[str, int]]:
    return {name: (href.replace("&amp;", "&"), int(n)) for href, name, n in FIGURE.findall(html)}


def _listed(client: Any, href: str) -> set[str]:
    response = client.get(href)
    assert response.status_code == 200, href
    return set(NUMBER.findall(response.get_data(as_text=True)))


def _numbers(desk: dict, *keys: str) -> set[str]:
    return {desk[k].number for k in keys}


@pytest.mark.parametrize(
    ("who", "dashboards"),
    [
        ("agent", {"agent"}),
        ("manager", {"agent", "groups"}),
        ("owner", {"services"}),
        ("admin", {"agent", "groups", "services", "overview"}),
    ],
)
def test_the_index_lists_the_dashboards_each_person_may_open(client, desk, who, dashboards):
    client.login(desk[who].username)
    html = client.get("/reports/").get_data(as_text=True)
    assert set(re.findall(r'data-dashboard="(\w+)"', html)) == dashboards
    for name in ("agent", "groups", "services", "overview"):
        status = client.get(f"/reports/{name}").status_code
        assert status == (200 if name in dashboards else 403), name
        listing = client.get(f"/reports/{name}/tickets?set=backlog").status_code
        assert listing == (200 if name in dashboards else 403), name


def test_employees_have_no_reports(signed_in):
    client, _ = signed_in("employee")
    assert client.get("/reports/").status_code == 403


def test_a_group_manager_sees_their_groups_only(client, desk):
    client.login(desk["manager"].username)
    html = client.get("/reports/groups").get_data(as_text=True)
    figures = _figures(html)
    assert figures["backlog"][1] == 3  # fresh, late, ancient: not the Apps one
    assert _listed(client, figures["backlog"][0]) == _numbers(desk, "fresh", "late", "ancient")
    assert figures["opened"][1] == 3  # in the last 30 days: not ancient, not Apps
    assert figures["resolved"][1] == 1
    assert figures["breaching"][1] == 2  # a one-hour target around the clock: late, ancient
    assert _listed(client, figures["breaching"][0]) == _numbers(desk, "late", "ancient")
    assert figures["at_risk"][1] == 1  # 40 minutes of 60: past the first warning (50 %)
    assert _listed(client, figures["at_risk"][0]) == _numbers(desk, "fresh")
    assert ">Apps<" not in html
    refused = client.get(f"/reports/groups?{form(group=desk['apps'].id)}")
    assert refused.status_code == 422
    assert "Group “" in refused.get_data(as_text=True)
    listing = client.get(f"/reports/groups/tickets?set=backlog&group={desk['apps'].id}")
    assert listing.status_code == 422


@pytest.mark.parametrize(
    ("who", "dashboard"),
    [("agent", "agent"), ("manager", "groups"), ("owner", "services"), ("admin", "overview")],
)
def test_every_figure_lists_exactly_the_tickets_it_counts(client, desk, who, dashboard):
    client.login(desk[who].username)
    html = client.get(f"/reports/{dashboard}?{EMPTY_FORM}").get_data(as_text=True)
    links = [(href, int(n)) for href, _, n in FIGURE.findall(html)]
    links += [(href, int(n)) for href, n in CELL.findall(html)]
    assert len(links) > 10
    counted = 0
    for href, value in links:
        if value or "day=" not in href:  # every figure, and the non-empty rows of the trend
            assert len(_listed(client, href.replace("&amp;", "&"))) == value, href
            counted += value
    assert counted  # the desk is not empty: some figures count tickets
    # Agents drill down to the console with the same filters where it can say the set; others
    # (and sets it cannot say) to the reports' own list.
    consoled = {href.startswith("/incidents/?") for href, _ in links}
    assert consoled == ({True, False} if who in ("agent", "manager") else {False})


def test_the_agent_sees_their_own_work(client, desk):
    client.login(desk["agent"].username)
    figures = _figures(client.get("/reports/agent").get_data(as_text=True))
    assert _listed(client, figures["backlog"][0]) == _numbers(desk, "late", "apps")
    assert _listed(client, figures["breaching"][0]) == _numbers(desk, "late")
    assert _listed(client, figures["resolved"][0]) == _numbers(desk, "done")
    assert figures["resolved_today"][1] == 0


def test_a_service_owner_sees_their_services(client, desk):
    client.login(desk["owner"].username)
    html = client.get("/reports/services").get_data(as_text=True)
    figures = _figures(html)
    assert _listed(client, figures["backlog"][0]) == _numbers(desk, "late")
    assert _listed(client, figures["opened"][0]) == _numbers(desk, "late", "done")
    assert ">ERP<" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-03-10&end=2026-03-01", "The range ends before it starts."),
        ("start=2015-01-01&end=2025-01-01", "more than 3 years"),
        ("end=2999-01-01", "ends in the future"),
        ("start=yesterday", "is not a date"),
        ("colour=red", "Unknown filter: colour."),
        ("channel=pigeon", "Channel “pigeon” is unknown"),
        ("priority=42", "Priority “42” is unknown"),
        ("category=Nope", "Category “Nope” is unknown"),
        ("service=99999", "Service “99999” is unknown"),
    ],
)
def test_bad_filters_are_refused_with_a_message(client, desk, query, message):
    client.login(desk["admin"].username)
    values = dict(pair.split("=") for pair in query.split("&"))
    for path in ("/reports/overview?", "/reports/overview/tickets?set=opened&"):
        response = client.get(path + form(**values))
        assert response.status_code == 422, path
        assert message in response.get_data(as_text=True)


def test_a_bad_drill_down_is_refused(client, desk):
    client.login(desk["admin"].username)
    for query in (
        "set=nonsense",
        "set=opened&day=1999-01-01",
        "set=backlog&age=old",
        "set=opened&assignee=x",
    ):
        response = client.get(f"/reports/overview/tickets?{query}")
        assert response.status_code == 422, query


def test_the_whole_form_as_a_browser_sends_it(client, desk):
    client.login(desk["admin"].username)
    response = client.get(f"/reports/overview?{EMPTY_FORM}")
    assert response.status_code == 200
    assert "data-error" not in response.get_data(as_text=True)


@pytest.mark.parametrize("extra", [0, 20])
def test_each_dashboard_issues_a_bounded_number_of_queries(client, desk, make_incident, db, extra):
    for n in range(extra):
        make_incident(
            short_description=f"more {n}", assignment_group=desk["network"], affected_service="ERP"
        )
    client.login(desk["admin"].username)
    budgets = {}
    for name in ("agent", "groups", "services", "overview"):
        with count_queries() as statements:
            assert client.get(f"/reports/{name}").status_code == 200
        budgets[name] = len(statements)
    # The same bound whatever the number of tickets (the runs add none and 20 more); three
    # of the statements are the shell's (sign-in, approvals and notifications counts), one
    # the page's saved views.
    assert all(budgets[name] <= BUDGET[name] for name in BUDGET), budgets


# The overview and groups pages read their tiles, trend and measures' counts from one read
# of the daily rollup and their live counts per queue with one statement (34-38 before).
BUDGET = {"agent": 19, "groups": 20, "services": 33, "overview": 20}


@pytest.mark.parametrize(
    ("who", "dashboards"),
    [
        ("agent", {"agent"}),
        ("manager", {"agent", "groups"}),
        ("owner", {"services"}),
        ("admin", {"agent", "groups", "services", "overview"}),
    ],
)
def test_each_home_links_to_its_dashboards(client, desk, who, dashboards):
    client.login(desk[who].username)
    html = client.get("/").get_data(as_text=True)
    assert set(re.findall(r'data-dashboard-link="(\w+)"', html)) == dashboards


MEASURE = re.compile(r'href="([^"]+)" data-measure="(\w+)" data-count="(\d+)"')


@pytest.mark.parametrize(("who", "dashboard"), [("manager", "groups"), ("admin", "overview")])
def test_each_measure_lists_the_tickets_it_counts(client, desk, who, dashboard):
    client.login(desk[who].username)
    html = client.get(f"/reports/{dashboard}?{EMPTY_FORM}").get_data(as_text=True)
    found = {name: (href.replace("&amp;", "&"), int(n)) for href, name, n in MEASURE.findall(html)}
    assert {"resolution_time", "sla_compliance", "reopen_rate"} <= set(found)
    href, count = found["resolution_time"]
    assert count == 1
    assert _listed(client, href) == _numbers(desk, "done")
    for name in ("reopen_rate", "sla_compliance"):
        href, count = found[name]
        assert len(_listed(client, href)) == count, name


def test_an_owner_of_no_service_sees_no_measure_of_the_desk(client, desk, make_user):
    owner = make_user("lonely", roles=["service_owner"])
    client.login(owner.username)
    html = client.get("/reports/services").get_data(as_text=True)
    assert "data-measure=" not in html
    assert client.get("/reports/services/tickets?measure=csat").status_code == 422


def test_each_table_downloads_as_csv_and_xlsx(client, desk):
    client.login(desk["manager"].username)
    html = client.get(f"/reports/groups?{EMPTY_FORM}").get_data(as_text=True)
    links = re.findall(r'href="([^"]+)" data-export="csv"', html)
    assert len(links) == 4  # queue health, backlog age, workload, trend
    health = next(link.replace("&amp;", "&") for link in links if "export=groups" in link)
    csv = client.get(health, buffered=True)  # a streamed body, read while it is served
    assert csv.status_code == 200
    lines = csv.get_data(as_text=True).removeprefix("\ufeff").splitlines()  # BOM for Excel
    assert lines[0] == "Group,Open now,Unassigned,At risk,SLA breached"
    assert lines[1:] == ["Network,3,2,1,2"]  # plain numbers, no links
    xlsx = client.get(health.replace("format=csv", "format=xlsx"), buffered=True)
    assert xlsx.status_code == 200
    assert xlsx.data[:2] == b"PK"
    assert client.get(f"/reports/groups?{EMPTY_FORM}&export=nope&format=csv").status_code == 404
    bad = client.get(health.replace("format=csv", "format=pdf"))
    assert bad.status_code == 422


def test_a_dashboard_counts_a_service_as_the_measure_does(app, client, desk, make_incident, db):
    """One definition of "on a service" (its affected service): the service owner's count,
    the measure over the same scope and the drill-down list agree, and an incident that only
    links the service's CI is counted by none of them."""
    from app.reports.measures import measure, tickets_in
    from app.reports.scope import Scope

    linked_only = make_incident(
        short_description="links ERP", assignment_group=desk["network"], ci_ids=[desk["erp"].id]
    )
    client.login(desk["owner"].username)
    html = client.get("/reports/services").get_data(as_text=True)
    href, shown = _figures(html)["opened"]
    listed = _listed(client, href)

    today = utc_now().date()
    scope = Scope(
        today - timedelta(days=29), today, services=(desk["erp"].id,), kinds=("incident",)
    )
    figure = measure("opened").compute(scope)
    ids = set(db.session.scalars(tickets_in("opened", scope)))
    assert shown == figure.count == len(listed) == len(ids) == 2
    assert listed == _numbers(desk, "late", "done")
    assert linked_only.number not in listed
    # The per-service row and the service filter of the overview say the same.
    erp_row = re.search(r">ERP</th>(.*?)</tr>", html, re.S)
    assert erp_row is not None
    assert [int(n) for _, n in CELL.findall(erp_row.group(1))][3] == figure.count  # opened
    admin = Client(app.test_client())
    admin.login(desk["admin"].username)
    overview = admin.get(f"/reports/overview?{form(service=desk['erp'].id)}")
    assert _figures(overview.get_data(as_text=True))["opened"][1] == figure.count


def test_report_days_are_the_organisation_s_days(
    app, client, make_user, queue, make_incident, db, monkeypatch
):
    """In New York an incident opened at 02:00 UTC was opened the evening before: the facts,
    the trend, its drill-down and the measures put it on that day, and the page says the zone."""
    from app.reports.measures import measure
    from app.reports.rollups.models import TicketFact
    from app.reports.scope import Scope

    monkeypatch.setitem(app.config, "DESKGRAPH_TIMEZONE", "America/New_York")
    admin = make_user("boss", roles=["admin", "employee"])
    network = queue("Network")
    today = utc_now().date()
    late = datetime.combine(today - timedelta(days=3), time(2, 0), tzinfo=UTC)
    evening = late.date() - timedelta(days=1)  # 21:00 the day before in New York
    incident = make_incident(short_description="late", assignment_group=network, now=late)
    fact = db.session.get(TicketFact, incident.id)
    assert (fact.opened_day, fact.opened_hour) == (evening, 21)

    client.login(admin.username)
    html = client.get(f"/reports/overview?{EMPTY_FORM}").get_data(as_text=True)
    assert "America/New_York)." in html
    trend = {
        re.search(r"day=([\d-]+)", href.replace("&amp;", "&")).group(1): int(n)  # type: ignore[union-attr]
        for href, n in CELL.findall(html)
        if "set=opened" in href and "day=" in href
    }
    assert trend[evening.isoformat()] == 1
    assert trend[late.date().isoformat()] == 0
    listed = _listed(client, f"/reports/overview/tickets?{EMPTY_FORM}&set=opened&day={evening}")
    assert listed == {incident.number}

    scope = Scope(evening, late.date(), kinds=("incident",))
    by_day = {p.key: p.count for p in measure("opened").compute(scope, by="day").series}
    assert by_day == {evening: 1, late.date(): 0}


def test_a_dashboard_reads_in_swedish_for_a_swedish_browser(client, desk):
    client.login(desk["admin"].username)
    swedish = client.get("/reports/overview", headers={"Accept-Language": "sv"})
    html = swedish.get_data(as_text=True)
    assert "Översikt över servicedesken" in html
    assert "Öppna nu" in html
    assert "Filtrera" in html
    refused = client.get("/reports/overview?colour=red", headers={"Accept-Language": "sv"})
    assert refused.status_code == 422
    assert "Okänt filter: colour." in refused.get_data(as_text=True)
    english = client.get("/reports/overview").get_data(as_text=True)
    assert "Service desk overview" in english
    assert "Open now" in english
    assert "Översikt över servicedesken" not in english


def test_the_workload_table_counts_whole_months_as_its_list_does(client, desk, make_incident, db):
    """Over a range with whole months the resolved-per-agent column sums the monthly rollup:
    it counts what its drill-down lists, for the manager's queues and with a queue filter."""
    now = utc_now()
    old = make_incident(
        short_description="old", assignment_group=desk["network"], now=now - timedelta(days=80)
    )
    services.assign_incident(
        old, group=desk["network"], assignee=desk["agent"], actor=desk["agent"]
    )
    _resolve(old, desk["agent"], now - timedelta(days=60))
    db.session.commit()
    client.login(desk["manager"].username)
    start, end = (now - timedelta(days=120)).date().isoformat(), now.date().isoformat()
    for query in (form(start=start, end=end), form(start=start, end=end, group=desk["network"].id)):
        html = client.get(f"/reports/groups?{query}").get_data(as_text=True)
        resolved = [
            (href.replace("&amp;", "&"), int(n))
            for href, n in CELL.findall(html)
            if "resolved" in href and "assignee=" in href
        ]
        assert len(resolved) == 1
        href, shown = resolved[0]
        assert shown == 2
        assert _listed(client, href) == {old.number, desk["done"].number}

"""Role homes: a service owner sees the health of the services they own and the major-incident
proposals waiting for them; an administrator of a new desk sees the first steps, ticked as the
database shows them done."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.timeutils import utc_now

ALWAYS_OPEN = [[["00:00", "24:00"]]] * 7


def _steps(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-step="(\w+)" data-done="(yes|no)"', html))


@pytest.fixture
def owner_desk(db, make_user, queue, policy, calendar_row, make_incident, business_service):
    """The owner of ERP and CRM; ERP has a breached, an at-risk, a calm and a proposed major
    incident (on a queue with a one-hour resolution target around the clock); CRM has none;
    Printing belongs to someone else."""
    from app.incidents import services

    owner = make_user("svc_owner", roles=["service_owner", "employee"])
    someone = make_user(roles=["service_owner"])
    agent = make_user(roles=["agent"])
    apps = queue("Applications")
    policy(apps, calendar_row(week=ALWAYS_OPEN), targets={p: 60 for p in range(1, 6)})
    erp = business_service("ERP", owner)
    business_service("CRM", owner)
    business_service("Printing", someone)
    now = utc_now()
    made = {}
    for key, minutes_ago in (("breached", 300), ("at_risk", 45), ("calm", 1), ("major", 2)):
        made[key] = make_incident(
            short_description=f"ERP {key}",
            affected_service="ERP",
            assignment_group=apps,
            now=now - timedelta(minutes=minutes_ago),
        )
    services.propose_major(made["major"], actor=agent, reason="Nobody can invoice.")
    made["printing"] = make_incident(short_description="Printer jam", affected_service="Printing")
    db.session.commit()
    return {"owner": owner, "erp": erp, **made}


def _row(html: str, name: str) -> list[str]:
    row = re.search(rf">{name}</a></td>(.*?)</tr>", html, re.S)
    assert row, f"no row for {name}"
    return re.findall(r'<td class="text-end">(\d+)</td>', row.group(1))


def test_a_service_owner_sees_the_health_of_their_services(client, owner_desk):
    client.login(owner_desk["owner"].username)
    html = client.get("/").get_data(as_text=True)
    assert _row(html, "ERP") == ["4", "1", "1", "1"]  # open, major, breached, at risk
    assert _row(html, "CRM") == ["0", "0", "0", "0"]
    assert ">Printing</a>" not in html
    assert f'href="/services/{owner_desk["erp"].id}"' in html
    attention = html.split("Needs attention", 1)[1]
    for key in ("breached", "at_risk", "major"):
        assert f'href="/incidents/{owner_desk[key].number}"' in attention
    assert owner_desk["calm"].number not in attention
    # the proposed major incident first, then the breach
    assert attention.index(owner_desk["major"].number) < attention.index(
        owner_desk["breached"].number
    )


def test_the_owner_reads_the_incidents_of_their_services_only(client, owner_desk):
    client.login(owner_desk["owner"].username)
    page = client.get(f"/incidents/{owner_desk['breached'].number}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ERP breached" in html
    assert "Accept as major" not in html  # not proposed: nothing to decide
    assert client.get(f"/incidents/{owner_desk['printing'].number}").status_code == 404


def test_an_incident_linking_a_service_ci_counts_on_it_and_the_owner_reads_it(
    client, owner_desk, make_incident, db
):
    """The employee names the service on the portal and agents link CIs: the link, not only the
    affected-service text, puts an incident on a service (here on ERP and CRM at once)."""
    linked = make_incident(short_description="Leads and invoices fail", ci_names=["ERP", "CRM"])
    db.session.commit()
    assert not linked.affected_service
    client.login(owner_desk["owner"].username)
    html = client.get("/").get_data(as_text=True)
    assert _row(html, "ERP")[0] == "5"
    assert _row(html, "CRM")[0] == "1"
    assert client.get(f"/incidents/{linked.number}").status_code == 200


def test_the_owner_is_told_how_many_proposals_wait(client, owner_desk):
    client.login(owner_desk["owner"].username)
    html = client.get("/").get_data(as_text=True)
    tile = re.search(r'href="/incidents/major-proposals" data-count="(\d+)"', html)
    assert tile is not None
    assert tile.group(1) == "1"
    assert "major incident proposal waiting for your decision" in html


def test_an_owner_without_services_is_told_so(signed_in):
    client, _owner = signed_in("service_owner", "employee")
    html = client.get("/").get_data(as_text=True)
    assert "You own no business service yet" in html


def test_agents_and_employees_see_no_service_health(signed_in, owner_desk):
    client, _agent = signed_in("agent", "employee")
    html = client.get("/").get_data(as_text=True)
    assert "Your services" not in html
    assert "major-proposals" not in html


def test_a_fresh_admin_sees_the_first_steps_not_an_empty_portal(signed_in):
    client, _admin = signed_in("admin", "employee")
    html = client.get("/").get_data(as_text=True)
    assert "Set up your desk" in html
    assert _steps(html) == {
        "directory": "no",
        "roles": "no",
        "groups": "no",
        "routing": "no",
        "calendars": "no",
        "policies": "no",
        "catalog": "no",
    }
    for link in ("/admin/users", "/admin/groups", "/sla/calendars", "/sla/", "/requests/admin"):
        assert f'href="{link}"' in html, link
    assert "groups</p>" not in html  # no "0 groups" tile


def test_steps_are_ticked_as_the_admin_does_them(signed_in, make_user, queue, calendar_row):
    client, _admin = signed_in("admin", "employee")
    make_user(roles=["agent"])
    queue("Service Desk")
    calendar_row()
    steps = _steps(client.get("/").get_data(as_text=True))
    assert steps["roles"] == steps["groups"] == steps["calendars"] == "yes"
    assert steps["policies"] == steps["catalog"] == steps["routing"] == "no"


def test_a_deactivated_agent_does_not_tick_the_roles_step(signed_in, make_user, db):
    client, _admin = signed_in("admin", "employee")
    agent = make_user(roles=["agent"])
    agent.is_active = False
    db.session.commit()
    assert _steps(client.get("/").get_data(as_text=True))["roles"] == "no"


def test_the_checklist_leaves_once_every_required_step_is_done(app, db, make_user):
    from app.portal import setup

    with app.test_request_context():
        steps = setup.first_steps(directory_configured=False)
    assert not setup.setup_complete(steps)
    done = [s if s.optional else setup.Step(**{**s.__dict__, "done": True}) for s in steps]
    assert setup.setup_complete(done)  # the directory is optional


def test_an_admin_is_told_of_proposals_without_a_services_section(signed_in):
    client, _admin = signed_in("admin")
    html = client.get("/").get_data(as_text=True)
    assert "Major incidents</h2>" in html
    assert 'href="/incidents/major-proposals" data-count="0"' in html
    assert "Your services" not in html


def test_the_owner_home_issues_the_same_queries_for_2_or_8_incidents(
    client, make_user, make_incident, business_service
):
    from tests.conftest import count_queries

    owner = make_user(roles=["service_owner", "employee"])
    for n in range(4):
        business_service(f"Service {n}", owner)
    client.login(owner.username)
    counts = []
    for made in range(8):
        make_incident(short_description=f"Broken {made}", affected_service=f"Service {made % 4}")
        if made + 1 in (2, 8):
            with count_queries() as home:
                assert client.get("/").status_code == 200
            counts.append(len(home))
    assert counts[0] == counts[1], counts  # no query per incident or per service row


def test_the_owner_opens_a_service_and_sees_all_its_open_incidents(client, owner_desk):
    client.login(owner_desk["owner"].username)
    html = client.get(f"/services/{owner_desk['erp'].id}").get_data(as_text=True)
    numbers = re.findall(r'href="/incidents/(INC\d+)"', html)
    expected = [owner_desk[k].number for k in ("major", "breached", "at_risk", "calm")]
    assert numbers == expected  # those needing a look first, the calm one last
    assert "SLA breached" in html
    assert owner_desk["printing"].number not in html


def test_a_service_someone_else_owns_is_not_found(client, owner_desk, business_service, db):
    from sqlalchemy import select

    from app.cmdb.models import ConfigurationItem

    printing = db.session.scalar(
        select(ConfigurationItem).where(ConfigurationItem.name == "Printing")
    )
    client.login(owner_desk["owner"].username)
    assert client.get(f"/services/{printing.id}").status_code == 404
    assert client.get("/services/999999").status_code == 404


def test_only_service_owners_open_a_service_page(signed_in, owner_desk):
    client, _agent = signed_in("agent", "admin", "employee")
    assert client.get(f"/services/{owner_desk['erp'].id}").status_code == 403

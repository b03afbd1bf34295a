"""A CI's users as a group, on both databases: people who use two affected services are
counted once (through the form and in the loaded graph); membership changes (by an
administrator or the directory sync) and deactivations bump the CMDB revision so the next
impact follows, and only when a CI names the group; a deleted group leaves the CI on its bare
number of users; bad group ids are refused with a reason; the migration keeps existing CIs;
the demo's company-wide services count their people exactly."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, func, select

from app.auth import groups as group_services
from app.auth.directory import sync
from app.auth.directory.entries import DirectoryGroup, DirectoryUser
from app.auth.directory.settings import DirectorySettings
from app.auth.models import Group, User
from app.cmdb import analysis, services
from app.cmdb.cache import current_revision, load_graph
from app.cmdb.impact.reference import impact as networkx_impact
from app.cmdb.models import ConfigurationItem
from app.errors import Invalid
from tests.conftest import build_app

PEOPLE = re.compile(r"<dt>People</dt><dd>(\d+) affected, (\d+) cut off")


def body(response) -> str:
    return response.get_data(as_text=True)


def people_on_page(page: str) -> tuple[int, int, bool]:
    """(affected, cut off, whether the page warns that some may be counted twice)."""
    found = PEOPLE.search(page)
    assert found, "the page shows an impact panel with people"
    return int(found[1]), int(found[2]), "counted twice" in page


@pytest.fixture
def estate(db, make_user, make_ci, relate):
    """ERP (used by Finance: ann, bob) and CRM (used by Sales: bob, cy), each counted as two
    users, both provided by applications on one VM: when it fails, three people are hit."""
    ann, bob, cy = (make_user(name) for name in ("ann", "bob", "cy"))
    finance = group_services.create_group(actor=None, name="Finance", is_assignment_group=False)
    sales = group_services.create_group(actor=None, name="Sales", is_assignment_group=False)
    group_services.add_members(finance, [ann, bob], actor=None)
    group_services.add_members(sales, [bob, cy], actor=None)
    db.session.commit()
    erp = make_ci("ERP", "business_service", users_count=2)
    crm = make_ci("CRM", "business_service", users_count=2)
    vm = make_ci("vm-01", "virtual_machine")
    for name, service in (("erp-app", erp), ("crm-app", crm)):
        app = make_ci(name, "application")
        relate(app, "provides", service)
        relate(app, "runs_on", vm)
    return SimpleNamespace(
        ann=ann, bob=bob, cy=cy, finance=finance, sales=sales, erp=erp, crm=crm, vm=vm
    )


def use_groups(db, estate) -> None:
    for service, group in ((estate.erp, estate.finance), (estate.crm, estate.sales)):
        services.update_ci(service, actor=None, users_group_id=group.id)
    db.session.commit()


def people_hit(estate):
    return analysis.impact_of(estate.vm.id).people


def test_people_who_use_both_affected_services_are_counted_once(db, signed_in, estate):
    client, _ = signed_in("admin", "employee")
    assert people_on_page(body(client.get(f"/cmdb/{estate.vm.id}"))) == (4, 4, True)
    for service, group in ((estate.erp, estate.finance), (estate.crm, estate.sales)):
        form = {"version": str(service.version), "name": service.name, "status": "in_service"}
        form |= {"users_count": "2", "users_group": str(group.id)}
        response = client.post(f"/cmdb/{service.id}/edit", form)
        assert response.status_code == 302, body(response)[:500]
    assert people_on_page(body(client.get(f"/cmdb/{estate.vm.id}"))) == (3, 3, False)

    erp_page = body(client.get(f"/cmdb/{estate.erp.id}"))
    assert "Finance" in erp_page
    assert "2 active members" in erp_page
    assert "users group: — → Finance" in erp_page  # the change is in the CI's history
    edit_page = body(client.get(f"/cmdb/{estate.erp.id}/edit"))
    assert f'<option selected value="{estate.finance.id}">Finance</option>' in edit_page

    index = load_graph(db.session).index  # what every worker loads
    users = {index.names[node]: ids for node, ids in index.user_ids.items()}
    assert users == {
        "ERP": {str(estate.ann.id), str(estate.bob.id)},
        "CRM": {str(estate.bob.id), str(estate.cy.id)},
    }
    result = networkx_impact(index.to_networkx(), [estate.vm.id])  # the reference engine agrees
    assert (result.people.affected, result.people.exact) == (3, True)


def test_membership_changes_bump_the_revision_and_the_next_impact_follows(
    db, signed_in, estate, make_user
):
    use_groups(db, estate)
    client, _ = signed_in("admin", "employee")
    make_user("dan")
    assert (people_hit(estate).affected, people_hit(estate).exact) == (3, True)

    before = current_revision(db.session)
    response = client.post(f"/admin/groups/{estate.finance.id}/members", {"usernames": "dan"})
    assert response.status_code == 302
    assert current_revision(db.session) != before
    assert people_hit(estate).affected == 4

    url = f"/admin/groups/{estate.sales.id}/members/remove"
    assert client.post(url, {"user_id": str(estate.cy.id)}).status_code == 302
    assert people_hit(estate).affected == 3

    url = f"/admin/users/{estate.ann.id}/active"
    assert client.post(url, {"active": "0"}).status_code == 302
    assert (people_hit(estate).affected, people_hit(estate).exact) == (2, True)  # bob, dan
    assert client.post(url, {"active": "1"}).status_code == 302
    assert people_hit(estate).affected == 3


def test_changes_to_groups_no_ci_names_leave_the_cmdb_revision_alone(db, estate, make_user):
    use_groups(db, estate)
    network = group_services.create_group(actor=None, name="Network")
    eve = make_user("eve")
    db.session.commit()
    before = current_revision(db.session)
    group_services.add_members(network, [eve, estate.ann], actor=None)
    group_services.remove_member(network, eve, actor=None)
    db.session.commit()
    assert current_revision(db.session) == before
    services.update_ci(estate.crm, actor=None, users_group_id=None)
    db.session.commit()
    after = current_revision(db.session)
    group_services.add_members(estate.sales, [eve], actor=None)  # no CI names Sales any more
    db.session.commit()
    assert current_revision(db.session) == after


class MemoryDirectory:
    """A directory held in memory, read the way the sync reads one (the sync against a real
    slapd is in tests/ldap)."""

    def __init__(self) -> None:
        self.settings = DirectorySettings.from_mapping(
            {"LDAP_URL": "ldap://127.0.0.1", "LDAP_USER_BASE": "dc=kf,dc=test"}
        )
        self.people: dict[str, DirectoryUser] = {}
        self.groups: list[DirectoryGroup] = []

    def person(self, uid: str, *, disabled: bool = False) -> str:
        dn = f"uid={uid},ou=people,dc=kf,dc=test"
        self.people[uid] = DirectoryUser(dn, uid, uid.title(), disabled=disabled)
        return dn

    def service_connection(self) -> SimpleNamespace:
        return SimpleNamespace(unbind=lambda: None)

    def iter_users(self, **_: object):
        return iter(self.people.values())

    def iter_groups(self, **_: object):
        return iter(self.groups)


def test_the_directory_sync_changing_a_users_group_bumps_the_revision(db, make_ci, relate):
    directory = MemoryDirectory()
    dns = [directory.person(uid) for uid in ("ann", "bob", "cy")]
    directory.groups = [DirectoryGroup("cn=depot,ou=groups,dc=kf,dc=test", "Depot", dns[:2])]
    sync.sync_directory(directory)
    db.session.commit()
    depot = db.session.scalar(select(Group).where(Group.name == "Depot"))
    service = make_ci("Yard management", "business_service", users_count=40)
    services.update_ci(service, actor=None, users_group_id=depot.id)
    app = make_ci("yms-app", "application")
    relate(app, "provides", service)
    db.session.commit()

    def people() -> int:
        return analysis.impact_of(app.id).people.affected

    assert people() == 2
    revision = current_revision(db.session)
    sync.sync_directory(directory)  # nothing changed in the directory
    db.session.commit()
    assert current_revision(db.session) == revision

    directory.groups = [DirectoryGroup(directory.groups[0].dn, "Depot", tuple(dns))]
    sync.sync_directory(directory)
    db.session.commit()
    assert current_revision(db.session) != revision
    assert people() == 3

    directory.person("bob", disabled=True)
    report = sync.sync_directory(directory)
    db.session.commit()
    assert report.deactivated == ["bob"]
    assert people() == 2


def test_a_deleted_group_leaves_the_ci_on_its_number_of_users(db, signed_in, estate):
    use_groups(db, estate)
    db.session.delete(db.session.get(Group, estate.finance.id))
    db.session.commit()
    db.session.expire_all()
    erp = db.session.get(ConfigurationItem, estate.erp.id)
    assert erp.users_group_id is None
    assert erp.users_count == 2
    index = load_graph(db.session).index
    assert {index.names[node] for node in index.user_ids} == {"CRM"}
    result = networkx_impact(index.to_networkx(), [estate.vm.id])
    assert (result.people.affected, result.people.exact) == (4, False)  # 2 counted + 2 known
    client, _ = signed_in("admin", "employee")
    assert "<dt>Users</dt><dd>2</dd>" in body(client.get(f"/cmdb/{estate.erp.id}"))


@pytest.mark.parametrize("bad", ["999999", "abc", "-1", "99999999999999999999", "²"])
def test_the_form_refuses_an_unknown_users_group_with_a_reason(db, signed_in, estate, bad):
    client, _ = signed_in("admin", "employee")
    count = db.session.scalar(select(func.count()).select_from(ConfigurationItem))
    form = {"name": "Payroll", "status": "in_service", "users_group": bad}
    response = client.post("/cmdb/new?class=business_service", form)
    assert response.status_code == 422
    assert 'id="users_group-error"' in body(response)
    assert "Unknown group" in body(response)
    assert db.session.scalar(select(func.count()).select_from(ConfigurationItem)) == count

    erp = estate.erp
    form = {"version": str(erp.version), "name": "ERP", "status": "in_service", "users_group": bad}
    response = client.post(f"/cmdb/{erp.id}/edit", form)
    assert response.status_code == 422
    assert "Unknown group" in body(response)
    db.session.expire_all()
    assert db.session.get(ConfigurationItem, erp.id).users_group_id is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (999999, "no such group"),
        (2**63, "no such group"),
        ("999999", "no such group"),
        ("lots", "from the list"),
        (True, "from the list"),
    ],
)
def test_the_service_refuses_an_unknown_users_group(db, ci_class, value, message):
    with pytest.raises(Invalid) as refused:
        services.create_ci(
            actor=None, ci_class=ci_class("business_service"), name="X", users_group_id=value
        )
    assert list(refused.value.field_errors) == ["users_group_id"]
    assert message in refused.value.field_errors["users_group_id"][0]


def test_the_migration_adds_the_column_to_a_cmdb_that_holds_cis(fresh_database_url, tmp_path):
    from app.extensions import db

    app = build_app(fresh_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="f1a9c3e5b7d2")
        tables = MetaData()
        tables.reflect(db.engine)
        cis, groups = tables.tables["configuration_items"], tables.tables["groups"]
        values, relations = tables.tables["ci_attribute_values"], tables.tables["ci_relations"]
        now = func.current_timestamp()
        with db.engine.begin() as connection:
            class_id = connection.scalar(select(tables.tables["ci_classes"].c.id).limit(1))
            definition_id = connection.execute(
                tables.tables["ci_attribute_definitions"]
                .insert()
                .values(class_id=class_id, name="tier", label="Tier", type="string", choices=[])
            ).inserted_primary_key[0]
            for name in ("a", "b"):
                connection.execute(
                    cis.insert().values(
                        name=name,
                        class_id=class_id,
                        status="in_service",
                        description="",
                        users_count=7,
                        created_at=now,
                        updated_at=now,
                    )
                )
            a, b = connection.scalars(select(cis.c.id).order_by(cis.c.id)).all()
            connection.execute(values.insert().values(ci_id=a, definition_id=definition_id))
            connection.execute(
                relations.insert().values(
                    source_id=a, target_id=b, type="depends_on", created_at=now
                )
            )
            connection.execute(
                groups.insert().values(
                    name="Finance", source="local", version=1, created_at=now, updated_at=now
                )
            )

        upgrade()
        with db.engine.begin() as connection:
            rows = connection.execute(select(ConfigurationItem.__table__)).mappings().all()
            assert [(r["name"], r["users_count"], r["users_group_id"]) for r in rows] == [
                ("a", 7, None),
                ("b", 7, None),
            ]
            assert connection.scalar(select(func.count()).select_from(values)) == 1
            assert connection.scalar(select(func.count()).select_from(relations)) == 1
            group_id = connection.scalar(select(groups.c.id))
            connection.execute(ConfigurationItem.__table__.update().values(users_group_id=group_id))
        with db.engine.begin() as connection:
            connection.execute(groups.delete())  # ON DELETE SET NULL, on both databases
            assert connection.scalars(select(ConfigurationItem.users_group_id)).all() == [None] * 2

        downgrade(revision="f1a9c3e5b7d2")
        tables = MetaData()
        tables.reflect(db.engine)
        assert "users_group_id" not in tables.tables["configuration_items"].c
        with db.engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(cis)) == 2
            assert connection.scalar(select(func.count()).select_from(values)) == 1
            assert connection.scalar(select(func.count()).select_from(relations)) == 1
        db.engine.dispose()


@pytest.mark.demo("cmdb_small")
def test_the_demo_counts_the_people_of_company_wide_services_exactly(db):
    everyone = db.session.scalar(select(func.count()).select_from(User).where(User.is_active))
    named = {
        name: group
        for name, group in db.session.execute(
            select(ConfigurationItem.name, Group.name).join(
                Group, Group.id == ConfigurationItem.users_group_id
            )
        )
    }
    assert named["Email"] == named["Sign-in"] == named["HR self-service"] == "All staff"
    assert named["Monitoring"] == "IT staff"

    postgres = analysis.impact_of(
        db.session.scalar(
            select(ConfigurationItem.id).where(ConfigurationItem.name == "pg-lyon-01")
        )
    )
    hit = {s.name for s in postgres.services}
    assert {"HR self-service", "Service desk", "Monitoring", "Yard management"} <= hit
    assert postgres.people.exact
    assert postgres.people.affected == everyone  # not 50 + 50 + 13 + 8

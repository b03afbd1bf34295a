"""Spreadsheet imports through the service, on both databases: each kind's happy path with
every row accounted for, a second run that changes nothing, every class of bad input as a
report line with its line and column, and all or nothing (one bad row, or a service refusing
while writing: nothing saved, the run failed with its report)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from app.auth import groups as group_services
from app.auth.models import Group, User
from app.cmdb.models import ConfigurationItem
from app.imports.models import ExternalRef, ImportProblem, RunState
from app.imports.sheets import service
from app.incidents.models import Incident
from app.outbox.models import OutboxMessage

OUTCOMES = (
    "rows_created", "rows_updated", "rows_unchanged", "rows_to_create", "rows_to_update",
    "rows_refused", "rows_not_saved",
)  # fmt: skip


@pytest.fixture
def admin(make_user):
    return make_user("sheetadmin", roles=["admin"], display_name="Sheet Admin")


@pytest.fixture
def staff(db, make_user, admin):
    """Two agents in the Network group (an assignment group), a plain group, a caller."""
    ann = make_user("ann", roles=["agent"], display_name="Ann Agent", email="ann@example.org")
    bob = make_user("bob", roles=["agent"], display_name="Bob Berg", email="bob@example.org")
    make_user("carl", display_name="Carl Caller", email="carl@example.org")
    network = group_services.create_group(actor=admin, name="Network", is_assignment_group=True)
    group_services.create_group(actor=admin, name="Choir", is_assignment_group=False)
    group_services.add_members(network, [ann, bob], actor=admin)
    db.session.commit()
    return network


def run(db, kind, text, actor, *, dry_run=False, mapping=None, filename=None):
    data = text if isinstance(text, bytes) else text.encode()
    done = service.run_import(
        data, filename=filename or f"{kind}.csv", kind=kind, mapping=mapping, actor=actor,
        dry_run=dry_run,
    )  # fmt: skip
    db.session.commit()
    return done


def accounted(run_) -> bool:
    """Every row read is in exactly one outcome."""
    return run_.counts["rows_read"] == sum(run_.counts.get(k, 0) for k in OUTCOMES)


def report(db, run_) -> list[tuple[str, str, str]]:
    lines = db.session.scalars(
        select(ImportProblem).where(ImportProblem.run_id == run_.id).order_by(ImportProblem.id)
    )
    return [(p.where, p.column, p.message) for p in lines]


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


PEOPLE = (
    "Login,Full name,E-mail,Department,Reports to,Teams\n"
    "dora,Dora Diaz,Dora@Example.org,IT,Ann Agent,Network\n"
    "eve,Eve Ek,eve@example.org,Finance,bob@example.org,\n"
)


def test_people_are_created_then_unchanged_then_updated(db, staff, admin):
    first = run(db, "people", PEOPLE, admin)
    assert first.state == RunState.FINISHED
    assert first.kind == "sheet-people"
    assert first.counts["rows_created"] == 2
    assert accounted(first)
    dora = db.session.scalar(select(User).where(User.username == "dora"))
    assert (dora.display_name, dora.email, dora.department) == (
        "Dora Diaz",
        "Dora@example.org",
        "IT",
    )
    assert dora.manager.username == "ann"
    assert [g.name for g in dora.groups] == ["Network"]
    again = run(db, "people", PEOPLE, admin)
    assert again.counts["rows_unchanged"] == 2
    assert accounted(again)
    moved = run(db, "people", PEOPLE.replace("Finance", "Legal"), admin)
    assert (moved.counts["rows_updated"], moved.counts["rows_unchanged"]) == (1, 1)
    eve = db.session.scalar(select(User).where(User.username == "eve"))
    db.session.refresh(eve)
    assert eve.department == "Legal"


def test_groups_with_their_manager_and_members(db, staff, admin):
    sheet = (
        "Team;Group email;Lead;Takes tickets;Members\n"
        "Desktop;desktop@example.org;ann;yes;ann, carl@example.org\n"
        "Network;;bob;;Carl Caller\n"
    )
    done = run(db, "groups", sheet, admin)
    assert done.state == RunState.FINISHED
    assert (done.counts["rows_created"], done.counts["rows_updated"]) == (1, 1)
    assert accounted(done)
    desktop = db.session.scalar(select(Group).where(Group.name == "Desktop"))
    assert desktop.manager.username == "ann"
    assert desktop.is_assignment_group
    assert sorted(m.username for m in desktop.members) == ["ann", "carl"]
    db.session.refresh(staff)
    assert sorted(m.username for m in staff.members) == ["ann", "bob", "carl"]


INCIDENTS = (
    "Number,Short description,Caller,Opened,Impact,Urgency,Category,Assignment group,"
    "Assigned to,CI\n"
    "OLD-1,Mail is down,Carl Caller,2026-01-05 09:30,1 - High,2 - Medium,email,Network,bob,"
    "mail-01\n"
    "OLD-2,Printer jam,carl,2026-01-06,Low,Low,hardware,,,\n"
)


def test_incidents_keep_their_old_number_and_open_once(db, staff, admin, make_ci):
    make_ci("mail-01", "application")
    first = run(db, "incidents", INCIDENTS, admin)
    assert first.state == RunState.FINISHED
    assert first.counts["rows_created"] == 2
    assert accounted(first)
    ref = db.session.scalar(select(ExternalRef).where(ExternalRef.external_id == "OLD-1"))
    mail = db.session.get(Incident, ref.object_id)
    assert mail.short_description == "Mail is down"
    assert mail.caller.username == "carl"
    assert (mail.impact, mail.urgency, mail.priority) == (1, 2, 2)
    assert mail.opened_at.isoformat().startswith("2026-01-05T09:30")
    assert mail.assignment_group.name == "Network"
    assert mail.assignee.username == "bob"
    told = select(func.count()).where(
        OutboxMessage.kind.in_(["notifications.fan_out", "mail.send"])
    )
    assert db.session.scalar(told) == 0  # a load of history tells nobody
    again = run(db, "incidents", INCIDENTS, admin)
    assert again.counts["rows_unchanged"] == 2
    assert count(db, Incident) == 2


def test_cis_go_through_the_cmdbs_own_checks(db, staff, admin):
    sheet = (
        "Hostname,CI type,Env,Managed by,Warranty,Support group\n"
        "web-01,Server,production,ann@example.org,2027-06-30,Network\n"
        "web-02,server,moon,,,\n"
    )
    dry = run(db, "cis", sheet, admin, dry_run=True)
    assert dry.state == RunState.FAILED
    assert accounted(dry)
    assert [(w, c) for w, c, _ in report(db, dry)] == [("line 3", "Env")]
    done = run(db, "cis", sheet.replace("moon", "test"), admin)
    assert done.state == RunState.FINISHED
    assert done.counts["rows_created"] == 2
    web = db.session.scalar(select(ConfigurationItem).where(ConfigurationItem.name == "web-01"))
    assert web.owner.username == "ann"
    assert str(web.warranty_end) == "2027-06-30"
    assert web.support_group.name == "Network"


def test_every_problem_of_a_dry_run_has_its_line_and_column(db, staff, admin):
    sheet = (
        "Username,Email,Groups\n"
        "fay,not-an-email,Network\n"
        "gus,gus@example.org,Nowhere\n"
        "fay,fay@example.org,\n"
        "hal,hal@example.org,Network\n"
    )
    dry = run(db, "people", sheet, admin, dry_run=True)
    assert dry.state == RunState.FAILED
    assert dry.dry_run
    lines = report(db, dry)
    assert [(w, c) for w, c, _ in lines] == [
        ("line 2", "Email"), ("line 3", "Groups"), ("line 4", "Username"),
    ]  # fmt: skip
    assert "not an email address" in lines[0][2]
    assert "No group is named “Nowhere”" in lines[1][2]
    assert "already on line 2" in lines[2][2]
    assert (dry.counts["rows_refused"], dry.counts["rows_to_create"]) == (3, 1)
    assert accounted(dry)
    assert count(db, User) == 4  # the admin and the three made by the fixture


def test_a_date_in_another_form_is_refused(db, staff, admin):
    done = run(db, "incidents", "Title,Caller,Opened\nDown,carl,05/01/2026\n", admin)
    assert done.state == RunState.FAILED
    ((where, column, message),) = report(db, done)
    assert (where, column) == ("line 2", "Opened")
    assert "2026-03-12" in message
    assert count(db, Incident) == 0


def test_an_unclosed_quote_fails_the_run_on_its_line(db, admin):
    done = run(db, "people", 'username,title\nann,"Agent\nbob,Boss\n', admin)
    assert done.state == RunState.FAILED
    ((where, _, message),) = report(db, done)
    assert where == "2"
    assert "never closed" in message


def test_an_xlsx_with_a_formula_and_merged_cells_is_refused_cell_by_cell(db, admin):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["Username", "Display name"], ["ivy", "=UPPER(A2)"], ["jon", "Jon"]):
        sheet.append(row)
    sheet.merge_cells("A3:B3")
    data = io.BytesIO()
    book.save(data)
    done = run(db, "people", data.getvalue(), admin, filename="people.xlsx")
    assert done.state == RunState.FAILED
    assert [(w, c) for w, c, _ in report(db, done)] == [
        ("line 2", "B (Display name)"), ("line 3", "A (Username)"),
    ]  # fmt: skip
    assert count(db, User) == 1


def test_a_mapping_to_a_column_the_file_lacks_is_refused(db, admin):
    done = run(db, "people", "username\nkim\n", admin, mapping={"username": 0, "email": 4})
    assert done.state == RunState.FAILED
    assert [c for _, c, _ in report(db, done)] == ["Email"]
    assert count(db, User) == 1


def test_one_bad_row_and_nothing_is_saved(db, staff, admin):
    sheet = "username,email\nlea,lea@example.org\nmax,max@@example\nned,ned@example.org\n"
    done = run(db, "people", sheet, admin)
    assert done.state == RunState.FAILED
    assert not done.dry_run
    assert (done.counts["rows_refused"], done.counts["rows_not_saved"]) == (1, 2)
    assert accounted(done)
    assert count(db, User) == 4


def test_a_service_refusing_while_writing_undoes_every_row(db, staff, admin, monkeypatch):
    from app.auth import services as people_services
    from app.errors import Invalid

    real = people_services.create_local_user

    def refuse_the_second(**kwargs):
        if kwargs["username"] == "pia":
            raise Invalid({"username": "Refused for the test."})
        return real(**kwargs)

    monkeypatch.setattr(people_services, "create_local_user", refuse_the_second)
    done = run(db, "people", "username\nola\npia\n", admin)
    assert done.state == RunState.FAILED
    assert "Refused for the test." in report(db, done)[0][2]
    assert count(db, User) == 4
    assert accounted(done)

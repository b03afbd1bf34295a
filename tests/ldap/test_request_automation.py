"""Service requests for "access to a directory group" fulfilled in the real slapd: once the
item is approved the person is added to the LDAP group and the timeline says so; when the
directory refuses the change, a task for a person carries the directory's reason.
On SQLite and PostgreSQL."""

# The service request fixtures are imported by name, so arguments of that name redefine them.
# ruff: noqa: F811

from __future__ import annotations

import ldap3
import pytest

from app.requests import services
from app.requests.models import Automation
from app.requests.states import CloseCode, ItemState
from app.tickets.models import EntryKind
from tests.incidents.conftest import queue  # noqa: F401  (fixture)
from tests.ldap.conftest import (
    GENERATED,
    READER,
    READER_PASSWORD,
    WRITER,
    WRITER_PASSWORD,
    settings_for,
)
from tests.requests.conftest import event_types, make_item, org, place  # noqa: F401  (fixtures)


@pytest.fixture
def directory_group(db, slapd, subtree, org, queue):
    """A groupOfNames ``wiki`` in a fresh subtree holding only ``amy``; Kim is ``uid=kim`` in
    the same subtree, and the desk knows both by their DNs (as a sync would store them)."""
    ou = subtree()
    kim_dn, amy_dn, group_dn = f"uid=kim,{ou}", f"uid=amy,{ou}", f"cn=wiki,{ou}"
    with slapd.admin(GENERATED) as connection:
        for uid, dn in (("kim", kim_dn), ("amy", amy_dn)):
            connection.add(dn, "inetOrgPerson", {"uid": uid, "cn": uid, "sn": uid})
        connection.add(group_dn, "groupOfNames", {"cn": "wiki", "member": [amy_dn]})
        assert connection.result["result"] == 0
    org.kim.directory_dn = kim_dn
    group = queue("Wiki editors", directory_dn=group_dn)
    db.session.commit()
    return group


WRITE_ACCOUNT = {"LDAP_WRITE_BIND_DN": WRITER, "LDAP_WRITE_BIND_PASSWORD": WRITER_PASSWORD}


def members(slapd, group_dn: str) -> set[str]:
    with slapd.admin(GENERATED) as connection:
        connection.search(group_dn, "(objectClass=*)", ldap3.BASE, attributes=["member"])
        return {str(v).lower() for v in connection.response[0]["attributes"]["member"]}


def order_access(org, make_item, place, group):
    item = place(
        make_item(
            variables=[],
            automation=Automation.DIRECTORY_GROUP,
            automation_group_id=group.id,
            approval_policy=[{"kind": "manager"}],
        ),
        answers={},
    )
    assert item.state == ItemState.PENDING_APPROVAL
    return item


def test_an_approved_access_request_adds_the_member_in_the_directory(
    app, db, slapd, org, make_item, place, directory_group, use_directory
):
    use_directory(settings_for(slapd, GENERATED, **WRITE_ACCOUNT))
    item = order_access(org, make_item, place, directory_group)
    before = members(slapd, directory_group.directory_dn)
    assert org.kim.directory_dn.lower() not in before

    services.decide(item.approvals[0], actor=org.ann, approve=True)
    db.session.commit()

    assert members(slapd, directory_group.directory_dn) == before | {org.kim.directory_dn.lower()}
    assert item.state == ItemState.CLOSED
    assert item.close_code == CloseCode.COMPLETE
    assert item.tasks == []  # nobody had to do anything by hand
    assert "automation_succeeded" in event_types(db, item)
    assert any(
        "Added" in entry.body and directory_group.directory_dn in entry.body
        for entry in item.journal
    )
    assert services.item_status(item) == "Delivered"


def test_a_refused_change_leaves_a_task_with_the_directorys_reason(
    app, db, slapd, org, make_item, place, directory_group, use_directory
):
    use_directory(
        settings_for(
            slapd, GENERATED, LDAP_WRITE_BIND_DN=READER, LDAP_WRITE_BIND_PASSWORD=READER_PASSWORD
        )
    )
    item = order_access(org, make_item, place, directory_group)
    before = members(slapd, directory_group.directory_dn)

    services.decide(item.approvals[0], actor=org.ann, approve=True)
    db.session.commit()

    assert members(slapd, directory_group.directory_dn) == before
    assert item.state == ItemState.IN_PROGRESS
    (task,) = item.tasks
    assert task.assignment_group_id == org.queue.id
    assert "access" in task.description.lower()
    notes = [e.body for e in task.journal if e.kind == EntryKind.WORK_NOTE]
    assert any("access" in n.lower() for n in notes)
    assert "automation_failed" in event_types(db, item)


def test_the_directory_changes_only_after_the_approval_commits(
    app, db, slapd, org, make_item, place, directory_group, use_directory
):
    from sqlalchemy import select

    from app.outbox.models import OutboxMessage
    from app.requests.fulfilment.services import DIRECTORY_GROUP_CHANGE

    use_directory(settings_for(slapd, GENERATED, **WRITE_ACCOUNT))
    item = order_access(org, make_item, place, directory_group)
    before = members(slapd, directory_group.directory_dn)

    services.decide(item.approvals[0], actor=org.ann, approve=True)
    assert members(slapd, directory_group.directory_dn) == before  # not inside the transaction
    db.session.rollback()  # e.g. the approval page failed after the decision

    assert members(slapd, directory_group.directory_dn) == before
    changes = select(OutboxMessage).where(OutboxMessage.kind == DIRECTORY_GROUP_CHANGE)
    assert db.session.scalars(changes).all() == []
    assert item.state == ItemState.PENDING_APPROVAL
    assert "automation_succeeded" not in event_types(db, item)

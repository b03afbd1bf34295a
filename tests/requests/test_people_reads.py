"""Ordering an item and deciding its approval read the people they meet without their roles
and without their managers one by one (before: every load of people ran a statement for
their roles, and each group loaded joined its manager's row; lazy21): the routing reads the
people it asks about, with their managers, in one statement."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.requests.models import Approval
from app.requests.states import ApprovalState
from tests.conftest import count_queries
from tests.requests.conftest import pending
from tests.requests.portal_helpers import sign_in_as

MANAGER = [{"kind": "manager"}]
MANAGERS_MANAGER = [{"kind": "managers_manager"}]


def roles_read(statements: list[str]) -> list[str]:
    """The statements that load people's roles on their own (the signed-in person's come
    joined to their own row; a role condition, such as "which of them are staff", is no
    load)."""
    loads = [s for s in statements if s.lstrip().startswith("SELECT role_grants")]
    return [s for s in loads if "role_grants.role =" not in s]


def people_read_one_by_one(statements: list[str]) -> list[str]:
    """The statements that read one person by id, as a lazy load of a manager does."""
    return [
        s for s in statements if re.search(r"\bFROM users WHERE users\.id = ", " ".join(s.split()))
    ]


def test_ordering_reads_nobodys_roles_nor_managers_one_by_one(client, db, org, make_item):
    item = make_item("Laptop", approval_policy=MANAGER + MANAGERS_MANAGER)
    sign_in_as(client, org.kim)
    fields = {
        "cart-0-form": str(item.form.id),
        "lines-0-model": "15 inch",
        "requested_for": str(org.kim.id),
    }
    client.get(f"/requests/catalog/{item.id}")
    with count_queries() as statements:
        placed = client.post(f"/requests/catalog/{item.id}", data=fields)
    assert placed.status_code == 302, placed.get_data(as_text=True)
    assert "/requests/REQ" in placed.headers["Location"]
    waiting = select(Approval.approver_id).where(Approval.state == ApprovalState.REQUESTED)
    # Kim's manager is asked first; Ann's manager, Bob, next.
    assert db.session.scalars(waiting).all() == [org.ann.id]
    assert roles_read(statements) == []
    assert people_read_one_by_one(statements) == []


def test_deciding_an_approval_reads_nobodys_roles(client, db, org, make_item, place):
    item = place(make_item("Laptop", approval_policy=MANAGER + MANAGERS_MANAGER))
    approval = pending(item)[0]
    sign_in_as(client, org.ann)
    url = f"/requests/approvals/{approval.id}"
    client.get(url)
    with count_queries() as statements:
        decided = client.post(f"{url}/decide", {"decision": "approve", "comment": ""})
    assert decided.status_code == 302
    db.session.expire_all()
    assert approval.state.value == "approved"
    assert [a.approver_id for a in pending(item)] == [org.bob.id]  # the next level: Bob
    assert roles_read(statements) == []
    assert people_read_one_by_one(statements) == []

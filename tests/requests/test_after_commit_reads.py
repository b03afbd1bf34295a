"""An order's and a decision's confirmations are worded before the commit, from what the
write loaded: after the commit nothing is read again (before, a decision read the approval,
the item, its caller and their roles again, six statements, and an order its request and the
orderer's roles, two: on every order and decision of the load run, issue 20)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.requests.models import ServiceRequest
from tests.conftest import count_queries
from tests.requests.conftest import pending
from tests.requests.portal_helpers import flashed, sign_in_as

MANAGER = [{"kind": "manager"}]


@pytest.fixture
def after_commit(app, monkeypatch):
    """A block's statements sent after its last commit. The outbox's messages go to a Redis
    that is not there, so nothing is delivered inline: what is counted is the request's own
    work."""
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")

    @contextmanager
    def counting() -> Iterator[list[str]]:
        after: list[str] = []
        committed: list[int] = []

        def mark(_session: Session) -> None:
            committed.append(len(statements))

        with count_queries() as statements:
            event.listen(Session, "after_commit", mark)
            try:
                yield after
            finally:
                event.remove(Session, "after_commit", mark)
        assert committed, "nothing was committed"
        after.extend(statements[committed[-1] :])

    return counting


def test_a_decision_reads_nothing_again_after_its_commit(
    client, db, org, make_item, place, after_commit
):
    item = place(make_item("Laptop", approval_policy=MANAGER), requested_for=org.kim)
    approval = pending(item)[0]
    sign_in_as(client, org.ann)
    with after_commit() as statements:
        response = client.post(
            f"/requests/approvals/{approval.id}/decide", {"decision": "approve", "comment": ""}
        )
    assert response.status_code == 302
    assert statements == []
    page = client.get(response.location).get_data(as_text=True)
    assert flashed(page) == [f"You approved {item.number} (Laptop) for Kim Lee. Now: In progress."]


def test_an_order_reads_nothing_again_after_its_commit(client, db, org, make_item, after_commit):
    item = make_item("Monitor", variables=[])  # a form without questions
    sign_in_as(client, org.gina)
    with after_commit() as statements:
        response = client.post(
            f"/requests/catalog/{item.id}",
            {"cart-0-form": str(item.form.id), "requested_for": str(org.gina.id)},
        )
    assert response.status_code == 302
    assert statements == []
    number = db.session.scalar(select(ServiceRequest.number))
    assert response.location == f"/requests/{number}"
    page = client.get(response.location).get_data(as_text=True)
    assert f"Thank you. Your request {number} is registered; follow it here." in flashed(page)

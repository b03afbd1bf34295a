"""A decision's confirmation is worded before the commit, from what the decision loaded: after
the commit nothing is read again (before, the approval, the item, its caller and their roles
were: six statements on every decision of the load run's approvers, issue 20)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.conftest import count_queries
from tests.requests.conftest import pending
from tests.requests.portal_helpers import flashed, sign_in_as

MANAGER = [{"kind": "manager"}]


def test_a_decision_reads_nothing_again_after_its_commit(
    app, client, db, org, make_item, place, monkeypatch
):
    # The outbox's messages go to a Redis that is not there, so nothing is delivered inline
    # after the commit: what is counted is the request's own work.
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    item = place(make_item("Laptop", approval_policy=MANAGER), requested_for=org.kim)
    approval = pending(item)[0]
    sign_in_as(client, org.ann)
    committed: list[int] = []

    def mark(_session: Session) -> None:
        committed.append(len(statements))

    with count_queries() as statements:
        event.listen(Session, "after_commit", mark)
        try:
            response = client.post(
                f"/requests/approvals/{approval.id}/decide",
                {"decision": "approve", "comment": ""},
            )
        finally:
            event.remove(Session, "after_commit", mark)
    assert response.status_code == 302
    assert committed, "the decision was not committed"
    assert statements[committed[-1] :] == []
    page = client.get(response.location).get_data(as_text=True)
    assert flashed(page) == [f"You approved {item.number} (Laptop) for Kim Lee. Now: In progress."]

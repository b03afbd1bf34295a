"""The approver's pages, with CSRF on: what waits for me (mine and my delegators'), the approval
with the request it is about, approve and reject (with a reason), too-late decisions as 409,
strangers as 404, and naming a delegate for a period."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.requests import services
from app.requests.models import ApprovalDelegation
from app.timeutils import utc_now
from tests.requests.conftest import pending
from tests.requests.portal_helpers import field_error, flashed, sign_in_as, squash

MANAGER = [{"kind": "manager"}]


def local(value) -> str:
    """A datetime-local form value (the test users' time zone is UTC)."""
    return value.strftime("%Y-%m-%dT%H:%M")


def test_an_approver_reviews_and_approves(client, db, org, make_item, place):
    item = place(
        make_item("Laptop", approval_policy=MANAGER),
        answers={"model": "15 inch", "reason": "Screen cracked"},
        orderer=org.gina,
        requested_for=org.kim,
    )
    approval = pending(item)[0]
    sign_in_as(client, org.ann)
    listing = client.get("/requests/approvals").get_data(as_text=True)
    assert item.number in listing
    assert "Kim Lee" in listing
    assert "Gina Manager" in listing
    page = squash(client.get(f"/requests/approvals/{approval.id}").get_data(as_text=True))
    assert item.request.number in page
    assert "Laptop for Kim Lee" in page
    assert "<dt>Requested by</dt><dd>Gina Manager</dd>" in page
    assert "<dt>Model</dt><dd>15 inch</dd>" in page
    assert "Screen cracked" in page
    assert "form version 1" in page
    response = client.post(
        f"/requests/approvals/{approval.id}/decide", {"decision": "approve", "comment": ""}
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert flashed(page) == [f"You approved {item.number} (Laptop) for Kim Lee. Now: In progress."]
    assert "Nothing waits for your approval" in page
    assert "Decided lately" in page
    assert item.number in page
    db.session.expire_all()
    assert approval.state.value == "approved"
    assert approval.decided_by_id == org.ann.id


def test_a_rejection_needs_a_reason_which_the_requester_sees(client, db, org, make_item, place):
    item = place(make_item("Laptop", approval_policy=MANAGER))
    approval = pending(item)[0]
    sign_in_as(client, org.ann)
    url = f"/requests/approvals/{approval.id}/decide"
    refused = client.post(url, {"decision": "reject", "comment": "  "})
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), "comment") == "This field is required."
    db.session.expire_all()
    assert approval.state.value == "requested"
    assert client.post(url, {"decision": "maybe"}).status_code == 422
    assert client.post(url, {"decision": "reject", "comment": "No budget"}).status_code == 302
    sign_in_as(client, org.kim)
    page = client.get(f"/requests/{item.request.number}").get_data(as_text=True)
    assert "Rejected: No budget" in page


def test_too_late_decisions_are_conflicts_shown_on_the_page(client, db, org, make_item, place):
    item = place(make_item("Laptop", approval_policy=MANAGER))
    approval = pending(item)[0]
    sign_in_as(client, org.ann)
    url = f"/requests/approvals/{approval.id}/decide"
    assert client.post(url, {"decision": "approve"}).status_code == 302
    twice = client.post(url, {"decision": "reject", "comment": "Oops"})
    assert twice.status_code == 409
    page = twice.get_data(as_text=True)
    assert "This approval was already decided: approved by Ann Smith." in flashed(page)
    assert "This approval is approved by Ann Smith" in page  # no decision form any more
    canceled = place(make_item("Phone", approval_policy=MANAGER))
    services.cancel_item(canceled, actor=org.kim)
    db.session.commit()
    late = client.post(
        f"/requests/approvals/{canceled.approvals[0].id}/decide", {"decision": "approve"}
    )
    assert late.status_code == 409
    assert f"{canceled.number} was canceled" in late.get_data(as_text=True)


def test_strangers_cannot_see_or_decide(client, db, org, make_item, place, make_user):
    item = place(
        make_item("Laptop", approval_policy=MANAGER),
        answers={"model": "13 inch", "reason": "Top secret project"},
    )
    approval = pending(item)[0]
    for stranger in (make_user(display_name="Nosy"), org.bob, org.kim):
        sign_in_as(client, stranger)
        assert approval.item.number not in client.get("/requests/approvals").get_data(as_text=True)
        page = client.get(f"/requests/approvals/{approval.id}")
        assert page.status_code == 404
        assert "Top secret" not in page.get_data(as_text=True)
        decide = client.post(f"/requests/approvals/{approval.id}/decide", {"decision": "approve"})
        assert decide.status_code == 404
    db.session.expire_all()
    assert approval.state.value == "requested"


def test_a_delegate_decides_on_behalf_during_the_period(client, db, org, make_item, place):
    item = place(make_item("Laptop", approval_policy=MANAGER))
    approval = pending(item)[0]
    now = utc_now()
    sign_in_as(client, org.ann)
    page = client.get("/requests/delegations").get_data(as_text=True)
    assert 'type="datetime-local"' in page
    assert "You have not named a delegate." in page
    response = client.post(
        "/requests/delegations",
        {
            "delegate": str(org.iris.id),
            "starts_at": local(now - timedelta(hours=1)),
            "ends_at": local(now + timedelta(days=3)),
        },
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert flashed(page) == ["Iris Agent decides your approvals during this period."]
    assert "active now" in page
    sign_in_as(client, org.iris)
    listing = client.get("/requests/approvals").get_data(as_text=True)
    assert "on behalf of Ann Smith" in listing
    assert "You decide for Ann Smith" in listing
    page = client.get(f"/requests/approvals/{approval.id}").get_data(as_text=True)
    assert "Your decision (on behalf of Ann Smith)" in page
    assert (
        client.post(
            f"/requests/approvals/{approval.id}/decide", {"decision": "approve"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert approval.decided_by_id == org.iris.id
    assert approval.on_behalf
    sign_in_as(client, org.kim)
    page = squash(client.get(f"/requests/{item.request.number}").get_data(as_text=True))
    assert "(by Iris Agent on their behalf)" in page
    # Ann ends it: Iris no longer sees Ann's new approvals
    delegation = db.session.scalar(select(ApprovalDelegation))
    sign_in_as(client, org.iris)
    assert client.post(f"/requests/delegations/{delegation.id}/end").status_code == 403
    sign_in_as(client, org.ann)
    assert client.post(f"/requests/delegations/{delegation.id}/end").status_code == 302
    later = place(make_item("Phone", approval_policy=MANAGER))
    sign_in_as(client, org.iris)
    assert later.number not in client.get("/requests/approvals").get_data(as_text=True)
    assert client.get(f"/requests/approvals/{pending(later)[0].id}").status_code == 404
    sign_in_as(client, org.bob)
    assert client.post(f"/requests/delegations/{delegation.id}/end").status_code == 404


def test_delegation_refuses_bad_periods_at_their_field(client, db, org):
    now = utc_now()
    sign_in_as(client, org.ann)
    cases = [
        ({"delegate": str(org.ann.id)}, "delegate", "Choose someone other than yourself."),
        ({"delegate": "nobody"}, "delegate", "Choose an active person as the delegate."),
        (
            {"ends_at": local(now - timedelta(days=2))},
            "ends_at",
            "The end must come after the start.",
        ),
        ({"ends_at": "next tuesday"}, "ends_at", "Not a valid datetime value."),
    ]
    for change, field, message in cases:
        data = {
            "delegate": str(org.iris.id),
            "starts_at": local(now),
            "ends_at": local(now + timedelta(days=1)),
        } | change
        response = client.post("/requests/delegations", data)
        assert response.status_code == 422, change
        assert field_error(response.get_data(as_text=True), field) == message
    assert db.session.scalar(select(ApprovalDelegation)) is None


def test_the_home_page_counts_open_requests_and_waiting_approvals(
    client, db, org, make_item, place
):
    place(make_item("Laptop", approval_policy=MANAGER))
    place(make_item("Phone", approval_policy=MANAGER))
    sign_in_as(client, org.ann)
    home = squash(client.get("/").get_data(as_text=True))
    assert '<span class="dg-stat">2</span><p>requests waiting for your approval</p>' in home
    assert "Nothing ordered is open right now." in home
    sign_in_as(client, org.kim)
    home = squash(client.get("/").get_data(as_text=True))
    assert "2 open requests: see where they stand." in home
    assert "waiting for your approval" not in home


def test_the_approvals_page_reads_a_bounded_number_of_rows(client, db, org, make_item, place):
    from tests.conftest import count_queries

    item = make_item("Laptop", approval_policy=MANAGER)
    place(item)
    sign_in_as(client, org.ann)
    with count_queries() as one:
        assert client.get("/requests/approvals").status_code == 200
    for orderer in (org.kim, org.gina, org.ivan, org.iris):
        place(item, orderer=orderer, requested_for=org.kim)
    with count_queries() as five:
        page = client.get("/requests/approvals").get_data(as_text=True)
    assert page.count("Review<span") == 5
    assert len(five) == len(one)


def test_a_requester_cannot_approve_their_own_item_as_a_delegate(client, db, org, make_item, place):
    now = utc_now()
    services.add_delegation(
        delegator=org.ann,
        delegate=org.kim,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=3),
        actor=org.ann,
    )
    item = place(make_item("Laptop", approval_policy=MANAGER))
    approval = pending(item)[0]
    sign_in_as(client, org.kim)
    assert item.number not in client.get("/requests/approvals").get_data(as_text=True)
    page = client.get(f"/requests/approvals/{approval.id}").get_data(as_text=True)
    assert f"{item.number} is for you, so someone else must approve it." in page
    assert 'value="approve"' not in page
    crafted = client.post(f"/requests/approvals/{approval.id}/decide", {"decision": "approve"})
    assert crafted.status_code == 403
    assert f"{item.number} is for you, so someone else must approve it." in crafted.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert approval.state.value == "requested"


def test_a_manager_who_ordered_for_a_report_cannot_force_a_decision(
    client, db, org, make_item, place
):
    from app.requests.models import Approval

    item = place(
        make_item("Laptop", approval_policy=MANAGER), orderer=org.ann, requested_for=org.kim
    )
    assert [a.approver_id for a in pending(item)] == [org.gina.id]
    # an approval naming her anyway (asked before the rule existed)
    legacy = Approval(item=item, level=0, approver_id=org.ann.id, requested_at=utc_now())
    db.session.add(legacy)
    db.session.commit()
    sign_in_as(client, org.ann)
    crafted = client.post(f"/requests/approvals/{legacy.id}/decide", {"decision": "approve"})
    assert crafted.status_code == 403
    assert f"You ordered {item.number} for Kim Lee, so someone else must approve it." in (
        crafted.get_data(as_text=True)
    )
    assert (
        client.post(
            f"/requests/approvals/{pending(item)[0].id}/decide", {"decision": "approve"}
        ).status_code
        == 404
    )  # not hers to decide
    db.session.expire_all()
    assert item.state == "pending_approval"


def test_why_an_approval_came_reads_in_the_approvers_language(client, db, org, make_item, place):
    """The routing note is stored as a message: each approver reads it in their language, and
    a note stored before (plain English) still shows as it is."""
    from app.auth import services as auth

    auth.set_manager(org.kim, None, actor=None)
    item = place(make_item("Laptop", approval_policy=MANAGER))
    approval = pending(item)[0]
    sign_in_as(client, org.gina)
    said = {
        "sv": f"Kim Lee har ingen chef i katalogen, så godkännandet går till chefen för "
        f"{org.queue.name}, Gina Manager.",
        "en": f"Kim Lee has no manager in the directory, so the approval goes to the manager "
        f"of {org.queue.name}, Gina Manager.",
    }
    for language, words in said.items():
        org.gina.language = language
        db.session.commit()
        assert words in squash(
            client.get(f"/requests/approvals/{approval.id}").get_data(as_text=True)
        )

    approval.note, approval.note_message = "Routed by hand before the upgrade.", None
    org.gina.language = "sv"
    db.session.commit()
    page = squash(client.get(f"/requests/approvals/{approval.id}").get_data(as_text=True))
    assert "Routed by hand before the upgrade." in page

"""The requester's pages: my requests, a request in plain words, replies with a file, canceling
before fulfilment; strangers get "not found" and work notes never reach employees."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.requests import services
from app.requests.models import ServiceRequest
from app.tickets import attachments
from app.tickets.models import JournalEntry
from tests.requests.conftest import pending
from tests.requests.portal_helpers import field_error, flashed, sign_in_as, squash

MANAGER = [{"kind": "manager"}]
SECRET_NOTE = "internal: licence key 7F3K-22 reused from stock"


def upload(data: bytes, name: str):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(data), filename=name)


def test_my_requests_lists_open_and_all_with_plain_words(client, db, org, make_item, place):
    waiting = place(make_item("Laptop", approval_policy=MANAGER))
    delivering = place(make_item("Headset"))
    gone = place(make_item("Phone", approval_policy=MANAGER))
    services.cancel_item(gone, actor=org.kim)
    theirs = place(make_item("Monitor"), orderer=org.iris)
    db.session.commit()
    sign_in_as(client, org.kim)
    page = client.get("/requests/mine").get_data(as_text=True)
    assert waiting.request.number in page
    assert delivering.request.number in page
    assert "Waiting for approval by Ann Smith" in page
    assert "In progress" in page
    assert gone.request.number not in page
    assert theirs.request.number not in page
    everything = client.get("/requests/mine?show=all").get_data(as_text=True)
    assert gone.request.number in everything
    assert "Canceled" in everything
    assert theirs.request.number not in everything


def test_my_open_requests_say_how_many_finished_ones_they_leave_out(
    client, db, org, make_item, place
):
    from app.requests.states import TaskState

    delivered = place(make_item("Headset"))
    for task in delivered.tasks:
        services.change_task_state(task, TaskState.IN_PROGRESS, actor=org.ivan)
        services.change_task_state(task, TaskState.CLOSED, actor=org.ivan, close_code="complete")
    db.session.commit()
    sign_in_as(client, org.kim)
    page = squash(client.get("/requests/mine").get_data(as_text=True))
    assert delivered.request.number not in page
    assert "No open requests" in page
    assert "1 finished request is not listed here (delivered, rejected or canceled)." in page
    assert '<a href="/requests/mine?show=all">Show it</a>' in page
    waiting = place(make_item("Laptop", approval_policy=MANAGER))
    gone = place(make_item("Phone", approval_policy=MANAGER))
    services.cancel_item(gone, actor=org.kim)
    db.session.commit()
    page = squash(client.get("/requests/mine").get_data(as_text=True))
    assert waiting.request.number in page
    assert "2 finished requests are not listed here" in page
    assert 'Open <span class="badge text-bg-light">1</span>' in page
    assert 'All, delivered included <span class="badge text-bg-light">3</span>' in page
    everything = squash(client.get("/requests/mine?show=all").get_data(as_text=True))
    assert f"{delivered.request.number}</a>" in everything
    assert "Headset · <span" in everything
    assert "Delivered</span>" in everything
    assert "not listed here" not in everything


def test_the_request_page_in_plain_words(client, db, org, make_item, place):
    item = place(
        make_item("Laptop", approval_policy=MANAGER),
        answers={"model": "15 inch", "reason": "Broken hinge"},
    )
    sign_in_as(client, org.kim)
    page = client.get(f"/requests/{item.request.number}").get_data(as_text=True)
    assert "Waiting for approval by Ann Smith" in page
    assert "Model" in page
    assert "15 inch" in page
    assert "Broken hinge" in page
    assert "form version 1" in page
    assert "Cancel this item" in page
    assert "Write to IT" in page
    # an item's number leads to the same page
    assert "Broken hinge" in client.get(f"/requests/{item.number}").get_data(as_text=True)
    # the approver decides: in progress, then the timeline says so
    services.decide(pending(item)[0], actor=org.ann, approve=True, comment="Fine")
    db.session.commit()
    page = client.get(f"/requests/{item.request.number}").get_data(as_text=True)
    assert "In progress" in page
    assert "Cancel this item" not in page
    assert "Ann Smith: <strong>approved</strong>" in squash(page)
    assert "“Fine”" in page
    assert "Awaiting approval → <strong>In progress</strong>" in page


def test_a_rejection_shows_its_reason_to_the_requester(client, db, org, make_item, place):
    item = place(make_item("Laptop", approval_policy=MANAGER))
    services.decide(pending(item)[0], actor=org.ann, approve=False, comment="Budget frozen")
    db.session.commit()
    sign_in_as(client, org.kim)
    page = client.get(f"/requests/{item.request.number}").get_data(as_text=True)
    assert "Rejected: Budget frozen" in page
    assert "Write to IT" not in page  # the request is closed


def test_work_notes_and_internal_files_never_reach_employees(client, db, org, make_item, place):
    item = place(make_item("Laptop"))
    services.comment(item, author=org.ivan, body=SECRET_NOTE, public=False)
    services.comment(item, author=org.ivan, body="Your laptop ships Monday.", public=True)
    internal = attachments.store(
        item, upload(b"key", "licence.txt"), uploader=org.ivan, internal=True
    )
    db.session.commit()
    for reader in (org.kim, org.ivan):  # the portal page is the employee's, even for IT staff
        sign_in_as(client, reader)
        page = client.get(f"/requests/{item.request.number}").get_data(as_text=True)
        assert "Your laptop ships Monday." in page
        assert SECRET_NOTE not in page
        assert "licence.txt" not in page
        assert "work note" not in page.lower()
        url = f"/requests/{item.request.number}/files/{internal.id}"
        assert client.get(url).status_code == 404


def test_replying_with_a_file(client, db, org, make_item, place):
    item = place(make_item("Laptop", approval_policy=MANAGER))
    sign_in_as(client, org.kim)
    number = item.request.number
    refused = client.post(f"/requests/{number}/reply", {"item": item.number, "body": "  "})
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), "body") == "Write something first."
    response = client.post(
        f"/requests/{number}/reply",
        {
            "item": item.number,
            "body": "My old one is KF-LT-003.",
            "attachment": (io.BytesIO(b"photo"), "hinge.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.body.like("My old one%")))
    assert entry.ticket_id == item.id
    assert entry.kind.value == "reply"
    page = client.get(f"/requests/{number}").get_data(as_text=True)
    assert "My old one is KF-LT-003." in page
    assert "hinge.jpg" in page
    # replying about an item of another request is not possible
    other = place(make_item("Mouse"))
    stray = client.post(f"/requests/{number}/reply", {"item": other.number, "body": "hi"})
    assert stray.status_code == 404


def test_canceling_while_waiting_for_approval(client, db, org, make_item):
    laptop, phone = (
        make_item("Laptop", approval_policy=MANAGER),
        make_item("Phone", approval_policy=MANAGER),
    )
    request = services.order(
        orderer=org.kim,
        requested_for=org.kim,
        lines=[
            services.OrderLine(laptop, {"model": "13 inch"}),
            services.OrderLine(phone, {"model": "13 inch"}),
        ],
    )
    db.session.commit()
    first, second = request.items
    sign_in_as(client, org.kim)
    page = client.get(f"/requests/{request.number}").get_data(as_text=True)
    assert "Cancel the whole request" in page
    response = client.post(
        f"/requests/{request.number}/cancel", {"item": first.number, "reason": "Got one"}
    )
    assert response.status_code == 302
    page = client.get(f"/requests/{request.number}").get_data(as_text=True)
    assert flashed(page) == [f"{first.number} (Laptop) is canceled."]
    hidden = 'Cancel this item<span class="visually-hidden">: '
    assert f"{hidden}Laptop" not in page
    assert f"{hidden}Phone" in page
    again = client.post(f"/requests/{request.number}/cancel", {"item": first.number})
    assert again.status_code == 409
    assert "can no longer be canceled" in again.get_data(as_text=True)
    assert client.post(f"/requests/{request.number}/cancel", {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ServiceRequest, request.id).state == "canceled"
    assert pending(second) == []


def test_canceling_once_delivery_started_is_a_conflict(client, db, org, make_item, place):
    item = place(make_item("Headset"))  # no approval: in progress at once
    sign_in_as(client, org.kim)
    response = client.post(f"/requests/{item.request.number}/cancel", {"item": item.number})
    assert response.status_code == 409
    assert "being delivered" in response.get_data(as_text=True)
    whole = client.post(f"/requests/{item.request.number}/cancel", {})
    assert whole.status_code == 409
    db.session.expire_all()
    assert item.state == "in_progress"


def test_strangers_get_not_found_and_approvers_only_read(
    client, db, org, make_item, place, make_user
):
    item = place(
        make_item("Laptop", approval_policy=MANAGER),
        answers={"model": "13 inch", "reason": "Secret plan"},
    )
    number = item.request.number
    sign_in_as(client, make_user(display_name="Nosy Neighbour"))
    for response in (
        client.get(f"/requests/{number}"),
        client.get(f"/requests/{item.number}"),
        client.post(f"/requests/{number}/reply", {"item": item.number, "body": "hi"}),
        client.post(f"/requests/{number}/cancel", {"item": item.number}),
        client.get(f"/requests/{number}/files/1"),
    ):
        assert response.status_code == 404
        assert "Secret plan" not in response.get_data(as_text=True)
    assert number not in client.get("/requests/mine?show=all").get_data(as_text=True)
    # the approver reads what they approve, but neither replies nor cancels
    sign_in_as(client, org.ann)
    page = client.get(f"/requests/{number}").get_data(as_text=True)
    assert "Secret plan" in page
    assert "Write to IT" not in page
    assert "Cancel this item" not in page
    assert client.post(f"/requests/{number}/cancel", {"item": item.number}).status_code == 403
    assert (
        client.post(f"/requests/{number}/reply", {"item": item.number, "body": "hi"}).status_code
        == 403
    )
    db.session.expire_all()
    assert item.state == "pending_approval"

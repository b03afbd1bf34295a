"""One-click decision links from approval mails, with CSRF on and signed out: the link opens a
confirmation page that decides nothing, the confirmation decides once as the person the link
was sent to (the journal says "from a mail link"), and every link that cannot be used says why
(409 decided, 410 expired, 403 tampered, deactivated or separation of duties). Also the count
beside "My approvals" in the navigation."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from app.requests import services
from app.requests.approvals import links
from app.tickets.models import JournalEntry, TicketEvent
from app.timeutils import utc_now
from tests.conftest import Client
from tests.requests.conftest import pending
from tests.requests.portal_helpers import field_error, sign_in_as, squash

MANAGER = [{"kind": "manager"}]
TOKEN = re.compile(r'name="submission_token" type="hidden" value="([0-9a-f]{32})"')


def link(approval, approver, decision="approve") -> str:
    return links.decision_url(approval, approver, decision, external=False)


def page_of(response) -> str:
    return squash(response.get_data(as_text=True))


def journal(db, item) -> list[str]:
    return list(
        db.session.scalars(
            select(JournalEntry.body)
            .where(JournalEntry.ticket_id == item.id)
            .order_by(JournalEntry.id)
        )
    )


def decided_events(db, item) -> list[dict]:
    return [
        e.data
        for e in db.session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == item.id, TicketEvent.type == "approval_decided"
            )
        )
    ]


def delegate(db, delegator, to) -> None:
    """``delegator`` is away: ``to`` decides their approvals from an hour ago for two days."""
    now = utc_now()
    services.add_delegation(
        delegator=delegator,
        delegate=to,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
        actor=delegator,
    )
    db.session.commit()


@pytest.fixture
def visitor(app, db) -> Client:
    """A browser that is not signed in."""
    return Client(app.test_client())


@pytest.fixture
def laptop(org, make_item, place):
    """Kim's laptop, waiting for Ann (Kim's manager)."""
    return place(
        make_item("Laptop", approval_policy=MANAGER),
        answers={"model": "15 inch", "reason": "Screen cracked"},
    )


def test_the_link_opens_a_confirmation_that_decides_nothing(visitor, db, org, laptop):
    approval = pending(laptop)[0]
    response = visitor.get(link(approval, org.ann))
    assert response.status_code == 200
    page = page_of(response)
    assert "Approve Laptop for Kim Lee?" in page
    assert f"{laptop.request.number} · {laptop.number}" in page
    assert "<dt>Requested by</dt><dd>Kim Lee</dd>" in page
    assert "<dt>Model</dt><dd>15 inch</dd>" in page
    assert "Screen cracked" in page
    assert "Confirm approval" in page
    assert "signed in as" not in page
    for _ in range(2):  # a mail scanner may follow the link more than once
        assert visitor.get(link(approval, org.ann)).status_code == 200
    db.session.expire_all()
    assert approval.state.value == "requested"
    assert decided_events(db, laptop) == []


def test_confirming_decides_once_as_the_approver_from_a_mail_link(visitor, db, org, laptop):
    approval = pending(laptop)[0]
    url = link(approval, org.ann)
    form = {"comment": "Fine by me", "submission_token": TOKEN.search(visitor.get(url).text)[1]}
    response = visitor.post(url, form)
    assert response.status_code == 303
    done = page_of(visitor.get(response.location))
    assert "Approved by Ann Smith" in done
    assert "“Fine by me”" in done
    assert "Now: In progress." in done
    db.session.expire_all()
    assert approval.state.value == "approved"
    assert approval.decided_by_id == org.ann.id
    assert "Approved by Ann Smith from a mail link. Fine by me" in journal(db, laptop)
    assert [e["via"] for e in decided_events(db, laptop)] == ["a mail link"]

    replay = visitor.post(url, form)  # the browser's "resend", or a copied request
    assert replay.status_code == 409
    assert "This approval was already decided: approved by Ann Smith." in page_of(replay)
    again = visitor.get(url)  # the link itself is no use any more
    assert again.status_code == 409
    assert "Sign in and open My approvals" in page_of(again)
    assert len(decided_events(db, laptop)) == 1


def test_a_rejection_link_asks_for_the_reason(visitor, db, org, laptop):
    approval = pending(laptop)[0]
    url = link(approval, org.ann, "reject")
    page = page_of(visitor.get(url))
    assert "Reject Laptop for Kim Lee?" in page
    assert "Confirm rejection" in page
    refused = visitor.post(url, {"comment": ""})
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), "comment") == "This field is required."
    db.session.expire_all()
    assert approval.state.value == "requested"
    assert visitor.post(url, {"comment": "No budget this year"}).status_code == 303
    db.session.expire_all()
    assert approval.state.value == "rejected"
    assert laptop.close_notes == "No budget this year"


def test_a_tampered_or_foreign_token_is_refused(visitor, db, org, laptop, app):
    approval = pending(laptop)[0]
    url = link(approval, org.ann)
    token = url.rsplit("/", 1)[1]
    for bad in (
        url[:-3] + ("aaa" if not url.endswith("aaa") else "bbb"),
        "/requests/approvals/decide/not-a-token",
        "/requests/approvals/decide/" + TimestampSigner(app.secret_key).sign("1").decode(),
    ):
        for method in (visitor.get, visitor.post):
            response = method(bad)
            assert response.status_code == 403, bad
            assert "This approval link is not valid" in page_of(response)
    assert visitor.get(f"/requests/approvals/decide/{token[:-2]}/done").status_code == 403
    no_csrf = visitor.post(url, {"comment": ""}, csrf=False)  # a forged cross-site post
    assert no_csrf.status_code == 400
    with pytest.raises(links.LinkError):
        links.read_token(token[:-1], timedelta(days=1))
    assert links.read_token(token, timedelta(days=1)) == (approval.id, org.ann.id, "approve")
    with pytest.raises(ValueError, match="decision"):
        links.decision_token(approval, org.ann, "maybe")
    db.session.expire_all()
    assert approval.state.value == "requested"


def test_an_expired_link_is_gone(visitor, db, org, laptop, monkeypatch):
    approval = pending(laptop)[0]
    fifteen_days_ago = int(time.time()) - 15 * 24 * 3600
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: fifteen_days_ago)
        url = link(approval, org.ann)
    for response in (visitor.get(url), visitor.post(url, {"comment": ""})):
        assert response.status_code == 410
        page = page_of(response)
        assert "This approval link has expired" in page
        assert "links are valid for 14 days" in page
        assert "/login?next=/requests/approvals" in page
    db.session.expire_all()
    assert approval.state.value == "requested"


def test_separation_of_duties_applies_to_links(visitor, db, org, make_item, place):
    # Ann orders for Kim, so the approval goes past her to Gina, who delegated to Ann.
    item = place(
        make_item("Laptop", approval_policy=MANAGER), orderer=org.ann, requested_for=org.kim
    )
    approval = pending(item)[0]
    assert approval.approver_id == org.gina.id
    delegate(db, org.gina, org.ann)
    url = link(approval, org.ann)
    for response in (visitor.get(url), visitor.post(url, {"comment": ""})):
        assert response.status_code == 403
        assert "You ordered" in page_of(response)
        assert "so someone else must approve it" in page_of(response)
    stranger = link(approval, org.ivan)  # a link naming someone who is no approver
    assert visitor.post(stranger, {"comment": ""}).status_code == 403
    assert "Ivan Agent can no longer decide this approval" in page_of(visitor.get(stranger))
    db.session.expire_all()
    assert approval.state.value == "requested"
    # Gina's own link still works.
    assert visitor.post(link(approval, org.gina), {"comment": ""}).status_code == 303


def test_a_delegate_decides_from_their_link_on_behalf_of_the_approver(visitor, db, org, laptop):
    approval = pending(laptop)[0]
    delegate(db, org.ann, org.bob)
    url = link(approval, org.bob)  # the mail went to Bob, Ann's delegate
    assert "Your decision (on behalf of Ann Smith)" in page_of(visitor.get(url))
    assert visitor.post(url, {"comment": ""}).status_code == 303
    db.session.expire_all()
    assert (approval.state.value, approval.decided_by_id) == ("approved", org.bob.id)
    assert "Approved by Bob Boss on behalf of Ann Smith from a mail link." in journal(db, laptop)


def test_a_deactivated_approver_or_a_canceled_item_is_refused(
    visitor, db, org, laptop, make_item, place
):
    from app.auth import services as accounts

    approval = pending(laptop)[0]
    url = link(approval, org.ann)
    canceled = place(make_item("Phone", approval_policy=MANAGER))
    late = link(canceled.approvals[0], org.ann)
    services.cancel_item(canceled, actor=org.kim)
    accounts.set_active(org.ann, False, actor=org.ada)
    db.session.commit()
    response = visitor.post(url, {"comment": ""})
    assert response.status_code == 403
    assert "The account of Ann Smith is deactivated." in page_of(response)
    response = visitor.get(late)
    assert response.status_code == 409
    assert f"{canceled.number} no longer waits for this approval." in page_of(response)
    db.session.expire_all()
    assert approval.state.value == "requested"


def test_someone_else_signed_in_is_told_whose_link_it_is(client, db, org, laptop):
    approval = pending(laptop)[0]
    sign_in_as(client, org.ivan)
    url = link(approval, org.ann)
    page = squash(re.sub(r"<[^>]+>", "", client.get(url).get_data(as_text=True)))
    assert "You are signed in as Ivan Agent, but this link was sent to Ann Smith." in page
    assert "Confirming records the decision as Ann Smith’s." in page
    assert client.post(url, {"comment": ""}).status_code == 303
    db.session.expire_all()
    assert approval.decided_by_id == org.ann.id


def test_the_url_is_absolute_for_mail(app, db, org, laptop, monkeypatch):
    approval = pending(laptop)[0]
    monkeypatch.setitem(app.config, "DESKGRAPH_BASE_URL", "https://desk.example.org/")
    url = links.decision_url(approval, org.ann, "reject")
    assert url.startswith("https://desk.example.org/requests/approvals/decide/")
    with app.test_request_context(base_url="http://intranet:8080"):
        assert link(approval, org.ann).startswith("/requests/approvals/decide/")
        monkeypatch.delitem(app.config, "DESKGRAPH_BASE_URL")
        assert links.decision_url(approval, org.ann, "approve").startswith(
            "http://intranet:8080/requests/approvals/decide/"
        )
    assert links.read_token(url.rsplit("/", 1)[1], timedelta(days=1))[2] == "reject"


def nav_count(page: str) -> str | None:
    found = re.search(
        r'My approvals\s*<span class="badge[^"]*">(\d+)<span class="visually-hidden"> waiting',
        page,
    )
    return found[1] if found else None


def test_my_approvals_shows_its_count_on_every_page(client, db, org, make_item, place):
    first = place(make_item("Laptop", approval_policy=MANAGER))
    place(make_item("Phone", approval_policy=MANAGER))
    sign_in_as(client, org.ann)
    for url in ("/", "/requests/catalog", "/account"):
        assert nav_count(client.get(url).get_data(as_text=True)) == "2", url
    assert services.waiting_count(org.ann) == len(services.waiting_for(org.ann)) == 2
    approval = pending(first)[0]
    client.post(f"/requests/approvals/{approval.id}/decide", {"decision": "approve"})
    assert nav_count(client.get("/").get_data(as_text=True)) == "1"
    sign_in_as(client, org.kim)  # the requester waits for nobody's approval: no badge
    assert nav_count(client.get("/").get_data(as_text=True)) is None
    assert "My approvals" in client.get("/").get_data(as_text=True)


def test_the_count_compares_delegations_with_each_requests_time(
    client, db, org, make_item, place, monkeypatch
):
    """The counts' statement is built once per process; the time in it is each request's."""
    place(make_item("Laptop", approval_policy=MANAGER))
    place(make_item("Phone", approval_policy=MANAGER))
    delegate(db, org.ann, org.bob)  # Kim's manager Ann is away: Bob decides for her
    sign_in_as(client, org.bob)
    assert nav_count(client.get("/").get_data(as_text=True)) == "2"
    later = utc_now() + timedelta(days=3)  # the delegation has ended
    monkeypatch.setattr("app.requests.approvals.services.utc_now", lambda: later)
    assert nav_count(client.get("/").get_data(as_text=True)) is None

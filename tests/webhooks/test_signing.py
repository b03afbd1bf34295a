"""What a receiver checks (the pure signing module), which events reach which subscription
(the pure filters), and which addresses a webhook may go to."""

from __future__ import annotations

import pytest

from app.webhooks import addresses, signing, vocabulary

SECRET = "whsec_test"
BODY = b'{"event":"incident.created"}'


def signed(at: int = 1_800_000_000, body: bytes = BODY) -> dict[str, str]:
    return signing.headers(SECRET, "incident.created", "d-1", at, body)


def test_a_receiver_accepts_a_fresh_delivery_signed_with_its_secret():
    headers = signed()
    assert headers["Deskgraph-Signature"].startswith("sha256=")
    lowered = {k.lower(): v for k, v in headers.items()}  # servers change the case
    assert signing.verify(SECRET, lowered, BODY, now=1_800_000_100) == "d-1"


@pytest.mark.parametrize(
    ("secret", "body", "now", "reason"),
    [
        ("whsec_other", BODY, 1_800_000_000, "does not match"),
        (SECRET, BODY + b" ", 1_800_000_000, "does not match"),
        (SECRET, BODY, 1_800_000_000 + 301, "too old"),  # a recorded delivery replayed later
        (SECRET, BODY, 1_800_000_000 - 301, "too old"),
    ],
)
def test_a_receiver_refuses_forged_tampered_and_replayed_deliveries(secret, body, now, reason):
    with pytest.raises(signing.SignatureError, match=reason):
        signing.verify(secret, signed(), body, now=now)


def test_a_replay_with_a_new_timestamp_but_the_old_signature_is_refused():
    replayed = {**signed(at=1_800_000_000), "Deskgraph-Timestamp": "1800000500"}
    with pytest.raises(signing.SignatureError, match="does not match"):
        signing.verify(SECRET, replayed, BODY, now=1_800_000_500)


def test_an_unsigned_delivery_is_refused():
    with pytest.raises(signing.SignatureError, match="not signed"):
        signing.verify(SECRET, {"Content-Type": "application/json"}, BODY, now=0)


def occurrence(**fields):
    values = {"event_type": "created", "ticket_kind": "incident", "group_id": 7}
    return vocabulary.Occurrence(**{**values, **fields})


@pytest.mark.parametrize(
    ("wanted", "event", "heard"),
    [
        (vocabulary.Filter(), occurrence(), True),
        (vocabulary.Filter(event_types=frozenset({"state_changed"})), occurrence(), False),
        (vocabulary.Filter(ticket_kinds=frozenset({"catalog_task"})), occurrence(), False),
        (vocabulary.Filter(group_ids=frozenset({7})), occurrence(), True),
        (vocabulary.Filter(group_ids=frozenset({8})), occurrence(group_id=None), False),
        (vocabulary.Filter(service_ids=frozenset({3})), occurrence(), False),
        (
            vocabulary.Filter(service_ids=frozenset({3})),
            occurrence(service_ids=frozenset({2, 3})),
            True,
        ),
        (vocabulary.Filter(), occurrence(event_type="commented", internal=True), False),
        (
            vocabulary.Filter(work_notes=True),
            occurrence(event_type="commented", internal=True),
            True,
        ),
        (vocabulary.Filter(), occurrence(event_type="something_new"), False),
    ],
)
def test_filters_choose_the_events_a_subscription_hears(wanted, event, heard):
    assert vocabulary.matches(wanted, event) is heard


@pytest.mark.parametrize(
    ("url", "allow_private", "reason"),
    [
        ("ftp://example.org/hook", True, "http:// or https://"),
        ("javascript:alert(1)", True, "http:// or https://"),
        ("https:///nohost", True, "no host"),
        ("http://[::1", True, "not a valid URL"),
        ("http://127.0.0.1:8080/hook", False, "private address"),
        ("http://169.254.169.254/latest/meta-data", False, "private address"),
        ("http://10.1.2.3/", False, "private address"),
    ],
)
def test_refused_addresses(url, allow_private, reason):
    with pytest.raises(addresses.RefusedAddress, match=reason):
        addresses.check_url(url, allow_private=allow_private)


def test_a_name_that_resolves_to_loopback_is_refused_before_delivery():
    addresses.check_url("http://localhost/hook", allow_private=False)  # a name: saved
    with pytest.raises(addresses.RefusedAddress, match="private address"):
        addresses.check_destination("http://localhost/hook", allow_private=False)
    addresses.check_destination("http://localhost/hook", allow_private=True)

"""Mail in over IMAP, against a real Dovecot on loopback (``tests/imap_server.py``)."""

from __future__ import annotations

import socket

import pytest

from app.mail.imap import ImapSettings, Mailbox, MailboxUnavailable, Security, fetch
from tests.imap_server import (  # noqa: F401  (dovecot: a fixture)
    PASSWORD,
    USER,
    Dovecot,
    dovecot,
    free_port,
    running_dovecot,
)


def message(number: int) -> bytes:
    return (
        f"From: caller{number}@example.com\r\n"
        f"To: desk@example.com\r\n"
        f"Subject: Printer {number}\r\n"
        f"Message-ID: <m{number}@example.com>\r\n"
        f"\r\n"
        f"Message number {number}.\r\n"
    ).encode()


def settings_for(server: Dovecot, **changes: object) -> ImapSettings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": server.port,
        "security": Security.NONE,
        "username": USER,
        "password": PASSWORD,
        "timeout": 5.0,
    }
    values.update(changes)
    return ImapSettings(**values)  # type: ignore[arg-type]


def test_fetch_gives_the_stored_bytes_and_leaves_them_unseen(dovecot):  # noqa: F811
    dovecot.append(message(1))
    dovecot.append(message(2))

    fetched = list(fetch(settings_for(dovecot)))

    assert [item.raw for item in fetched] == [message(1), message(2)]
    assert [(item.complete, item.size) for item in fetched] == [(True, len(message(1)))] * 2
    assert len({item.uid for item in fetched}) == 2
    assert [flags for _raw, flags in dovecot.messages("INBOX")] == [set(), set()]


def test_done_moves_to_the_processed_folder_created_when_missing(dovecot):  # noqa: F811
    dovecot.append(message(1))
    dovecot.append(message(2))
    assert "Processed" not in dovecot.folders()

    for item in fetch(settings_for(dovecot)):
        if b"number 1." in item.raw:
            item.done()

    assert "Processed" in dovecot.folders()
    assert [raw for raw, _flags in dovecot.messages("Processed")] == [message(1)]
    assert [raw for raw, _flags in dovecot.messages("INBOX")] == [message(2)]
    assert [item.raw for item in fetch(settings_for(dovecot))] == [message(2)]


@pytest.mark.parametrize("exists", [False, True])
@pytest.mark.parametrize("folder", ["Archive/Desk", "Behandlade ärenden"])
def test_the_processed_folder_may_be_any_folder_new_or_existing(dovecot, folder, exists):  # noqa: F811
    if exists:
        dovecot.create(folder)
        dovecot.append(message(9), folder)
    dovecot.append(message(1))
    settings = settings_for(dovecot, processed_folder=folder)

    with Mailbox(settings) as mailbox:
        for item in mailbox.fetch():
            mailbox.done(item.uid)

    kept = [message(9)] if exists else []
    assert [raw for raw, _flags in dovecot.messages(folder)] == [*kept, message(1)]
    assert folder in dovecot.folders()
    assert dovecot.messages("INBOX") == []


def test_a_limit_reads_the_oldest_first(dovecot):  # noqa: F811
    for number in range(1, 6):
        dovecot.append(message(number))

    first = [item.raw for item in fetch(settings_for(dovecot), limit=2)]

    assert first == [message(1), message(2)]


@pytest.mark.parametrize("security", [Security.STARTTLS, Security.SSL])
def test_tls_connections_verify_the_certificate(dovecot, security):  # noqa: F811
    dovecot.append(message(1))
    port = dovecot.ssl_port if security is Security.SSL else dovecot.port
    trusted = settings_for(dovecot, security=security, port=port, ca_file=str(dovecot.cert_file))

    assert [item.raw for item in fetch(trusted)] == [message(1)]

    untrusted = settings_for(dovecot, security=security, port=port)
    with pytest.raises(MailboxUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        list(fetch(untrusted))


def test_a_wrong_password_is_unavailable_with_the_reason(dovecot):  # noqa: F811
    with pytest.raises(MailboxUnavailable, match="refused the login of 'desk'"):
        list(fetch(settings_for(dovecot, password="wrong")))


def test_a_missing_folder_is_unavailable(dovecot):  # noqa: F811
    with pytest.raises(MailboxUnavailable, match="could not open the folder 'Support'"):
        list(fetch(settings_for(dovecot, folder="Support")))


def test_nothing_listening_is_unavailable():
    settings = ImapSettings(host="127.0.0.1", port=free_port(), security=Security.NONE)

    with pytest.raises(MailboxUnavailable, match="cannot connect to the IMAP server"):
        list(fetch(settings))


def test_after_the_server_was_down_the_next_fetch_catches_up(dovecot):  # noqa: F811
    settings = settings_for(dovecot)
    dovecot.append(message(1))
    stored = []
    for item in fetch(settings):
        stored.append(item.raw)
        item.done()

    dovecot.stop()
    with pytest.raises(MailboxUnavailable):
        list(fetch(settings))
    dovecot.start()
    dovecot.append(message(2))
    dovecot.append(message(3))
    for item in fetch(settings):
        stored.append(item.raw)
        item.done()

    assert stored == [message(1), message(2), message(3)]
    assert [raw for raw, _flags in dovecot.messages("Processed")] == stored
    assert dovecot.messages("INBOX") == []


def test_a_connection_lost_while_reading_keeps_the_message_for_the_next_poll(dovecot):  # noqa: F811
    settings = settings_for(dovecot)
    dovecot.append(message(1))
    dovecot.append(message(2))

    def handle_all() -> None:
        for item in fetch(settings):
            item.done()
            dovecot.stop()  # the server goes away after the first message was handled

    with pytest.raises(MailboxUnavailable):
        handle_all()

    dovecot.start()
    left = [item.raw for item in fetch(settings)]
    assert left == [message(2)]
    assert [raw for raw, _flags in dovecot.messages("Processed")] == [message(1)]


@pytest.mark.parametrize(
    ("capabilities", "left_in_inbox"),
    [
        # UIDPLUS without MOVE: copy, flag, expunge that message alone.
        ("IMAP4rev1 LITERAL+ UIDPLUS", ["someone else's deleted"]),
        # neither: copy and flag it deleted; it is skipped until someone expunges.
        ("IMAP4rev1 LITERAL+", ["someone else's deleted", "Message number 1."]),
    ],
)
def test_a_server_without_move_never_loses_other_messages(capabilities, left_in_inbox):
    with running_dovecot(capabilities=capabilities) as server:
        server.append(message(1))
        server.append(b"From: x@example.com\r\n\r\nsomeone else's deleted\r\n")
        with server.session() as client:  # another client flagged it deleted, not expunged
            client.select("INBOX")
            _status, found = client.uid("SEARCH", "ALL")
            client.uid("STORE", found[0].split()[-1], "+FLAGS", "(\\Deleted)")
        settings = settings_for(server)

        handled = []
        for item in fetch(settings):
            handled.append(item.raw)
            item.done()

        assert handled == [message(1)]
        assert [raw for raw, _flags in server.messages("Processed")] == [message(1)]
        inbox = server.messages("INBOX")
        bodies = sorted(raw.decode().split("\r\n\r\n")[1].strip() for raw, _flags in inbox)
        assert bodies == sorted(left_in_inbox)
        assert all("\\Deleted" in flags for _raw, flags in inbox)
        assert list(fetch(settings)) == []


def test_a_message_over_the_limit_gives_its_headers_and_size_only(dovecot):  # noqa: F811
    big = message(1).replace(b"Message number 1.", b"x" * 5000)
    dovecot.append(big)
    dovecot.append(message(2))

    fetched = list(fetch(settings_for(dovecot, max_bytes=2000)))

    assert [(item.complete, item.size) for item in fetched] == [
        (False, len(big)),
        (True, len(message(2))),
    ]
    assert fetched[0].raw == big.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    assert fetched[1].raw == message(2)


def test_a_server_that_never_answers_times_out_as_unavailable():
    with socket.socket() as silent:  # accepts connections (the kernel's backlog), says nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        settings = ImapSettings(host="127.0.0.1", port=port, security=Security.NONE, timeout=0.5)

        with pytest.raises(MailboxUnavailable, match="cannot connect to the IMAP server"):
            list(fetch(settings))


def test_a_national_password_is_sent_as_utf8():
    with running_dovecot(password="lösenord-åäö") as server:
        server.append(message(1))

        assert [item.raw for item in fetch(settings_for(server, password="lösenord-åäö"))] == [
            message(1)
        ]
        with pytest.raises(MailboxUnavailable, match="refused the login of 'desk'"):
            list(fetch(settings_for(server, password="lösenord-aao")))

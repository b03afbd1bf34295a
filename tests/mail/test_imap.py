"""Mail in over IMAP, against a real Dovecot on loopback (``tests/imap_server.py``)."""

from __future__ import annotations

import pytest

from app.mail.imap import ImapSettings, Mailbox, MailboxUnavailable, Security, fetch
from tests.imap_server import PASSWORD, USER, Dovecot, dovecot, free_port  # noqa: F401


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

    fetched = [(item.uid, item.raw) for item in fetch(settings_for(dovecot))]

    assert [raw for _uid, raw in fetched] == [message(1), message(2)]
    assert len({uid for uid, _raw in fetched}) == 2
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


def test_an_existing_processed_folder_with_another_name_is_used(dovecot):  # noqa: F811
    dovecot.append(message(1))
    settings = settings_for(dovecot, processed_folder="Archive/Desk")

    with Mailbox(settings) as mailbox:
        for item in mailbox.fetch():
            mailbox.done(item.uid)

    assert [raw for raw, _flags in dovecot.messages("Archive/Desk")] == [message(1)]
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

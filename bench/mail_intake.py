"""Mail in at volume: 1,000 real-looking messages through the pipe path and 1,000 through IMAP.

Seeds 300 employees with mail addresses, an agent queue and a mailbox in a PostgreSQL schema of
its own (or a SQLite file with ``--sqlite``), then receives a mix of messages as people write
them (new problems, about a third multipart with HTML, some with a small attachment; replies
to earlier tickets, threaded by the subject's number or by In-Reply-To on a message the desk
received, with quoted history). Each message goes through ``intake.take`` (parse, thread,
apply, commit), the path of ``flask mail receive`` without the process start. Then the same
through a throw-away Dovecot: the messages are appended first, and each one is fetched,
received and committed, and moved to the processed folder; the receive time and the IMAP time
(fetch and move, loopback network) are reported apart. Prints p50/p95 per message and the mean
of the first and the last 100 (a growing database must not slow it down).

    python -m bench.mail_intake               # PostgreSQL, 1,000 + 1,000
    python -m bench.mail_intake --sqlite --messages 300
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema

TOPICS = [
    ("Printer on floor {n} jams", "The printer near the kitchen jams on every page since {d}."),
    ("VPN drops every {n} minutes", "Working from home, the VPN disconnects about every {n} min."),
    ("Outlook asks for my password", "Since this morning Outlook asks for my password again."),
    ("Cannot open the ERP", "The ERP shows error {n} when I open the purchase orders."),
    ("New laptop for {d}", "Could I get a laptop for the new colleague who starts on {d}?"),
    ("Teams camera black", "My camera is black in Teams calls, fine in other apps."),
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def _message(
    rng: random.Random,
    sender: str,
    name: str,
    *,
    subject: str,
    body: str,
    in_reply_to: str | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = "servicedesk@example.com"
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid("m", "mail.example.org")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    signature = f"\n\n-- \n{name}\nFinance department, room {rng.randint(100, 499)}"
    message.set_content(body + signature)
    if rng.random() < 0.35:
        html = "".join(f"<p>{line}</p>" for line in body.split("\n") if line)
        message.add_alternative(f"<html><body>{html}<p>{name}</p></body></html>", subtype="html")
    if rng.random() < 0.15:
        message.add_attachment(
            rng.randbytes(rng.randint(2_000, 60_000)),
            maintype="image",
            subtype="png",
            filename=f"screenshot-{rng.randint(1, 999)}.png",
        )
    return bytes(message)


def new_problem(rng: random.Random, people: list[tuple[str, str]]) -> bytes:
    sender, name = rng.choice(people)
    subject, body = rng.choice(TOPICS)
    n, d = rng.randint(2, 60), rng.choice(DAYS)
    return _message(rng, sender, name, subject=subject.format(n=n, d=d), body=body.format(n=n, d=d))


def reply(rng: random.Random, ticket: tuple[str, str, str, str]) -> bytes:
    """An answer to an earlier ticket (number, its first message's id, sender, name), threaded
    by the subject's number or by In-Reply-To, with quoted history."""
    number, message_id, sender, name = ticket
    body = rng.choice(
        [
            "It happened again just now.",
            "Thanks, that worked!",
            "Here is the error text you asked for: 0x80070005.",
        ]
    )
    body += "\n\nOn Monday the service desk wrote:\n> We are looking into it.\n> Regards"
    if rng.random() < 0.5:
        return _message(rng, sender, name, subject=f"Re: [{number}] your ticket", body=body)
    return _message(rng, sender, name, subject="Re: your ticket", body=body, in_reply_to=message_id)


def seed(db: Any, people: int) -> tuple[list[tuple[str, str]], int]:
    from app.auth import groups
    from app.auth.models import Role
    from app.auth.services import create_local_user
    from app.mail.incoming.models import Mailbox

    agent = create_local_user(
        username="agent", display_name="Agent", password=None, roles=[Role.AGENT]
    )
    group = groups.create_group(actor=None, name="Service desk")
    groups.add_members(group, [agent], actor=None)
    found = []
    for i in range(people):
        address = f"p{i:04d}@example.com"
        create_local_user(
            username=f"p{i:04d}", display_name=f"Person {i}", password=None, email=address
        )
        found.append((address, f"Person {i}"))
    mailbox = Mailbox(name="desk", address="servicedesk@example.com", assignment_group_id=group.id)
    db.session.add(mailbox)
    db.session.commit()
    return found, mailbox.id


def ticket_of(raw: bytes, number: str) -> tuple[str, str, str, str]:
    head = message_from_bytes(raw)
    name, address = parseaddr(str(head["From"]))
    return number, str(head["Message-ID"]), address, name


def summary(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
    first, last = statistics.mean(values[:100]), statistics.mean(values[-100:])
    return (
        f"{label}: {len(values)} messages, p50 {statistics.median(values):.1f} ms, "
        f"p95 {p95:.1f} ms; mean of the first 100 {first:.1f} ms, of the last 100 {last:.1f} ms"
    )


def pipe_run(
    count: int, rng: random.Random, people: list, mailbox_id: int, tickets: list
) -> tuple[list[float], list[float]]:
    """``count`` messages (60 % new, 40 % replies to tickets made earlier) through
    ``intake.take``: wall and CPU ms per message; the tickets created are added to
    ``tickets``."""
    from app.extensions import db
    from app.mail.incoming import intake
    from app.mail.incoming.models import Mailbox

    times, cpu = [], []
    for _ in range(count):
        raw = reply(rng, rng.choice(tickets)) if tickets and rng.random() < 0.4 else None
        raw = raw or new_problem(rng, people)
        mailbox = db.session.get(Mailbox, mailbox_id)
        started, started_cpu = time.perf_counter(), time.process_time()
        outcome = intake.take(raw, mailbox)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert outcome.number, outcome
        if outcome.action == "created":
            tickets.append(ticket_of(raw, outcome.number))
    return times, cpu


def imap_run(
    count: int, rng: random.Random, people: list, tickets: list
) -> tuple[list[float], list[float]]:
    """``count`` messages appended to a Dovecot INBOX, then fetched, received, committed and
    moved one by one: (receive ms, IMAP fetch and move ms) per message."""
    from app.mail import imap
    from app.mail.incoming import intake
    from tests.imap_server import PASSWORD, USER, Dovecot

    server = Dovecot()
    server.start()
    try:
        for _ in range(count):
            raw = reply(rng, rng.choice(tickets)) if rng.random() < 0.4 else None
            server.append(raw or new_problem(rng, people))
        settings = imap.ImapSettings(
            host="127.0.0.1",
            port=server.port,
            security=imap.Security.NONE,
            username=USER,
            password=PASSWORD,
            processed_folder="Processed",
        )
        receive, network = [], []
        mark = time.perf_counter()
        for fetched in imap.fetch(settings):
            fetched_at = time.perf_counter()
            outcome = intake.take(fetched.raw, None)
            received_at = time.perf_counter()
            fetched.done()
            done_at = time.perf_counter()
            assert outcome.number, outcome
            receive.append((received_at - fetched_at) * 1000)
            network.append((fetched_at - mark + done_at - received_at) * 1000)
            mark = time.perf_counter()
        return receive, network
    finally:
        server.stop()
        server.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file, not PostgreSQL")
    parser.add_argument("--no-imap", action="store_true")
    parser.add_argument("--schema", default="dg_bench_mail_intake")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    if args.sqlite:
        environ = {
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "SECRET_KEY": "b" * 40,
            "DESKGRAPH_LOG_LEVEL": "WARNING",
        }
        app = create_app(environ, instance_path=folder / "instance")
    else:
        app = app_on_fresh_schema(args.schema)
    # One sender writes many mails here: the flood limit is not what is measured.
    app.config.update(
        MAIL_MAX_TICKETS_PER_SENDER_HOUR=100_000, ATTACHMENTS_DIR=str(folder / "files")
    )
    rng = random.Random(15)
    results = []
    with app.app_context():
        upgrade()
        people, mailbox_id = seed(db, args.people)
        tickets: list[tuple[str, str, str, str]] = []
        times, cpu = pipe_run(args.messages, rng, people, mailbox_id, tickets)
        results.append(summary("pipe (intake.take: parse, thread, apply, commit)", times))
        results.append(summary("pipe, this process's CPU only", cpu))
        if not args.no_imap:
            receive, network = imap_run(args.messages, rng, people, tickets)
            results.append(summary("IMAP, receive and commit", receive))
            results.append(summary("IMAP, fetch and move (loopback network)", network))
        db.engine.dispose()
    if not args.sqlite:
        drop_schema(args.schema)
    backend = "SQLite file" if args.sqlite else "PostgreSQL"
    print(f"{backend}, {args.people} people; target: p95 < 50 ms per message, linear")
    print("\n".join(results))


if __name__ == "__main__":
    main()

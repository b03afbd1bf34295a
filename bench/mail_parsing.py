"""Benchmark reading mail: the parsers over the real-message corpus and large messages, and an
IMAP poll (fetch, then move to the processed folder) against a private Dovecot.

Run from the repository root:  python -m bench.mail_parsing [--rounds 5] [--imap 500]
                                    [--out /tmp/bench-mail.md]

Parsing: every message of ``../shared/data/email/`` (120 real ones: CPython's, django-helpdesk's,
flanker's and mail-parser's fixtures, 3 MB the largest) through what the intake does with each:
``parse``, ``automated_reason``, ``bounce_of``; then built messages: a 3 MB plain body, a short
answer above 3 MB of quoted history, 3 MB of HTML, two hostile HTML bodies (deep nesting, a
flood of "<"), 50 attachments of 20 KB. Per message the best
of ``--rounds`` is kept (the others are the machine's noise). IMAP: ``--imap`` messages of about
4 KB are appended to a fresh mailbox, then one poll reads each and moves it (``done()``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from app.mail.parsing.automated import automated_reason
from app.mail.parsing.bounces import bounce_of
from app.mail.parsing.message import Unreadable, parse
from bench._report import Report

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "email"


def intake(raw: bytes) -> None:
    """What the intake reads of one message."""
    try:
        mail = parse(raw)
    except Unreadable:
        bounce_of(raw)
        return
    automated_reason(mail)
    bounce_of(mail)


def best_ms(run: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Best wall and CPU milliseconds of ``rounds`` runs."""
    wall, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return min(wall), min(cpu)


def built_messages() -> dict[str, bytes]:
    line = "The backup job failed again on the file server, log follows. 0123456789\n"
    body = line * (3 * 2**20 // len(line))

    def message(text: str, subtype: str = "plain") -> EmailMessage:
        built = EmailMessage()
        built["From"] = "Anna Berg <anna@example.com>"
        built["To"] = "desk@example.com"
        built["Subject"] = "Re: [INC0001234] backup"
        built.set_content(text, subtype=subtype)
        return built

    quoted = "Restarted it.\n\nOn Thu, 3 Dec 2026, Desk <desk@example.com> wrote:\n" + "".join(
        "> " + row + "\n" for row in body.splitlines()
    )
    html = "<html><body>" + "".join(f"<p>{row}</p><div>cell</div>" for row in body.splitlines())
    attached = message("Logs attached.")
    for number in range(50):
        attached.add_attachment(
            bytes(range(256)) * 80, maintype="application", subtype="octet-stream",
            filename=f"server-{number:02d}.log",
        )  # fmt: skip
    nested = "<div>" * 200_000 + "deep" + "</div>" * 200_000
    return {
        "3 MB plain body": message(body).as_bytes(),
        "HTML nested 200,000 deep (nh3 alone: minutes)": message(nested, "html").as_bytes(),
        "3 MB of '<' as HTML": message("<" * 3 * 2**20, "html").as_bytes(),
        "short answer above 3 MB of quoted history": message(quoted).as_bytes(),
        "3 MB of HTML": message(html + "</body></html>", "html").as_bytes(),
        "50 attachments of 20 KB": attached.as_bytes(),
    }


def bench_corpus(rounds: int) -> list[str]:
    files = sorted(path for path in DATA.rglob("*") if path.is_file())
    raws = [(path.relative_to(DATA).as_posix(), path.read_bytes()) for path in files]
    per_message = [
        (name, len(raw), *best_ms(lambda raw=raw: intake(raw), rounds)) for name, raw in raws
    ]
    walls = [wall for _name, _size, wall, _cpu in per_message]
    total_bytes = sum(size for _name, size, _wall, _cpu in per_message)
    slowest = sorted(per_message, key=lambda row: row[2], reverse=True)[:3]
    lines = [
        f"Corpus: {len(raws)} real messages, {total_bytes / 2**20:.1f} MB; parse + automated_reason"
        f" + bounce_of, best of {rounds} per message.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| whole corpus, one pass | {sum(walls):.0f} ms wall, "
        f"{sum(cpu for *_rest, cpu in per_message):.0f} ms CPU |",
        f"| median message | {statistics.median(walls):.2f} ms |",
        f"| 95th percentile | {statistics.quantiles(walls, n=20)[-1]:.1f} ms |",
    ]
    for name, size, wall, _cpu in slowest:
        lines.append(f"| slow: {name} ({size / 1024:.0f} KB) | {wall:.0f} ms |")
    lines.append("")
    lines += ["| built message | size | best wall | best CPU |", "|---|---|---|---|"]
    for label, raw in built_messages().items():
        wall, cpu = best_ms(lambda raw=raw: intake(raw), rounds)
        lines.append(f"| {label} | {len(raw) / 2**20:.1f} MB | {wall:.0f} ms | {cpu:.0f} ms |")
    return lines


def bench_imap(count: int) -> list[str]:
    from app.mail.imap import ImapSettings, Security, fetch
    from tests.imap_server import PASSWORD, USER, Dovecot

    server = Dovecot()
    try:
        server.start()
        filler = "The printer on floor 3 jams when printing duplex. " * 80
        with server.session() as client:
            for number in range(count):
                raw = (
                    f"From: caller{number}@example.com\r\nTo: desk@example.com\r\n"
                    f"Subject: Printer {number}\r\nMessage-ID: <m{number}@example.com>\r\n\r\n"
                    f"{filler}\r\n"
                ).encode()
                client.append("INBOX", "", None, raw)
        settings = ImapSettings(
            host="127.0.0.1", port=server.port, security=Security.NONE, username=USER,
            password=PASSWORD,
        )  # fmt: skip
        started, started_cpu = time.perf_counter(), time.process_time()
        seen = 0
        for item in fetch(settings):
            parse(item.raw)
            item.done()
            seen += 1
        wall = time.perf_counter() - started
        cpu = time.process_time() - started_cpu
        assert seen == count, (seen, count)
        left = len(server.messages("INBOX"))
    finally:
        server.remove()
    return [
        "",
        f"IMAP poll against a private Dovecot on loopback (plain IMAP): {count} messages of "
        f"{len(filler) / 1024:.0f} KB fetched, parsed and moved to Processed one by one in "
        f"{wall:.2f} s ({count / wall:.0f} messages/s; client CPU {cpu:.2f} s); {left} left in "
        "INBOX.",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs per message; best kept")
    parser.add_argument("--imap", type=int, default=500, help="messages in the IMAP poll (0: skip)")
    parser.add_argument(
        "--out", default="/tmp/bench-mail.md", help="markdown section appended here"
    )
    args = parser.parse_args(argv)
    report = Report("bench.mail_parsing", "Mail in: parsing and IMAP polling", argv)
    body = bench_corpus(args.rounds)
    if args.imap:
        body += bench_imap(args.imap)
    print("\n".join(body))
    report.append(args.out, [*body, ""])


if __name__ == "__main__":
    main()

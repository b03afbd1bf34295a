"""Knowledge suggestions while typing (``suggest_articles``, through the search index) on
PostgreSQL.

Seeds a PostgreSQL schema of its own in the ``test`` database with bulk inserts: ``--articles``
published articles (titles and keywords drawn from an IT vocabulary; 80 % for everyone, 15 %
IT only, 5 % for a group), an employee in no group and an agent. Then times
``suggest_articles`` in-process for one-word, three-word and partial-word problems as an
employee and as an agent, and prints the medians and p95 (server time, no HTTP).

    python -m bench.kb_suggest                    # 50,000 articles
    python -m bench.kb_suggest --articles 5000    # quicker
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import insert, text

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema, vacuum_analyze
from bench._report import Report

WORDS = [
    "printer", "paper", "jam", "tray", "toner", "outlook", "mail", "calendar", "password",
    "account", "locked", "vpn", "wifi", "network", "laptop", "battery", "charger", "screen",
    "monitor", "teams", "camera", "microphone", "sharepoint", "erp", "invoice", "expense",
    "badge", "door", "phone", "voicemail", "citrix", "excel", "word", "macro", "backup",
    "restore", "certificate", "browser", "chrome", "edge", "proxy", "driver", "install",
    "update", "license", "onedrive", "sync",
]  # fmt: skip
QUERIES = {
    "one word": ["printer", "vpn", "password", "camera", "onedrive"],
    "three words": [
        "outlook password prompt",
        "teams camera black",
        "laptop battery charger",
        "vpn network home",
        "printer paper jam",
    ],
    "partial words": ["print", "passw", "cert", "sharep", "batt"],
}
EMPLOYEE, AGENT = 1, 2


def seed(db, *, articles: int, rng: random.Random) -> None:
    from app.auth.models import RoleGrant, User
    from app.kb.models import Article, ArticleVersion

    now = datetime.now(UTC)
    db.session.execute(
        insert(User.__table__),
        [
            {"id": i, "username": name, "display_name": name, "source": "local",
             "is_active": True, "version": 1, "created_at": now, "updated_at": now}
            for i, name in ((EMPLOYEE, "employee"), (AGENT, "agent"))
        ],
    )  # fmt: skip
    db.session.execute(
        insert(RoleGrant.__table__),
        [
            {"user_id": EMPLOYEE, "role": "employee", "source": "local", "granted_at": now},
            {"user_id": AGENT, "role": "agent", "source": "local", "granted_at": now},
        ],
    )
    db.session.execute(
        text(
            "INSERT INTO groups (id, name, is_assignment_group, source, version, created_at, "
            "updated_at) VALUES (1, 'Finance', false, 'local', 1, now(), now())"
        )
    )
    rows, versions = [], []
    for n in range(1, articles + 1):
        title = " ".join(rng.sample(WORDS, 5)).capitalize()
        body = " ".join(rng.choices(WORDS, k=120))
        draw = rng.random()
        audience = "everyone" if draw < 0.8 else "it_staff" if draw < 0.95 else "group"
        rows.append(
            {"id": n, "number": f"KB{1_000_000 + n:07d}", "title": title, "body": body,
             "keywords": " ".join(rng.sample(WORDS, 4)), "language": "en",
             "audience": audience, "audience_group_id": 1 if audience == "group" else None,
             "owner_id": AGENT, "state": "published", "published_version": 1,
             "view_count": rng.randint(0, 5000), "version": 1, "created_at": now,
             "updated_at": now}
        )  # fmt: skip
        versions.append(
            {"article_id": n, "number": 1, "title": title, "body": body, "published_at": now,
             "approved_by_id": AGENT, "author_id": AGENT}
        )  # fmt: skip
    for table, data in ((Article.__table__, rows), (ArticleVersion.__table__, versions)):
        for start in range(0, len(data), 5_000):
            db.session.execute(insert(table), data[start : start + 5_000])
    db.session.commit()
    from app.kb.search_source import SOURCE
    from app.search.index import catch_up

    catch_up(SOURCE)  # bulk inserts bypass the flush: index them as `flask search reindex` would
    db.session.commit()


def time_suggest(app, user_id: int, queries: list[str], repeat: int) -> tuple[int, float, float]:
    from app.auth.models import User
    from app.extensions import db
    from app.kb.services import suggest_articles

    with app.app_context():
        user = db.session.get(User, user_id)
        found = sum(len(suggest_articles(q, user, 5)) for q in queries)
        timings = []
        for _ in range(repeat):
            for query in queries:
                started = time.perf_counter()
                suggest_articles(query, user, 5)
                timings.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    timings.sort()
    return found, statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--schema", default="dg_bench_kb")
    parser.add_argument("--keep", action="store_true", help="keep the schema for inspection")
    args = parser.parse_args(argv)
    report = Report("bench.kb_suggest", "Knowledge suggestions while typing", argv)
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app.extensions import db

    app = app_on_fresh_schema(args.schema)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        seed(db, articles=args.articles, rng=random.Random(16))
    vacuum_analyze(args.schema)
    seeded = time.perf_counter() - started
    lines = []
    for who, user_id in (("employee", EMPLOYEE), ("agent", AGENT)):
        for kind, queries in QUERIES.items():
            found, median, p95 = time_suggest(app, user_id, queries, args.repeat)
            lines.append(
                f"{who}, {kind} ({found} suggestions for {len(queries)} queries): "
                f"median {median:.1f} ms, p95 {p95:.1f} ms"
            )
    summary = f"{args.articles:,} published articles; seeded in {seeded:.0f} s"
    print(summary)
    print("\n".join(lines))
    with app.app_context():
        db.engine.dispose()
    if not args.keep:
        drop_schema(args.schema)
    path = ROOT / "instance" / "bench" / "kb_suggest.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    report.append(str(path), [summary, "", "```text", *lines, "```", ""])


if __name__ == "__main__":
    main()

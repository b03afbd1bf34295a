"""Search at scale: the search index against today's ``LIKE`` filter, on PostgreSQL (default
1,000,000 tickets) and SQLite (default 100,000 tickets).

Each ticket gets generated text: a 5-word title and a 50-word body (description and two
replies), words drawn with Zipf's law (s = 1) from a 20,000-word vocabulary (IT words first,
then made-up ones), one ticket in ten with a 15-word work note. Rows are bulk loaded (``COPY``
on PostgreSQL, ``executemany`` on SQLite) and the index built in one pass after the load, as
``flask search reindex`` would leave it; the per-row cost of the trigger and of the ORM hooks is
timed separately on 1,000 documents written through :func:`app.search.index.sync`.

Timed, each query kind ``--repeat`` times with different words (server time in-process,
the whole :func:`app.search.query.search`: parse, typo lookup, the capped count, the ranked
page, highlighting), for an agent (no visibility restriction, the largest candidate set);
beside the times, what does not depend on the machine's load: the statements sent per
search and the bench process's CPU time per search (PostgreSQL's is not in it):

* one word (ranks 50-500 of the vocabulary: common, not ubiquitous), three words (ranks
  50-2,000), a partial word (a rank 50-500 word less its last two letters), a typo (two inner
  letters of a rank 50-2,000 word swapped; both correct it from their vocabulary);
* suggestions while typing (:func:`~app.search.query.suggest`, no counts);
* today's console filter: ``lower(short_description) LIKE '%word%'``, count and first page.

    python -m bench.search                       # both, full size
    python -m bench.search --backend postgresql --tickets 200000
    python -m bench.search --backend postgresql --tickets 100000 --schema dg_bench_x --keep \\
        --repeat 0 --reindex        # time `flask search reindex` (rewrites the index)
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench._postgres import POSTGRES, ROOT, app_on_fresh_schema, drop_schema, vacuum_analyze

IT_TEXT = """
printer network laptop password outlook vpn wifi teams monitor keyboard mouse docking station
screen battery charger scanner label share drive folder permission access account locked reset
login certificate expired browser chrome firefox update install license excel word powerpoint
sharepoint onedrive backup restore server database oracle sap erp invoice payroll phone headset
camera microphone meeting calendar mailbox quota disk full slow crash error freeze blue restart
cable port switch router firewall proxy dns dhcp address desk floor building badge reader door
token mobile tablet iphone android sync citrix remote desktop session timeout printer queue toner
paper jam tray driver firmware bios boot
"""
IT_WORDS = IT_TEXT.split()
SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in "aeiouy"]


def vocabulary(rng: random.Random, size: int) -> list[str]:
    words = list(dict.fromkeys(IT_WORDS))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Text:
    """Zipf-distributed words from the vocabulary."""

    def __init__(self, words: list[str], rng: random.Random) -> None:
        self.words, self.rng = words, rng
        self.cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))

    def sentence(self, k: int) -> str:
        return " ".join(self.rng.choices(self.words, cum_weights=self.cumulative, k=k))


def rows(count: int, words: Text, rng: random.Random) -> Iterator[tuple[int, str, str, str, str]]:
    """(id, number, title, body, notes) per ticket."""
    for i in range(1, count + 1):
        title = words.sentence(5).capitalize()
        body = "\n".join((words.sentence(20), words.sentence(15), words.sentence(15)))
        notes = words.sentence(15) if rng.random() < 0.1 else ""
        yield i, f"INC{1_000_000 + i:08d}", title, body, notes


def _users(db: Any) -> tuple[Any, Any]:
    from app.auth import services
    from app.auth.models import Role

    agent = services.create_local_user(
        username="bench-agent", password=None, roles=[Role.AGENT], display_name="Bench Agent"
    )
    caller = services.create_local_user(
        username="bench-caller", password=None, roles=[Role.EMPLOYEE], display_name="Bench Caller"
    )
    db.session.commit()
    return agent, caller


DOC_OFFSET = 1000  # document ids after the users' own documents
TICKET_COLUMNS = (
    "id, kind, number, short_description, description, state, channel, caller_id, impact, "
    "urgency, priority, opened_at, reassignment_count, reopen_count, version, created_at, "
    "updated_at"
)


def load_postgresql(db: Any, count: int, words: Text, rng: random.Random, caller: int) -> None:
    """COPY the tickets and a staging table of texts, then fill the index in one statement."""
    now = datetime.now(UTC).isoformat()
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_texts"
            " (id int, number text, title text, body text, notes text)"
        )
        batch = 50_000
        generated = rows(count, words, rng)
        while True:
            chunk = list(itertools.islice(generated, batch))
            if not chunk:
                break
            with cursor.copy(f"COPY tickets ({TICKET_COLUMNS}) FROM STDIN") as copy:
                for i, number, title, body, _notes in chunk:
                    copy.write_row(
                        (
                            i,
                            "incident",
                            number,
                            title[:200],
                            body.split("\n")[0],
                            "new",
                            "portal",
                            caller,
                            3,
                            3,
                            5,
                            now,
                            0,
                            0,
                            1,
                            now,
                            now,
                        )
                    )
            with cursor.copy("COPY bench_texts FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row(row)
            print(f"  loaded {chunk[-1][0]:,}", file=sys.stderr)
        cursor.execute("DROP INDEX fts_search_documents_public")
        cursor.execute("DROP INDEX fts_search_documents_all")
        cursor.execute("ALTER TABLE search_documents DISABLE TRIGGER fts_search_documents_vectors")
        # The trigger's expressions (fts_english: the generated words are English-like).
        cursor.execute(
            "INSERT INTO search_documents (source, source_id, kind, ref, language, title, body,"
            " notes, updated_at, fts_public, fts_all)"
            " SELECT 'ticket', id, 'incident', number, 'english', number || ' ' || title, body,"
            " notes, now(), v, CASE WHEN notes = '' THEN NULL"
            "   ELSE v || setweight(to_tsvector('fts_english', notes), 'C') END"
            " FROM (SELECT *, setweight(to_tsvector('fts_english', number || ' ' || title), 'A')"
            "   || setweight(to_tsvector('fts_english', body), 'B') AS v FROM bench_texts) t"
        )
        cursor.execute("ALTER TABLE search_documents ENABLE TRIGGER fts_search_documents_vectors")
        print("  indexing", file=sys.stderr)
        cursor.execute(
            "CREATE INDEX fts_search_documents_public ON search_documents USING gin (fts_public)"
        )
        cursor.execute(
            "CREATE INDEX fts_search_documents_all ON search_documents USING gin (fts_all)"
        )
        cursor.execute(
            "INSERT INTO fts_words SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
            ([w for w in words.words if len(w) >= 4],),
        )
        cursor.execute(
            "INSERT INTO fts_lexemes SELECT DISTINCT"
            " unnest(tsvector_to_array(coalesce(fts_all, fts_public)))"
            " FROM search_documents ON CONFLICT DO NOTHING"
        )
        cursor.execute("DROP TABLE bench_texts")
    db.session.commit()


def _articles_missing(db: Any, count: int) -> tuple[int, int, int]:
    """How many articles the index has, how many are missing to ``count``, their owner."""
    have = db.session.execute(
        text("SELECT count(*) FROM search_documents WHERE source = 'kb_article'")
    ).scalar_one()
    owner = db.session.execute(
        text("SELECT id FROM users WHERE username = 'bench-agent'")
    ).scalar_one()
    return int(have), count - int(have), int(owner)


def add_articles(db: Any, count: int, words: Text, rng: random.Random) -> int:
    """Published knowledge articles up to ``count`` (PostgreSQL), a fifth of them for IT staff
    only, indexed through the table's trigger as the application's writes are; returns how
    many were added (none when a kept schema has them already)."""
    have, missing, owner = _articles_missing(db, count)
    if missing <= 0:
        return 0
    now = datetime.now(UTC).isoformat()
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        first = int(have) + 1
        with cursor.copy(
            "COPY kb_articles (number, title, body, keywords, language, audience, owner_id,"
            " state, published_version, view_count, version, created_at, updated_at)"
            " FROM STDIN"
        ) as copy:
            for n in range(first, first + missing):
                copy.write_row(
                    (
                        f"KBB{n:07d}",
                        words.sentence(rng.randint(3, 8))[:200],
                        "\n\n".join(words.sentence(rng.randint(12, 30)) for _ in range(4)),
                        words.sentence(3),
                        "en",
                        "it_staff" if rng.random() < 0.2 else "everyone",
                        owner,
                        "published",
                        1,
                        0,
                        1,
                        now,
                        now,
                    )
                )
        cursor.execute(
            "INSERT INTO search_documents (source, source_id, kind, ref, language, title, body,"
            " notes, audience, updated_at)"
            " SELECT 'kb_article', id, 'kb_article', number, 'english', title,"
            " body || E'\\n' || keywords, '', audience, now() FROM kb_articles"
            " WHERE number LIKE 'KBB%' AND id NOT IN"
            " (SELECT source_id FROM search_documents WHERE source = 'kb_article')"
        )
    db.session.commit()
    return missing


def add_articles_sqlite(db: Any, count: int, words: Text, rng: random.Random) -> int:
    """:func:`add_articles` on SQLite: the articles, their documents and FTS5 rows (text
    folded, as the index writer leaves them) and their words in the vocabulary."""
    from app.search.text import fold, vocabulary_words

    have, missing, owner = _articles_missing(db, count)
    if missing <= 0:
        return 0
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    connection = db.session.connection()
    connection.exec_driver_sql(
        "INSERT INTO kb_articles (number, title, body, keywords, language, audience, owner_id,"
        " state, published_version, view_count, version, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, 'en', ?, ?, 'published', 1, 0, 1, ?, ?)",
        [
            (
                f"KBB{n:07d}",
                words.sentence(rng.randint(3, 8))[:200],
                "\n\n".join(words.sentence(rng.randint(12, 30)) for _ in range(4)),
                words.sentence(3),
                "it_staff" if rng.random() < 0.2 else "everyone",
                owner,
                now,
                now,
            )
            for n in range(int(have) + 1, count + 1)
        ],
    )
    connection.exec_driver_sql(
        "INSERT INTO search_documents (source, source_id, kind, ref, language, title, body,"
        " notes, audience, updated_at)"
        " SELECT 'kb_article', id, 'kb_article', number, 'english', title,"
        " body || char(10) || keywords, '', audience, ? FROM kb_articles"
        " WHERE number LIKE 'KBB%' AND id NOT IN"
        " (SELECT source_id FROM search_documents WHERE source = 'kb_article')",
        (now,),
    )
    added = connection.exec_driver_sql(
        "SELECT id, title, body FROM search_documents WHERE source = 'kb_article'"
        " AND id NOT IN (SELECT rowid FROM fts_search)"
    ).all()
    connection.exec_driver_sql(
        "INSERT INTO fts_search (rowid, title, body, notes) VALUES (?, ?, ?, '')",
        [(i, fold(t), fold(b)) for i, t, b in added],
    )
    known = set().union(*(vocabulary_words(f"{t} {b}") for _i, t, b in added))
    connection.exec_driver_sql(
        "INSERT OR IGNORE INTO fts_words (word) VALUES (?)", [(w,) for w in sorted(known)]
    )
    connection.exec_driver_sql("INSERT INTO fts_search(fts_search) VALUES ('optimize')")
    connection.exec_driver_sql("ANALYZE")
    db.session.commit()
    return missing


def load_sqlite(db: Any, count: int, words: Text, rng: random.Random, caller: int) -> None:
    from app.search.text import fold, vocabulary_words

    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    connection = db.session.connection()
    generated = rows(count, words, rng)
    while True:
        chunk = list(itertools.islice(generated, 20_000))
        if not chunk:
            break
        connection.exec_driver_sql(
            f"INSERT INTO tickets ({TICKET_COLUMNS}) VALUES "
            "(?, 'incident', ?, ?, ?, 'new', 'portal', ?, 3, 3, 5, ?, 0, 0, 1, ?, ?)",
            [(i, n, t[:200], b.split("\n")[0], caller, now, now, now) for i, n, t, b, _ in chunk],
        )
        connection.exec_driver_sql(
            "INSERT INTO search_documents (id, source, source_id, kind, ref, language, title,"
            " body, notes, updated_at)"
            " VALUES (?, 'ticket', ?, 'incident', ?, 'english', ?, ?, ?, ?)",
            [(DOC_OFFSET + i, i, n, f"{n} {t}", b, o, now) for i, n, t, b, o in chunk],
        )
        connection.exec_driver_sql(
            "INSERT INTO fts_search (rowid, title, body, notes) VALUES (?, ?, ?, ?)",
            [(DOC_OFFSET + i, fold(f"{n} {t}"), fold(b), fold(o)) for i, n, t, b, o in chunk],
        )
        known = set().union(*(vocabulary_words(f"{n} {t} {b}") for _i, n, t, b, _o in chunk))
        connection.exec_driver_sql(
            "INSERT OR IGNORE INTO fts_words (word) VALUES (?)", [(w,) for w in sorted(known)]
        )
        print(f"  loaded {chunk[-1][0]:,}", file=sys.stderr)
    db.session.commit()
    connection = db.session.connection()
    connection.exec_driver_sql("INSERT INTO fts_search(fts_search) VALUES ('optimize')")
    connection.exec_driver_sql("ANALYZE")
    db.session.commit()


def queries(
    words: list[str], rng: random.Random, repeat: int, bodies: list[str]
) -> dict[str, list[str]]:
    def pick(low: int, high: int, min_length: int = 1) -> str:
        while True:
            word = words[rng.randint(low, high)]
            if len(word) >= min_length:
                return word

    rank = {word: n for n, word in enumerate(words)}

    def three(body: str) -> str:
        """Three words of one ticket (each past the 30 commonest), as someone recalls it."""
        found = [w for w in dict.fromkeys(body.split()) if rank.get(w, 0) >= 30]
        return " ".join(rng.sample(found, min(3, len(found))))

    def typo(word: str) -> str:
        i = rng.randint(1, len(word) - 3)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]

    return {
        "one word": [pick(50, 500) for _ in range(repeat)],
        "three words": [three(body) for body in bodies[:repeat]],
        "partial word": [pick(50, 500, 6)[:-2] for _ in range(repeat)],
        "typo": [typo(pick(50, 2000, 6)) for _ in range(repeat)],
    }


def timed(run: Callable[[str], Any], texts: list[str]) -> tuple[float, float, list[Any]]:
    timings, answers = [], []
    run(texts[0])  # warm the caches once
    for q in texts:
        started = time.perf_counter()
        answers.append(run(q))
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)], answers


class Cost:
    """What a run of searches costs whatever the machine's load: the statements sent, and
    the bench process's own CPU time (parsing, SQLAlchemy, highlighting), per search."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.statements = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args: Any) -> None:
        self.statements += 1

    def run(self, timing: Callable[[], Any], searches: int) -> tuple[Any, str]:
        """``timing()``'s answer, and ``searches`` searches' cost (its warm-up included)."""
        sent, cpu = self.statements, time.process_time()
        answer = timing()
        cpu = (time.process_time() - cpu) * 1000 / (searches + 1)
        per = (self.statements - sent) / (searches + 1)
        return answer, f"bench CPU {cpu:.1f} ms, {per:.2f} statements per search"


def measure(
    app: Any, db: Any, agent_id: int, words: list[str], repeat: int, like: bool = True
) -> list[str]:
    """Each query kind, timed; three-word queries come from random tickets' bodies."""
    from app.auth.models import User
    from app.search.query import COUNT_CAP, search, suggest

    rng = random.Random(11)
    lines = []
    cost = Cost(db.engine)
    with app.test_request_context():
        agent = db.session.get(User, agent_id)
        picked = rng.sample(range(1, 1 + count_tickets(db)), repeat)
        bodies = list(
            db.session.execute(
                text(
                    "SELECT body FROM search_documents WHERE source = 'ticket'"
                    " AND source_id IN (SELECT value FROM json_each(:ids))"
                )
                if db.engine.dialect.name == "sqlite"
                else text(
                    "SELECT body FROM search_documents WHERE source = 'ticket'"
                    " AND source_id = ANY(CAST(:ids AS int[]))"
                ),
                {"ids": json.dumps(picked) if db.engine.dialect.name == "sqlite" else picked},
            ).scalars()
        )
        kinds = queries(words, rng, repeat, bodies)
        for kind, texts in kinds.items():
            (med, p95, found), spent = cost.run(
                lambda texts=texts: timed(lambda q: search(agent, q), texts), len(texts)
            )
            matches = statistics.median(r.counts.get("ticket", 0) for r in found)
            hits = sum(1 for r in found if r.hits) / len(found)
            lines.append(
                f"search, {kind}: median {med:.1f} ms, p95 {p95:.1f} ms "
                f"(median {matches:.0f} matches, capped at {COUNT_CAP + 1:,};"
                f" {hits:.0%} found something; {spent})"
            )
        typing = [w[:n] for w in kinds["one word"] for n in (3, 5)][:repeat]
        (med, p95, _), spent = cost.run(
            lambda: timed(lambda q: suggest(agent, q), typing), len(typing)
        )
        lines.append(
            f"suggestions (3 or 5 letters typed): median {med:.1f} ms, p95 {p95:.1f} ms ({spent})"
        )

        def like_filter(q: str) -> Any:
            pattern = f"%{q.lower()}%"
            total = db.session.execute(
                text("SELECT count(*) FROM tickets WHERE lower(short_description) LIKE :p"),
                {"p": pattern},
            ).scalar()
            db.session.execute(
                text(
                    "SELECT id FROM tickets WHERE lower(short_description) LIKE :p"
                    " ORDER BY priority, opened_at, id LIMIT 50"
                ),
                {"p": pattern},
            ).all()
            return total

        for kind in ("one word", "partial word") if like else ():
            med, p95, _ = timed(like_filter, kinds[kind])
            lines.append(
                f"LIKE filter (titles only), {kind}: median {med:.1f} ms, p95 {p95:.1f} ms"
            )
    return lines


def count_tickets(db: Any) -> int:
    return int(db.session.execute(text("SELECT count(*) FROM tickets")).scalar() or 0)


def write_cost(app: Any, db: Any, words: Text, rng: random.Random) -> str:
    """Per-document cost of keeping the index in step (trigger on PostgreSQL, FTS5 row on
    SQLite), 1,000 documents through ``sync`` in one transaction, rolled back."""
    from sqlalchemy import false, select

    from app.search.index import Document, Source, sync
    from app.search.models import SearchDocument

    documents = {
        10_000_000 + i: Document(source_id=10_000_000 + i, title=t, body=b, notes=o)
        for i, _n, t, b, o in rows(1000, words, rng)
    }
    source = Source(
        name="bench",
        label="Bench",
        watch={},
        documents=lambda ids: [documents[i] for i in ids],
        all_ids=lambda: select(SearchDocument.source_id).where(false()),
        visible=lambda user: false(),
        sees_notes=lambda user: True,
        url=lambda d, u: None,
    )
    with app.app_context():
        started = time.perf_counter()
        sync(source, list(documents))
        db.session.flush()
        took = (time.perf_counter() - started) * 1000
        db.session.rollback()
    return f"index writes: {took / 1000:.2f} ms per document (1,000 written by sync, one flush)"


def reindex_cost(app: Any, db: Any) -> str:
    """``flask search reindex`` of the tickets (what the command runs), timed."""
    from app.search.index import reindex

    with app.app_context():
        started = time.perf_counter()
        counts = reindex(["ticket"])
        took = time.perf_counter() - started
    return f"reindex: {counts['ticket']:,} tickets in {took:.1f} s"


def run_backend(
    backend: str,
    count: int,
    repeat: int,
    keep: bool,
    reuse: bool,
    like: bool = True,
    schema: str = "dg_bench_search",
    rebuild: bool = False,
    articles: int = 0,
) -> list[str]:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    if backend == "postgresql" and reuse:
        app = create_app(
            {
                "DATABASE_URL": f"{POSTGRES}?options=-csearch_path%3D{schema}",
                "SECRET_KEY": "b" * 40,
                "DESKGRAPH_LOG_LEVEL": "WARNING",
            },
            instance_path=ROOT / "instance" / "bench",
        )
    elif backend == "postgresql":
        app = app_on_fresh_schema(schema)
    else:
        folder = ROOT / "instance" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "search.sqlite3"
        for suffix in ("", "-wal", "-shm") if not reuse else ():
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{path}",
                "SECRET_KEY": "b" * 40,
                "DESKGRAPH_LOG_LEVEL": "WARNING",
            },
            instance_path=folder,
        )
    rng = random.Random(7)
    words = Text(vocabulary(rng, 20_000), rng)
    started = time.perf_counter()
    if reuse:  # the schema a run with --keep left (the same words: the same seed)
        with app.app_context():
            upgrade()  # a schema kept before a migration gets it (timed in the load line)
            agent_id = int(
                db.session.execute(
                    text("SELECT id FROM users WHERE username = 'bench-agent'")
                ).scalar_one()
            )
            count = count_tickets(db)
    else:
        with app.app_context():
            upgrade()
            agent, caller = _users(db)
            agent_id, caller_id = agent.id, caller.id
            load = load_postgresql if backend == "postgresql" else load_sqlite
            load(db, count, words, rng, caller_id)
        if backend == "postgresql":
            vacuum_analyze(schema)
    if articles and backend == "postgresql":
        with app.app_context():
            if add_articles(db, articles, words, rng):
                vacuum_analyze(schema)
    elif articles:
        with app.app_context():
            add_articles_sqlite(db, articles, words, rng)
    loaded = time.perf_counter() - started
    with app.app_context():
        size = db.session.execute(text("SELECT count(*) FROM search_documents")).scalar()
        n_articles = db.session.execute(
            text("SELECT count(*) FROM search_documents WHERE source = 'kb_article'")
        ).scalar()
        lines = [
            f"{backend}: {size:,} documents ({count:,} tickets, {n_articles:,} articles),"
            f" loaded and indexed in {loaded:.0f} s"
        ]
        if repeat:
            lines += measure(app, db, agent_id, words.words, repeat, like)
    if repeat:
        lines.append(write_cost(app, db, words, rng))
    if rebuild:
        lines.append(reindex_cost(app, db))
    with app.app_context():
        db.engine.dispose()
    if backend == "postgresql" and not (keep or reuse):  # a reused one stays too
        drop_schema(schema)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--tickets", type=int, default=1_000_000, help="on PostgreSQL")
    parser.add_argument("--sqlite-tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema")
    parser.add_argument(
        "--reuse", action="store_true", help="measure what a run with --keep left (no loading)"
    )
    parser.add_argument(
        "--no-like", dest="like", action="store_false", help="skip today's LIKE filter (slow)"
    )
    parser.add_argument(
        "--schema", default="dg_bench_search", help="the PostgreSQL schema (made, or reused)"
    )
    parser.add_argument(
        "--reindex",
        action="store_true",
        help="then time `flask search reindex` of the tickets (rewrites the index)",
    )
    parser.add_argument(
        "--articles",
        type=int,
        default=50_000,
        help="published knowledge articles beside the tickets (added to a kept schema or"
        " SQLite file that has fewer)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    lines: list[str] = []
    if args.backend in ("sqlite", "both"):
        lines += run_backend(
            "sqlite",
            args.sqlite_tickets,
            args.repeat,
            args.keep,
            args.reuse,
            args.like,
            rebuild=args.reindex,
            articles=args.articles,
        )
        print("\n".join(lines), flush=True)
    if args.backend in ("postgresql", "both"):
        lines += run_backend(
            "postgresql",
            args.tickets,
            args.repeat,
            args.keep,
            args.reuse,
            args.like,
            args.schema,
            args.reindex,
            args.articles,
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()

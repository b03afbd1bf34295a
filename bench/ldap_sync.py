"""Benchmark ``flask ldap sync``'s engine against a real slapd.

Run from the repository root:  python -m bench.ldap_sync [--people 10000] [--groups 500]
                                    [--database-url URL] [--scaling]

A private slapd (see ``tests/ldap/slapd.py``) is loaded with a generated organisation: people
in a management tree (every manager exists) and groupOfNames groups (one of them nested). A
fresh database (a temporary SQLite file unless ``--database-url`` names another, e.g. an
empty PostgreSQL schema) is migrated, then syncs are timed: the first full sync (creates
everyone), a second full sync with nothing to change, and incremental syncs after 100 people
changed, with ``modifyTimestamp`` (the default marker) and with ``entryCSN``. Peak memory is
the process's peak resident set size (``ru_maxrss``) and Python's own peak allocation during
the first sync (``tracemalloc``, measured in a separate, untimed run). ``--scaling`` also runs
the first sync at a quarter and half of the size, to show the cost grows linearly.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from tests.ldap.slapd import ADMIN_PASSWORD, Database, Slapd, people_ldif

SUFFIX = "dc=bench,dc=test"
CHANGED = 100


def _app(database_url: str, instance: Path, slapd: Slapd):  # noqa: ANN202
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(
        {
            "DESKGRAPH_ENV": "testing",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "DESKGRAPH_LOG_LEVEL": "WARNING",
            "LDAP_URL": slapd.url,
            "LDAP_BIND_DN": slapd.admin_dn(SUFFIX),
            "LDAP_BIND_PASSWORD": ADMIN_PASSWORD,
            "LDAP_USER_BASE": f"ou=people,{SUFFIX}",
            "LDAP_GROUP_BASE": f"ou=groups,{SUFFIX}",
            "LDAP_GROUP_ROLES": "group00001=agent;group00002=service_owner",
            "LDAP_GROUP_QUEUES": "group00003=Service Desk",
            "LDAP_PAGE_SIZE": "1000",
        },
        instance_path=instance,
    )
    with app.app_context():
        upgrade()
    return app


def _touch(slapd: Slapd, people: int, count: int, offset: int = 0) -> None:
    """Change the title of ``count`` people spread over the directory."""
    with slapd.admin(SUFFIX) as connection:
        for i in range(offset, people, max(1, people // count))[:count]:
            connection.modify(
                f"uid=user{i:05d},ou=people,{SUFFIX}",
                {"title": [("MODIFY_REPLACE", [f"Changed {time.time()}"])]},
            )


def _timed_sync(app, **options):  # noqa: ANN001, ANN202
    from app.auth.directory import sync
    from app.extensions import db

    with app.app_context():
        directory = sync.directory_from_config(app.config)
        started = time.perf_counter()
        report = sync.sync_directory(directory, **options)
        db.session.commit()
        return time.perf_counter() - started, report


def run(people: int, groups: int, database_url: str | None, *, trace: bool = True) -> dict:
    with tempfile.TemporaryDirectory(prefix="deskgraph-bench-") as tmp:
        tmp_path = Path(tmp)
        slapd = Slapd([Database(SUFFIX)], workdir=tmp_path / "slapd")
        started = time.perf_counter()
        slapd.start({SUFFIX: people_ldif(SUFFIX, people, groups=groups)})
        load_time = time.perf_counter() - started
        try:
            url = database_url or f"sqlite:///{tmp_path / 'bench.sqlite3'}"
            app = _app(url, tmp_path / "instance", slapd)
            first, report = _timed_sync(app)
            second, again = _timed_sync(app)
            time.sleep(1.1)  # modifyTimestamp has a one-second resolution
            _touch(slapd, people, CHANGED)
            incremental, inc = _timed_sync(app, incremental=True)
            # The same with entryCSN (microsecond resolution) as the change marker.
            app.config["LDAP_ATTR_CHANGED"] = "entryCSN"
            _timed_sync(app)
            _touch(slapd, people, CHANGED, offset=1)
            incremental_csn, inc_csn = _timed_sync(app, incremental=True)
            peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            traced_mb = None
            if trace and not database_url:
                app2 = _app(f"sqlite:///{tmp_path / 'trace.sqlite3'}", tmp_path / "i2", slapd)
                tracemalloc.start()
                _timed_sync(app2)
                traced_mb = tracemalloc.get_traced_memory()[1] / 1024 / 1024
                tracemalloc.stop()
        finally:
            slapd.cleanup()
    return {
        "people": people,
        "groups": groups,
        "slapd_load_s": load_time,
        "first_s": first,
        "second_s": second,
        "incremental_s": incremental,
        "created": len(report.created),
        "groups_created": len(report.groups_created),
        "memberships": report.memberships_added,
        "second_changes": len(again.changes),
        "incremental_read": inc.users_read,
        "incremental_updated": len(inc.updated),
        "incremental_csn_s": incremental_csn,
        "incremental_csn_read": inc_csn.users_read,
        "peak_rss_mb": peak_rss_mb,
        "traced_mb": traced_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--scaling", action="store_true")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}")
    sizes = [args.people // 4, args.people // 2] if args.scaling else []
    for size in sizes:
        r = run(size, max(1, args.groups * size // args.people), args.database_url, trace=False)
        print(
            f"scaling: {r['people']:,} people / {r['groups']} groups: first sync "
            f"{r['first_s']:.1f} s ({r['first_s'] / r['people'] * 1000:.2f} ms/person)"
        )
    r = run(args.people, args.groups, args.database_url)
    print(
        f"slapd loaded with {r['people']:,} people and {r['groups']} groups in "
        f"{r['slapd_load_s']:.1f} s"
    )
    print(
        f"first full sync: {r['first_s']:.1f} s ({r['first_s'] / r['people'] * 1000:.2f} "
        f"ms/person): {r['created']:,} people, {r['groups_created']} groups, "
        f"{r['memberships']:,} memberships created"
    )
    print(f"second full sync (no changes): {r['second_s']:.1f} s, {r['second_changes']} changes")
    print(
        f"incremental sync after {CHANGED} changes (modifyTimestamp): {r['incremental_s']:.1f} s, "
        f"{r['incremental_read']:,} people read, {r['incremental_updated']} updated"
    )
    print(
        f"incremental sync after {CHANGED} changes (entryCSN): {r['incremental_csn_s']:.1f} s, "
        f"{r['incremental_csn_read']:,} people read"
    )
    traced = f", Python allocations peak {r['traced_mb']:.0f} MB" if r["traced_mb"] else ""
    print(f"peak memory: RSS {r['peak_rss_mb']:.0f} MB{traced}")


if __name__ == "__main__":
    sys.exit(main())

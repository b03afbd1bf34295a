"""API lists of requests, request items and tasks: statements and time per page, before and
after their eager loading (issue 18), and a deep page through keyset cursors.

On PostgreSQL (a schema of its own in the ``test`` database): ``--orders`` requests ordered
through the ordering service (one item each, half waiting for the manager's approval, the rest
with a fulfilment task), then ``GET /api/v1/requests``, ``/request-items`` and ``/tasks``
(``limit=25``) through the test client with an agent's token, each timed ``--repeat`` times
with the eager loading ("after") and with the per-row dump this change replaced ("before"),
alternately, so both see the same machine load. Then the time of the last page reached by
following ``next_cursor`` from the first.

    python -m bench.api_lists
    python -m bench.api_lists --orders 2000 --repeat 40
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

from sqlalchemy import event, text

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema
from bench._report import Report

FORM = [{"name": "model", "label": "Model", "type": "choice", "choices": ["13", "15"]}]
URLS = ("/api/v1/requests?limit=25", "/api/v1/request-items?limit=25", "/api/v1/tasks?limit=25")


def seed(db: Any, orders: int) -> str:
    """The people, two catalog items and ``orders`` requests; the agent's token."""
    from app.api.tokens import services as tokens
    from app.auth import groups, services
    from app.auth.models import Role
    from app.requests.catalog import services as catalog
    from app.requests.ordering.services import OrderLine, order

    people = []
    for n, roles in enumerate(([Role.ADMIN, Role.EMPLOYEE], [Role.AGENT, Role.EMPLOYEE])):
        person = services.create_local_user(
            username=f"bench{n}",
            display_name=f"Bench {n}",
            email=f"b{n}@example.org",
            password="a long bench password",
            roles=roles,
            actor=None,
        )
        people.append(person)
    admin, agent = people
    boss = services.create_local_user(
        username="boss",
        display_name="Boss",
        email="boss@example.org",
        password="a long bench password",
        roles=[Role.EMPLOYEE],
        actor=None,
    )
    queue = groups.create_group(actor=admin, name="Fulfilment")
    groups.add_members(queue, [agent], actor=admin)
    callers = []
    for n in range(20):
        caller = services.create_local_user(
            username=f"caller{n}",
            display_name=f"Caller {n}",
            email=f"c{n}@example.org",
            password="a long bench password",
            roles=[Role.EMPLOYEE],
            actor=None,
        )
        services.set_manager(caller, boss, actor=None)
        callers.append(caller)
    approved = catalog.create_item(
        actor=admin,
        name="Laptop",
        fulfilment_group_id=queue.id,
        variables=FORM,
        approval_policy=[{"kind": "manager"}],
    )
    direct = catalog.create_item(
        actor=admin, name="Mouse", fulfilment_group_id=queue.id, variables=FORM
    )
    db.session.commit()
    for n in range(orders):
        caller = callers[n % len(callers)]
        item = approved if n % 2 else direct
        order(orderer=caller, requested_for=caller, lines=[OrderLine(item, {"model": "13"})])
        if n % 100 == 99:
            db.session.commit()
    token = tokens.create_token(agent, name="bench", scopes=["*:read"])
    db.session.commit()
    return token.secret


def before(monkeypatch: dict[str, Any]) -> None:
    """Put back the per-row dump: every request loads its items, every item what it shows."""
    from app.api.resources import requests as resource

    monkeypatch["dump_requests"] = resource.dump_requests
    monkeypatch["ITEM_LOADS"] = resource.ITEM_LOADS
    resource.dump_requests = lambda rows: [resource.dump_request(r) for r in rows]
    resource.ITEM_LOADS = ()


def after(monkeypatch: dict[str, Any]) -> None:
    from app.api.resources import requests as resource

    for name, value in monkeypatch.items():
        setattr(resource, name, value)
    monkeypatch.clear()


def timed(client: Any, url: str, headers: dict[str, str], engine: Any) -> tuple[float, int]:
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    response = client.get(url, headers=headers)
    took = (time.perf_counter() - started) * 1000
    event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_json()
    return took, statements


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--schema", default="dg_bench_api_lists")
    args = parser.parse_args(argv)
    report = Report("bench.api_lists", "API lists: requests, items, tasks (issue 18)", argv)
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app.extensions import db

    app = app_on_fresh_schema(args.schema)
    with app.app_context():
        upgrade()
        secret = seed(db, args.orders)
    with app.app_context():
        # ANALYZE this schema's tables only: a database-wide VACUUM waits for every other
        # session's locks on a shared server.
        for (table,) in db.session.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ):
            db.session.execute(text(f'ANALYZE "{table}"'))
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    lines = []
    with app.app_context():
        client = app.test_client()
        engine = db.engine
        patched: dict[str, Any] = {}
        for url in URLS:
            runs: dict[str, list[tuple[float, int]]] = {"before": [], "after": []}
            if "tasks" in url:
                del runs["before"]  # its eager loading is inline: only "after" is measured
            timed(client, url, headers, engine)  # warm
            for _ in range(args.repeat):
                if "before" in runs:
                    before(patched)
                    runs["before"].append(timed(client, url, headers, engine))
                    after(patched)
                runs["after"].append(timed(client, url, headers, engine))
            for name, values in runs.items():
                times = [t for t, _ in values]
                lines.append(
                    f"{url} {name}: {values[0][1]} statements, median "
                    f"{statistics.median(times):.1f} ms, p95 {p95(times):.1f} ms"
                )
        url, pages, deep = "/api/v1/request-items?limit=25", 0, []
        cursor = None
        while True:
            started = time.perf_counter()
            page = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers)
            deep.append((time.perf_counter() - started) * 1000)
            pages += 1
            cursor = page.get_json()["next_cursor"]
            if cursor is None:
                break
        lines.append(
            f"{url} followed to its end: {pages} pages, first {deep[0]:.1f} ms, "
            f"last {deep[-1]:.1f} ms, median {statistics.median(deep):.1f} ms"
        )
        db.engine.dispose()
    drop_schema(args.schema)
    summary = f"{args.orders:,} requests (one item each; half with a task), agent token"
    print(summary, *lines, sep="\n")
    path = ROOT / "instance" / "bench" / "api_lists.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    report.append(str(path), [summary, "", "```text", *lines, "```", ""])


if __name__ == "__main__":
    main()

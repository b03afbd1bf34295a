"""The alert storm: a storage array and a top-of-rack switch of the demo estate fail, and
10,000 alerts arrive within a minute for every CI that depends on them.

Loads the demo organisation and CMDB (about 2,250 CIs) in a PostgreSQL schema of its own (or a
SQLite file with ``--sqlite``), takes the CIs the impact engine says the failure of
``san-lyon-02`` and ``tor-lyon-r03`` reaches, and spreads ``--alerts`` firing alerts over them
(several checks per CI), shuffled, in requests of ``--batch`` alerts. Each request goes
through the intake service and commits (the API's path, without HTTP and JSON; ``--http``
posts the same payloads to ``POST /api/v1/alerts`` through the test client with a token, so
authentication, JSON and the OpenAPI body check are counted too).
Then the whole storm is posted again (nothing may be added).

Prints the time per alert (a request's time divided by its alerts: intake batches one
transaction per request) at p50 and p95, per request p50/p95, the incidents opened (top-level
and children), and whether every alert is linked to a root's incident.

    python -m bench.alert_storm                      # PostgreSQL, 10,000 alerts
    python -m bench.alert_storm --sqlite --alerts 2000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema

ROOTS = ("san-lyon-02", "tor-lyon-r03")
CHECKS = ("HostDown", "HighLatency", "DiskErrors", "ServiceUnavailable", "PacketLoss", "NoData")
TARGET_MS = 20.0


def payloads(names: list[str], count: int, batch: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    alerts = []
    for i in range(count):
        name = names[i % len(names)]
        round_ = i // len(names)
        check = CHECKS[round_ % len(CHECKS)]
        alerts.append(
            {
                "fingerprint": f"{name}/{check}/{round_ // len(CHECKS)}",
                "status": "firing",
                "severity": rng.choice(("critical", "major", "warning")),
                "summary": f"{check} on {name}",
                "labels": {"alertname": check, "instance": f"{name}:9100", "job": "node"},
            }
        )
    rng.shuffle(alerts)
    return [
        {"source": "storm", "alerts": alerts[start : start + batch]}
        for start in range(0, count, batch)
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(app: Any, args: argparse.Namespace) -> list[str]:
    from sqlalchemy import func, select

    from app.alerts.models import Alert
    from app.auth import services as accounts
    from app.auth.models import Role
    from app.cmdb.analysis import impact_of_cis
    from app.cmdb.cache import current_graph
    from app.cmdb.demo import load_cmdb
    from app.demo import load_organisation, read_demo_file, read_organisation
    from app.extensions import db
    from app.incidents.models import Incident

    with app.app_context():
        load_organisation(read_organisation())
        load_cmdb(read_demo_file("cmdb.json"))
        monitor = accounts.create_local_user(
            username="monitoring", display_name="Monitoring", password=None, roles=[Role.AGENT]
        )
        db.session.commit()
        monitor_id = monitor.id
        result = impact_of_cis(current_graph().ids_for(list(ROOTS)))
        assert result is not None
        names = [a.name for a in result.affected]
        db.session.remove()
    storm = payloads(names, args.alerts, args.batch, args.seed)
    print(f"{len(names)} CIs affected, {args.alerts} alerts in {len(storm)} requests",
          file=sys.stderr)  # fmt: skip
    post = _http_poster(app, monitor_id) if args.http else _service_poster(app, monitor_id)

    per_alert: list[float] = []
    per_request: list[float] = []
    started = time.perf_counter()
    for payload in storm:
        took = post(payload)
        per_request.append(took)
        per_alert.append(took / len(payload["alerts"]))
    first_pass = time.perf_counter() - started
    again: list[float] = []
    for payload in storm:
        again.append(post(payload) / len(payload["alerts"]))

    with app.app_context():
        from app.auth.models import User

        monitor = db.session.get(User, monitor_id)
        incidents = list(
            db.session.scalars(select(Incident).where(Incident.opened_by_id == monitor_id))
        )
        top = [i for i in incidents if i.parent_id is None]
        ids = {i.id for i in incidents}
        alerts = db.session.scalar(select(func.count()).select_from(Alert))
        unlinked = db.session.scalar(
            select(func.count()).select_from(Alert).where(Alert.incident_id.not_in(ids))
        )
        titles = sorted(i.short_description.split(":")[0] for i in top)
        del monitor
        db.session.remove()
    p50, p95 = statistics.median(per_alert) * 1000, percentile(per_alert, 0.95) * 1000
    verdict = "met" if p95 < TARGET_MS else "not met"
    rows = [
        f"Alerts over the {len(names)} CIs that the failure of {' and '.join(ROOTS)} reaches, "
        f"shuffled, {args.batch} per request ({'HTTP, test client' if args.http else 'service'}"
        f", {'SQLite' if args.sqlite else 'PostgreSQL'}).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| alerts posted | {args.alerts} in {len(storm)} requests, {first_pass:.1f} s |",
        f"| time per alert p50 / p95 (target p95 < {TARGET_MS:.0f} ms) | {p50:.2f} / "
        f"{p95:.2f} ms: {verdict} |",
        f"| time per request p50 / p95 | {statistics.median(per_request) * 1000:.0f} / "
        f"{percentile(per_request, 0.95) * 1000:.0f} ms |",
        f"| same storm again, per alert p50 / p95 | {statistics.median(again) * 1000:.2f} / "
        f"{percentile(again, 0.95) * 1000:.2f} ms |",
        f"| alert rows after both passes | {alerts} (nothing lost, nothing doubled: "
        f"{alerts == args.alerts}) |",
        f"| incidents opened | {len(incidents)}: {len(top)} top-level ({', '.join(titles)}), "
        f"{len(incidents) - len(top)} earlier ones adopted as children |",
        f"| alerts not on those incidents | {unlinked} |",
        "",
    ]
    print("\n".join(rows))
    return rows


def _service_poster(app: Any, monitor_id: int) -> Any:
    from app.alerts import services
    from app.alerts.parsing import parse_payload
    from app.auth.models import User
    from app.extensions import db

    def post(payload: dict[str, Any]) -> float:
        with app.app_context():
            begin = time.perf_counter()
            actor = db.session.get(User, monitor_id)
            services.intake(parse_payload(payload), actor=actor)
            db.session.commit()
            took = time.perf_counter() - begin
            db.session.remove()
        return took

    return post


def _http_poster(app: Any, monitor_id: int) -> Any:
    """Posts through ``POST /api/v1/alerts`` with an ``alerts:write`` token of the account."""
    from app.api.tokens import services as tokens
    from app.auth.models import User
    from app.extensions import db

    with app.app_context():
        made = tokens.create_token(
            db.session.get(User, monitor_id), name="storm", scopes=["alerts:write"]
        )
        db.session.commit()
        secret = made.secret
        db.session.remove()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}

    def post(payload: dict[str, Any]) -> float:
        begin = time.perf_counter()
        response = client.post("/api/v1/alerts", json=payload, headers=headers)
        took = time.perf_counter() - begin
        if response.status_code != 200:
            raise SystemExit(f"{response.status_code}: {response.get_data(as_text=True)[:500]}")
        return took

    return post


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file, not PostgreSQL")
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--http", action="store_true", help="through POST /api/v1/alerts")
    parser.add_argument("--write", action="store_true", help="append to docs/benchmarks.md")
    args = parser.parse_args(argv)
    from bench._report import Report

    report = Report("bench.alert_storm", "Alert storm (issue 18)", argv)
    schema = "bench_alert_storm"
    if args.sqlite:
        folder = Path(tempfile.mkdtemp(prefix="alert-storm-"))
        from app import create_app

        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{folder / 'storm.sqlite3'}",
                "SECRET_KEY": "b" * 40,
                "DESKGRAPH_LOG_LEVEL": "WARNING",
            },
            instance_path=folder / "instance",
        )
    else:
        app = app_on_fresh_schema(schema)
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    try:
        rows = run(app, args)
    finally:
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
        if not args.sqlite:
            drop_schema(schema)
    if args.write:
        report.append(str(ROOT / "docs" / "benchmarks.md"), rows)


if __name__ == "__main__":
    main()

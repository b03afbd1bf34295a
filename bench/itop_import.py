"""iTop import: a generated iTop XML export of ``--farms`` farms (each: 4 servers and their
hypervisors, 20 VMs each running a MySQL DB server with a schema and an Apache web server with a
web application, an application solution of 5 of the applications: 115 objects a farm; the 20
DB servers of a farm share the name "MySQL", so every one is renamed after its VM), read and
mapped, its dry run, the first import, a second run that changes nothing, and a changed export
(a VM renamed, a hypervisor gone, a VM added) synced, each with its commit.

On SQLite (a file under /tmp) and PostgreSQL (a schema of its own in the ``test`` database),
one after the other in the same minute. Prints one line per phase and the ``uptime`` before
and after.

    python -m bench.itop_import
    python -m bench.itop_import --farms 100 --only sqlite
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema
from bench.netbox_import import sqlite_app, timed


def export(farms: int, *, changed: bool = False) -> bytes:
    """The generated export; ``changed``: VM 1 renamed, hypervisor 1 gone, one VM more."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<Set>']
    for f in range(farms):
        farm = base = (f + 1) * 1000  # ids stable between the two exports
        out.append(f'<Farm id="{farm}"><name>farm-{f}</name><status>production</status></Farm>')
        for h in range(4):
            server, hypervisor = base + 1 + 2 * h, base + 2 + 2 * h
            out.append(f'<Server id="{server}"><name>srv-{f}-{h}</name></Server>')
            if not (changed and f == 0 and h == 0):
                out.append(
                    f'<Hypervisor id="{hypervisor}"><name>esx-{f}-{h}</name>'
                    f"<farm_id>{farm}</farm_id><server_id>{server}</server_id></Hypervisor>"
                )
        solution = base + 10
        out.append(
            f'<ApplicationSolution id="{solution}"><name>app-{f}</name></ApplicationSolution>'
        )
        for v in range(20 + (1 if changed and f == 0 else 0)):
            vm, db, schema, web, webapp, link = (base + 20 + 6 * v + k for k in range(6))
            name = "vm-renamed" if changed and f == 0 and v == 0 else f"vm-{f}-{v}"
            out += [
                f'<VirtualMachine id="{vm}"><name>{name}</name>'
                f"<virtualhost_id>{farm}</virtualhost_id></VirtualMachine>",
                f'<DBServer id="{db}"><name>MySQL</name><system_id>{vm}</system_id></DBServer>',
                f'<DatabaseSchema id="{schema}"><name>db-{f}-{v}</name>'
                f"<dbserver_id>{db}</dbserver_id></DatabaseSchema>",
                f'<WebServer id="{web}"><name>apache-{f}-{v}</name>'
                f"<system_id>{vm}</system_id></WebServer>",
                f'<WebApplication id="{webapp}"><name>web-{f}-{v}</name>'
                f"<webserver_id>{web}</webserver_id></WebApplication>",
            ]
            if v < 5:
                out.append(
                    f'<lnkApplicationSolutionToFunctionalCI id="{link}">'
                    f"<applicationsolution_id>{solution}</applicationsolution_id>"
                    f"<functionalci_id>{webapp}</functionalci_id>"
                    "</lnkApplicationSolutionToFunctionalCI>"
                )
    out.append("</Set>\n")
    return "\n".join(out).encode()


def measure(app: Any, data: bytes, other: bytes) -> None:
    from flask_migrate import upgrade

    from app.extensions import db
    from app.imports.itop.reader import Source, read
    from app.imports.itop.service import import_itop

    with app.app_context():
        upgrade()
        reading = timed("read and map (pure)", lambda: read([Source("itop.xml", data)]))
        print(f"    {reading.estate.rows_read} objects, {len(reading.estate.cis)} CIs")

        def run(payload: bytes, dry_run: bool) -> Any:
            found, _ = import_itop(
                [Source("itop.xml", payload)], source_name="itop.xml", dry_run=dry_run
            )
            db.session.commit()
            return dict(found.counts)

        counts = timed("dry run of the whole export", lambda: run(data, True))
        print(
            f"    would create {counts['cis_created']} CIs, {counts['relations_created']} relations"
        )
        timed("first import", lambda: run(data, False))
        counts = timed("second run, nothing changed", lambda: run(data, False))
        unchanged = counts["cis_unchanged"], counts["relations_unchanged"]
        print(f"    unchanged: {unchanged[0]} CIs, {unchanged[1]} relations")
        counts = timed("changed export synced", lambda: run(other, False))
        print(
            f"    created {counts['cis_created']}, updated {counts['cis_updated']}, "
            f"retired {counts['cis_retired']}, relations removed {counts['relations_removed']}"
        )
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--farms", type=int, default=50)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--schema", default="dg_bench_itop")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    data, other = export(args.farms), export(args.farms, changed=True)
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            print("SQLite:")
            measure(sqlite_app(Path(folder)), data, other)
    if args.only in (None, "postgres"):
        print("PostgreSQL:")
        try:
            measure(app_on_fresh_schema(args.schema), data, other)
        finally:
            drop_schema(args.schema)
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()

"""NetBox import: NetBox's demo dump (6,915 objects: 444 CIs, 567 relations, ~4,900 report
lines) read and mapped, its dry run, the first import, a second run that changes nothing, and
a changed dump (a device renamed, a cable removed, a VM added) synced, each with its commit.

On SQLite (a file under /tmp) and PostgreSQL (a schema of its own in the ``test`` database),
one after the other in the same minute, so the two compare under the same load. Prints one
line per phase and the ``uptime`` before and after.

    python -m bench.netbox_import
    python -m bench.netbox_import --repeat 3 --only sqlite
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema

DEMO = ROOT.parent / "shared/data/cmdb/netbox-demo-data/netbox-demo-v3.6.json.gz"


def changed(data: bytes) -> bytes:
    objects = json.loads(gzip.decompress(data))
    objects = copy.deepcopy(objects)
    for o in objects:
        if o["model"] == "dcim.device" and o["pk"] == 1:
            o["fields"]["name"] = "dmi01-akron-edge01"
    objects = [
        o
        for o in objects
        if not (o["model"] == "dcim.cable" and o["pk"] == 7)
        and not (o["model"] == "dcim.cabletermination" and o["fields"]["cable"] == 7)
    ]
    objects.append(
        {
            "model": "virtualization.virtualmachine",
            "pk": 9001,
            "fields": {"name": "vm-new", "status": "active", "cluster": 9, "site": None},
        }
    )
    return json.dumps(objects).encode()


def sqlite_app(folder: Path) -> Any:
    from app import create_app

    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "SECRET_KEY": "b" * 40,
            "DESKGRAPH_LOG_LEVEL": "WARNING",
        },
        instance_path=folder / "instance",
    )


def timed(label: str, action: Any) -> Any:
    start = time.perf_counter()
    result = action()
    print(f"  {label}: {time.perf_counter() - start:.2f} s", flush=True)
    return result


def measure(app: Any, data: bytes, other: bytes) -> None:
    from flask_migrate import upgrade

    from app.extensions import db
    from app.imports.netbox import reader, source
    from app.imports.netbox.importer import import_netbox

    with app.app_context():
        upgrade()
        timed("read and map (pure)", lambda: reader.read_estate(source.read("demo", data)))

        def run(payload: bytes, dry_run: bool) -> Any:
            found = import_netbox("demo.json.gz", [("demo.json.gz", payload)], dry_run=dry_run)
            db.session.commit()
            return dict(found.counts)

        counts = timed("dry run of the whole dump", lambda: run(data, True))
        print(
            f"    would create {counts['cis_created']} CIs, {counts['relations_created']} relations"
        )
        timed("first import", lambda: run(data, False))
        counts = timed("second run, nothing changed", lambda: run(data, False))
        unchanged = counts["cis_unchanged"], counts["relations_unchanged"]
        print(f"    unchanged: {unchanged[0]} CIs, {unchanged[1]} relations")
        counts = timed("changed dump synced", lambda: run(other, False))
        print(
            f"    created {counts['cis_created']}, updated {counts['cis_updated']}, "
            f"relations removed {counts['relations_removed']}"
        )
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEMO)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--schema", default="dg_bench_netbox")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    data = args.file.read_bytes()
    other = changed(data)
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    for n in range(args.repeat):
        if args.only in (None, "sqlite"):
            with tempfile.TemporaryDirectory() as folder:
                print(f"SQLite, run {n + 1}:")
                measure(sqlite_app(Path(folder)), data, other)
        if args.only in (None, "postgres"):
            print(f"PostgreSQL, run {n + 1}:")
            try:
                measure(app_on_fresh_schema(args.schema), data, other)
            finally:
                drop_schema(args.schema)
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()

"""NetBox import: NetBox's demo dump (6,915 objects: 444 CIs and 39 redundancy groups, 606
relations, ~4,900 report lines) read and mapped, its dry run, the first import, a second run
that changes nothing, and a changed dump (a device renamed, a cable removed, a VM added)
synced, each through the page's flow and with its commit.

On SQLite (a file under /tmp) and PostgreSQL (a schema of its own in the ``test`` database),
one after the other in the same minute, so the two compare under the same load. Prints one
line per phase and the ``uptime`` before and after.

    python -m bench.netbox_import
    python -m bench.netbox_import --repeat 3 --only sqlite
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from pathlib import Path
from typing import Any

from bench._estate_flow import measure, on_both
from bench._postgres import ROOT

DEMO = (
    Path(os.environ.get("DESKGRAPH_SHARED_DATA", ROOT.parent / "shared/data"))
    / "cmdb/netbox-demo-data/netbox-demo-v3.6.json.gz"
)


def changed(data: bytes) -> bytes:
    """The dump with a device renamed, a cable removed and a VM added (as the tests sync)."""
    from tests.imports.test_netbox import changed_objects

    return json.dumps(changed_objects(json.loads(gzip.decompress(data)))).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEMO)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--schema", default="dg_bench_netbox")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from app.imports.netbox import reader, source

    data = args.file.read_bytes()
    other = changed(data)

    def work(app: Any) -> None:
        read = lambda: reader.read_estate(source.read("demo", data))  # noqa: E731
        measure(app, "netbox", "demo.json.gz", data, other, read)

    on_both(args.only, args.schema, work, args.repeat)


if __name__ == "__main__":
    main()

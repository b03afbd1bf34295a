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
import sys
from typing import Any

from bench._estate_flow import measure, on_both
from bench._postgres import ROOT


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--farms", type=int, default=50)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--schema", default="dg_bench_itop")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from app.imports.itop.reader import Source, read

    data, other = export(args.farms), export(args.farms, changed=True)

    def work(app: Any) -> None:
        measure(app, "itop", "itop.xml", data, other, lambda: read([Source("itop.xml", data)]))

    on_both(args.only, args.schema, work)


if __name__ == "__main__":
    main()

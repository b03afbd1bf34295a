"""Layered synthetic estates for the CMDB benchmark (bench/cmdb_estate.py) and its tests.

Two datacenters, each with racks, top-of-rack switches, a redundant core (two switches in a
group that needs one), storage arrays and hypervisor hosts in HA clusters; VMs on the hosts
and their arrays; application instances in load-balanced clusters (two of four must be up)
and database instances in replicated pairs (one must be up); applications on their clusters,
calling each other within products of twenty (cycles happen), whose instances use one to four
database clusters of their product and its message-queue cluster (two of three up); business
services on four applications anywhere; office workstations with assigned users behind access
switches. About 1 % of hosts are in maintenance, 1 % of VMs retired and a few applications
planned. Ids are ints from 1, rows are :data:`app.cmdb.impact.index.Row` tuples; the same seed
gives the same estate.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from app.cmdb.graph.vocabulary import Redundancy

PER_VM = 2.8
"""CIs per VM in the mix below: ``size / PER_VM`` VMs give about ``size`` CIs."""


@dataclass
class Estate:
    rows: list[tuple] = field(default_factory=list)
    relations: list[tuple[int, int, str]] = field(default_factory=list)
    by_kind: dict[str, list[int]] = field(default_factory=dict)

    def add(self, kind: str, ci_class: str, count: int, **fields: object) -> list[int]:
        """``count`` CIs of one kind: ``(id, name, class, status, rule, users, assigned)``."""
        first = len(self.rows) + 1
        rule = fields.get("rule")
        known = len(self.by_kind.get(kind, ()))
        for i in range(count):
            name = f"{kind}-{known + i:06}"
            self.rows.append((first + i, name, ci_class, "in_service", rule, 0, None))
        made = list(range(first, first + count))
        self.by_kind.setdefault(kind, []).extend(made)
        return made

    def set(self, ci_id: int, position: int, value: object) -> None:
        row = list(self.rows[ci_id - 1])
        row[position] = value
        self.rows[ci_id - 1] = tuple(row)

    def datacenter(self, number: int) -> tuple[int, ...]:
        """The CIs to fail for datacenter ``number`` going dark (its facility CI)."""
        return (self.by_kind["datacenter"][number],)


def layered_estate(size: int, seed: int = 7) -> Estate:
    """An estate of about ``size`` CIs and 2.7 relations per CI (see the module docstring)."""
    rng = random.Random(seed)
    e = Estate()
    rel = e.relations
    vms_wanted = max(48, round(size / PER_VM))
    host_count = max(4, vms_wanted // 12)
    rack_count = max(2, math.ceil(host_count / 16))

    dcs = e.add("datacenter", "datacenter", 2)
    cores = [e.add("core", "cluster", 1, rule=Redundancy(min_up=1))[0] for _ in dcs]
    for dc, core in zip(dcs, cores, strict=True):
        rel.append((core, dc, "depends_on"))
        rel += [(s, core, "member_of") for s in e.add("core-switch", "network_device", 2)]
    racks = e.add("rack", "rack", rack_count)
    tors = e.add("tor", "network_device", rack_count)
    for i, (rack, tor) in enumerate(zip(racks, tors, strict=True)):
        dc = i % 2
        rel += [(rack, dcs[dc], "depends_on"), (tor, rack, "depends_on")]
        rel.append((tor, cores[dc], "connected_to"))
    arrays = e.add("array", "storage", max(2, host_count // 64))
    arrays_in: list[list[int]] = [[], []]
    racks_in = [racks[0::2], racks[1::2]]  # racks alternate datacenters
    for i, array in enumerate(arrays):
        dc = i % 2
        rack = racks_in[dc][i // 2 % len(racks_in[dc])]
        rel += [(array, rack, "depends_on"), (array, cores[dc], "connected_to")]
        arrays_in[dc].append(array)
    hosts = e.add("host", "server", host_count)
    hv = e.add(
        "hv-cluster", "cluster", math.ceil(host_count / 8), rule=Redundancy(min_up_percent=75)
    )
    host_array = {}
    for i, host in enumerate(hosts):
        rack = i // 16 % rack_count
        host_array[host] = rng.choice(arrays_in[rack % 2])  # racks alternate datacenters
        rel += [
            (host, racks[rack], "depends_on"),
            (host, tors[rack], "connected_to"),
            (host, host_array[host], "depends_on"),
            (host, hv[i // 8], "member_of"),
        ]
    vms = e.add("vm", "virtual_machine", vms_wanted)
    for vm in vms:
        host = rng.choice(hosts)
        rel += [(vm, host, "runs_on"), (vm, host_array[host], "depends_on")]
    free_vms = iter(rng.sample(vms, len(vms)))

    db_clusters = e.add("db-cluster", "cluster", len(vms) // 10, rule=Redundancy(min_up=1))
    for cluster in db_clusters:
        for db in e.add("db", "database", 2):
            rel += [(db, next(free_vms), "runs_on"), (db, cluster, "member_of")]
    apps = e.add("application", "application", len(vms) * 7 // 40)
    app_clusters = e.add("app-cluster", "load_balancer", len(apps), rule=Redundancy(min_up=2))
    queues = e.add("mq-cluster", "cluster", math.ceil(len(apps) / 20), rule=Redundancy(min_up=2))
    for queue in queues:
        for node in e.add("mq", "application", 3):
            rel += [(node, next(free_vms), "runs_on"), (node, queue, "member_of")]
    for i, (app, cluster) in enumerate(zip(apps, app_clusters, strict=True)):
        rel.append((app, cluster, "depends_on"))
        product = apps[i - i % 20 : i - i % 20 + 20]
        rel += [(app, peer, "depends_on") for peer in set(rng.sample(product, 2)) - {app}]
        databases = db_clusters[i // 20 :: len(queues)] or db_clusters  # the product's own
        backends = rng.sample(databases, min(len(databases), rng.randint(1, 4)))
        for instance in e.add("instance", "application", 4):
            rel += [(instance, next(free_vms), "runs_on"), (instance, cluster, "member_of")]
            rel += [(instance, b, "depends_on") for b in (*backends, queues[i // 20])]
    for service in e.add("service", "business_service", max(1, len(apps) // 5)):
        e.set(service, 5, rng.randint(20, 2000))
        rel += [(service, app, "depends_on") for app in rng.sample(apps, min(len(apps), 4))]
    workstations = e.add("workstation", "workstation", round(len(vms) * 0.3))
    access = e.add("access-switch", "network_device", max(1, len(workstations) // 48))
    rel += [(a, cores[0], "connected_to") for a in access]
    for i, ws in enumerate(workstations):
        e.set(ws, 6, f"user-{i}")
        rel.append((ws, access[i % len(access)], "connected_to"))

    for host in rng.sample(hosts, len(hosts) // 100):
        e.set(host, 3, "in_maintenance")
    for vm in rng.sample(vms, len(vms) // 100):
        e.set(vm, 3, "retired")
    for app in rng.sample(apps, len(apps) // 200):
        e.set(app, 3, "planned")
    return e

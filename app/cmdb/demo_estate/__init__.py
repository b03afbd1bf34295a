"""The demo estate of Kestrel Freight around the hand-written core of ``demo/cmdb.json``.

Pure code (no Flask, no database): :func:`build_estate` returns classes, attributes, CIs and
relations in the format of ``demo/cmdb.json``, drawn with a fixed seed so every load builds the
same estate, for :func:`app.cmdb.demo.load_cmdb` to store. At full size it has about 2,250
CIs and 2,500 relations:

* business services → applications (load-balanced farms, Kubernetes workloads, SaaS) →
  databases on a SQL Server availability group or a PostgreSQL cluster → VMs → vSphere clusters
  → hosts → racks → UPS; storage arrays on a redundant SAN fabric; switch, firewall and load
  balancer pairs; the backup platform and its jobs (:mod:`.datacentre`, :mod:`.network`,
  :mod:`.applications`);
* laptops, phones and smartphones of the demo people, shared desktops, meeting rooms,
  printers, the depot's scanners, cameras and Wi-Fi, and the fleet's telematics units
  (:mod:`.endpoints`).

``scale`` in (0, 1] shrinks the populations (endpoints, vehicles, test copies) for tests; the
skeleton (every service, cluster, host, array and network device) is always whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.cmdb.demo_estate import applications, datacentre, endpoints, network
from app.cmdb.demo_estate.builder import Estate
from app.cmdb.demo_estate.catalogue import ATTRIBUTES, CLASSES

SEED = 2026


def build_estate(
    core: Mapping[str, Any],
    people: list[Mapping[str, Any]],
    *,
    scale: float = 1.0,
    seed: int = SEED,
) -> dict[str, Any]:
    """The estate around ``core`` (the parsed ``demo/cmdb.json``) for these people.

    :raise ValueError: ``scale`` outside (0, 1], or the estate names a CI twice or relates a CI
        that neither it nor the core has.
    """
    core_cis = core.get("cis", [])
    estate = Estate((c["name"] for c in core_cis), scale=scale, seed=seed)
    datacentre.build_racks(estate)
    network.build(estate)
    datacentre.build(estate)
    applications.build(estate)
    laptops = [c["assigned_to"] for c in core_cis if c["class"] == "laptop" and "assigned_to" in c]
    endpoints.build(estate, people, laptops)
    return {
        "classes": CLASSES,
        "attributes": ATTRIBUTES,
        "cis": estate.cis,
        "relations": estate.relations,
    }

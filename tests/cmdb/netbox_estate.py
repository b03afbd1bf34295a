"""NetBox's demo data as a CMDB estate, for golden impact tests (test support code).

The data is NetBox's own demo dump (``../shared/data/cmdb/netbox-demo-data/``, v3.6 JSON:
``{model, pk, fields}`` objects). It becomes CIs and relations of the default relation types,
the way a CMDB owner importing NetBox would model it:

* **sites**, **racks** (``depends_on`` their site), **devices** (``depends_on`` their rack, or
  their site when unracked; classes by role: routers and switches are network devices, PDUs,
  patch panels, servers);
* **power**: a device whose power port is cabled to a PDU outlet ``depends_on`` the PDU; a rack
  fed by power feeds ``depends_on`` a "<rack> power" group of its feeds (rule
  :attr:`Rules.feed_min_up`), each feed ``depends_on`` its power panel, each panel its site;
* **cables**: every cabled interface is traced through patch panels (front port → rear port at
  the same position) and circuits to the far end. A far device of a higher tier (core switch,
  router, distribution switch, access or top-of-rack switch, server) is an *uplink*: one uplink
  device is ``connected_to`` directly, several make a "<device> uplinks" group (rule
  :attr:`Rules.uplink_min_up`); patch panels and circuits on *every* uplink path are plain
  dependencies (single points of failure). A path that ends at a circuit (a provider's network)
  makes the circuit an uplink: several circuits make a "<device> WAN" group (rule
  :attr:`Rules.wan_min_up`). Circuits ``depends_on`` their provider;
* **virtual chassis** are groups of their member switches (rule :attr:`Rules.chassis_min_up`);
* **virtualisation**: VMs ``runs_on`` their cluster; clusters are ``member_of`` their cluster
  group (rule :attr:`Rules.cluster_group_min_up_percent`, none by default).

CI ids are ``"<kind>:<NetBox pk>"`` (``"device:96"``), names are NetBox's (unnamed devices
"<model> #<pk>", names repeated across sites get " (<site>)").
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import networkx as nx

from app.cmdb.graph.vocabulary import CI, Redundancy, build_graph

DATA = (
    Path(__file__).resolve().parents[3]
    / "shared/data/cmdb/netbox-demo-data/netbox-demo-v3.6.json.gz"
)

TIER = {
    "Core Switch": 0,
    "Router": 1,
    "Distribution Switch": 2,
    "Access Switch": 3,
    "ToR Switch": 3,
    "Application Server": 4,
    "Database Server": 4,
}
CLASS_OF_ROLE = {
    "Core Switch": "network_device",
    "Router": "network_device",
    "Distribution Switch": "network_device",
    "Access Switch": "network_device",
    "ToR Switch": "network_device",
    "PDU": "pdu",
    "Patch Panel": "patch_panel",
    "Application Server": "server",
    "Database Server": "server",
}
STATUS = {
    "active": "in_service",
    "available": "in_service",
    "reserved": "in_service",
    "planned": "planned",
    "staged": "planned",
    "inventory": "planned",
    "offline": "in_maintenance",
    "failed": "in_maintenance",
    "decommissioning": "retired",
    "deprecated": "retired",
}


class NetBox:
    """The dump's objects: ``netbox["dcim.device"][96]`` is a device's fields."""

    def __init__(self, objects: Iterable[dict[str, Any]]) -> None:
        self.models: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
        for item in objects:
            if "pk" in item:
                self.models[item["model"]][item["pk"]] = item["fields"]

    def __getitem__(self, model: str) -> dict[int, dict[str, Any]]:
        return self.models[model]


@cache
def read_netbox(path: Path = DATA) -> NetBox:
    with gzip.open(path, "rt", encoding="utf-8") as raw:
        return NetBox(json.load(raw))


@dataclass(frozen=True)
class Rules:
    """Redundancy rules of the estate's groups (``None``: no rule, members are plain links)."""

    feed_min_up: int | None = 1
    uplink_min_up: int | None = 1
    wan_min_up: int | None = 1
    chassis_min_up: int | None = 1
    cluster_group_min_up_percent: float | None = None


@dataclass
class Estate:
    """CIs and ``(source, target, type)`` relations, and CI ids by name."""

    cis: dict[str, CI] = field(default_factory=dict)
    relations: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, ci_id: str, name: str, ci_class: str, rule: Redundancy | None = None, **kw):
        self.cis[ci_id] = CI(ci_id, name, ci_class, redundancy=rule, **kw)

    def relate(self, source: str, type_name: str, target: str) -> None:
        self.relations.append((source, target, type_name))

    def group(
        self,
        ci_id: str,
        name: str,
        members: Iterable[str],
        min_up: int | None = None,
        percent: float | None = None,
    ) -> None:
        """A group of ``members`` with a rule "at least ``min_up`` (or ``percent`` %) up", or
        no rule when both are ``None``."""
        rule = None if min_up is None and percent is None else Redundancy(min_up, percent)
        self.add(ci_id, name, "cluster", rule)
        for member in members:
            self.relate(member, "member_of", ci_id)

    def graph(self) -> nx.DiGraph:
        return build_graph(self.cis.values(), self.relations)

    def id_of(self, name: str) -> str:
        (found,) = [ci_id for ci_id, ci in self.cis.items() if ci.name == name]
        return found


def build_estate(netbox: NetBox | None = None, rules: Rules = Rules()) -> Estate:
    nb = netbox or read_netbox()
    estate = Estate()
    names = _names(nb)
    for pk, site in nb["dcim.site"].items():
        estate.add(f"site:{pk}", names[f"site:{pk}"], "site", status=STATUS[site["status"]])
    for pk, rack in nb["dcim.rack"].items():
        estate.add(f"rack:{pk}", names[f"rack:{pk}"], "rack", status=STATUS[rack["status"]])
        estate.relate(f"rack:{pk}", "depends_on", f"site:{rack['site']}")
    roles = {pk: role["name"] for pk, role in nb["dcim.devicerole"].items()}
    for pk, device in nb["dcim.device"].items():
        ci_id = f"device:{pk}"
        estate.add(
            ci_id,
            names[ci_id],
            CLASS_OF_ROLE[roles[device["role"]]],
            status=STATUS[device["status"]],
        )
        where = f"rack:{device['rack']}" if device["rack"] else f"site:{device['site']}"
        estate.relate(ci_id, "depends_on", where)
    _power(nb, estate, names, rules)
    _links(nb, estate, names, rules, roles)
    for pk, chassis in nb["dcim.virtualchassis"].items():
        members = [
            f"device:{d}" for d, f in nb["dcim.device"].items() if f["virtual_chassis"] == pk
        ]
        estate.group(f"chassis:{pk}", chassis["name"], members, rules.chassis_min_up)
    _virtualisation(nb, estate, rules)
    return estate


def _names(nb: NetBox) -> dict[str, str]:
    """Display names; a name repeated across sites gets its site in brackets."""
    sites = {pk: site["name"] for pk, site in nb["dcim.site"].items()}
    models = {pk: t["model"] for pk, t in nb["dcim.devicetype"].items()}
    raw: dict[str, tuple[str, int | None]] = {}
    for pk, site in nb["dcim.site"].items():
        raw[f"site:{pk}"] = (site["name"], None)
    for pk, rack in nb["dcim.rack"].items():
        raw[f"rack:{pk}"] = (rack["name"], rack["site"])
    for pk, device in nb["dcim.device"].items():
        name = device["name"] or f"{models[device['device_type']]} #{pk}"
        raw[f"device:{pk}"] = (name, device["site"])
    for pk, panel in nb["dcim.powerpanel"].items():
        raw[f"panel:{pk}"] = (panel["name"], panel["site"])
    seen: dict[str, int] = defaultdict(int)
    for name, _ in raw.values():
        seen[name] += 1
    return {
        ci_id: f"{name} ({sites[site]})" if seen[name] > 1 and site else name
        for ci_id, (name, site) in raw.items()
    }


def _power(nb: NetBox, estate: Estate, names: dict[str, str], rules: Rules) -> None:
    for pk, panel in nb["dcim.powerpanel"].items():
        estate.add(f"panel:{pk}", names[f"panel:{pk}"], "power_panel")
        estate.relate(f"panel:{pk}", "depends_on", f"site:{panel['site']}")
    feeds_of: dict[int, list[str]] = defaultdict(list)
    for pk, feed in nb["dcim.powerfeed"].items():
        estate.add(f"feed:{pk}", feed["name"], "power_feed", status=STATUS[feed["status"]])
        estate.relate(f"feed:{pk}", "depends_on", f"panel:{feed['power_panel']}")
        if feed["rack"]:
            feeds_of[feed["rack"]].append(f"feed:{pk}")
    for rack, feeds in sorted(feeds_of.items()):
        name = f"{names[f'rack:{rack}']} power"
        estate.group(f"power:{rack}", name, feeds, rules.feed_min_up)
        estate.relate(f"rack:{rack}", "depends_on", f"power:{rack}")


def _links(
    nb: NetBox, estate: Estate, names: dict[str, str], rules: Rules, roles: dict[int, str]
) -> None:
    providers = {pk: p["name"] for pk, p in nb["circuits.provider"].items()}
    for pk, circuit in nb["circuits.circuit"].items():
        estate.add(f"circuit:{pk}", f"{providers[circuit['provider']]} {circuit['cid']}", "circuit")
        estate.relate(f"circuit:{pk}", "depends_on", f"provider:{circuit['provider']}")
    for pk, name in providers.items():
        estate.add(f"provider:{pk}", name, "provider")
    tracer = _Tracer(nb)
    tier = {pk: TIER.get(roles[d["role"]]) for pk, d in nb["dcim.device"].items()}
    uplinks: dict[int, dict[str, list[frozenset[str]]]] = defaultdict(lambda: defaultdict(list))
    for pk, interface in nb["dcim.interface"].items():
        device = interface["device"]
        if interface["cable"] is None or tier[device] is None:
            continue
        for far, passives in tracer.from_end(("interface", pk)):
            far_tier = tier.get(int(far.split(":")[1])) if far.startswith("device:") else -1
            if far_tier is not None and far_tier < tier[device]:
                uplinks[device][far].append(passives)
    for device, found in sorted(uplinks.items()):
        ci_id = f"device:{device}"
        paths = [p for passives in found.values() for p in passives]
        for passive in sorted(frozenset.intersection(*paths)):
            estate.relate(ci_id, "depends_on", passive)
        for kind, label, min_up in (("device", "uplinks", rules.uplink_min_up),
                                    ("circuit", "WAN", rules.wan_min_up)):  # fmt: skip
            ups = sorted(far for far in found if far.startswith(f"{kind}:"))
            if len(ups) == 1:
                estate.relate(ci_id, "connected_to", ups[0])
            elif ups:
                group = f"{label.lower()}:{device}"
                estate.group(group, f"{names[ci_id]} {label}", ups, min_up)
                estate.relate(ci_id, "depends_on", group)
    for pk, port in nb["dcim.powerport"].items():
        if port["cable"] is not None:
            for far, _ in tracer.from_end(("powerport", pk)):
                estate.relate(f"device:{port['device']}", "depends_on", far)


def _virtualisation(nb: NetBox, estate: Estate, rules: Rules) -> None:
    for pk, cluster in nb["virtualization.cluster"].items():
        estate.add(f"cluster:{pk}", cluster["name"], "cluster", status=STATUS[cluster["status"]])
        if cluster["site"]:
            estate.relate(f"cluster:{pk}", "depends_on", f"site:{cluster['site']}")
    for pk, group in nb["virtualization.clustergroup"].items():
        members = [
            f"cluster:{c}" for c, f in nb["virtualization.cluster"].items() if f["group"] == pk
        ]
        estate.group(
            f"cgroup:{pk}", group["name"], members, percent=rules.cluster_group_min_up_percent
        )
    for pk, vm in nb["virtualization.virtualmachine"].items():
        estate.add(f"vm:{pk}", vm["name"], "virtual_machine", status=STATUS[vm["status"]])
        estate.relate(f"vm:{pk}", "runs_on", f"cluster:{vm['cluster']}")


class _Tracer:
    """Follows cables from a port to the devices (or provider circuits) at the far end."""

    def __init__(self, nb: NetBox) -> None:
        self.nb = nb
        ends: dict[int, dict[str, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
        for t in nb["dcim.cabletermination"].values():
            ends[t["cable"]][t["cable_end"]].append((t["termination_type"][1], t["termination_id"]))
        self.far: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for cable in ends.values():
            for a, b in (("A", "B"), ("B", "A")):
                for end in cable[a]:
                    self.far[end] = cable[b]

    def from_end(self, end: tuple[str, int]) -> list[tuple[str, frozenset[str]]]:
        """``(far CI id, passive CI ids on the way)`` for each path from a cabled port."""
        return self._across(end, frozenset(), None)

    def _across(
        self, end: tuple[str, int], passives: frozenset[str], position: int | None
    ) -> list[tuple[str, frozenset[str]]]:
        nb, found = self.nb, []
        for kind, pk in self.far.get(end, []):
            if kind in ("interface", "powerport", "poweroutlet"):
                found.append((f"device:{nb[f'dcim.{kind}'][pk]['device']}", passives))
            elif kind == "frontport":
                port = nb["dcim.frontport"][pk]
                via = passives | {f"device:{port['device']}"}
                found += self._across(
                    ("rearport", port["rear_port"]), via, port["rear_port_position"]
                )
            elif kind == "rearport":
                panel = nb["dcim.rearport"][pk]["device"]
                for fp_pk, port in nb["dcim.frontport"].items():
                    if port["rear_port"] == pk and position in (None, port["rear_port_position"]):
                        via = passives | {f"device:{panel}"}
                        found += self._across(("frontport", fp_pk), via, None)
            elif kind == "circuittermination":
                term = nb["circuits.circuittermination"][pk]
                circuit = f"circuit:{term['circuit']}"
                far_ends = [
                    ("circuittermination", other_pk)
                    for other_pk, other in nb["circuits.circuittermination"].items()
                    if other["circuit"] == term["circuit"] and other_pk != pk and other["cable"]
                ]
                if not far_ends:  # the provider's side: the circuit is the far end
                    found.append((circuit, passives))
                for far_end in far_ends:
                    found += self._across(far_end, passives | {circuit}, position)
        return found

"""The demo estate's networks: top-of-rack and floor switches, the SAN fabric, the load
balancer pair, the sites' routers and the tunnels to Lyon, and the Wi-Fi (the depot's warehouse
Wi-Fi is one redundancy group: scanners roam between its access points).
"""

from __future__ import annotations

from typing import Any

from app.cmdb.demo_estate.builder import (
    DATA_CENTRE,
    LYON,
    MAN,
    MAN_CLOSET,
    NETWORK,
    PAR,
    RTM,
    RTM_CLOSET,
    SERVER_ROOM,
    SITE_CODES,
    Estate,
)

LB_PAIR = "lb-lyon-02"
WAREHOUSE_WIFI = "wifi-rtm-warehouse"
CORE = "core-sw-lyon-01"

# Access switches per site and floor: endpoints are cabled to them.
FLOOR_SWITCHES = {
    LYON: {
        0: ["sw-lyon-0f-01"],
        1: ["sw-lyon-1f-01", "sw-lyon-1f-02"],
        2: ["sw-lyon-2f-01", "sw-lyon-2f-02"],
        3: ["sw-lyon-3f-01"],  # sw-lyon-3f-02 (core) serves the six 3rd-floor desks only
        4: ["sw-lyon-4f-01", "sw-lyon-4f-02"],
    },
    RTM: {1: ["sw-rtm-1f-01"], 2: ["sw-rtm-2f-01"]},
    MAN: {1: ["sw-man-1f-01", "sw-man-1f-02"], 2: ["sw-man-2f-01"]},
}
WAREHOUSE_SWITCHES = ["sw-rtm-wh-01", "sw-rtm-wh-02", "sw-rtm-wh-03", "sw-rtm-wh-04"]
FIRMWARE = {
    "Cisco": "IOS-XE 17.9",
    "Juniper": "Junos 22.4",
    "Fortinet": "FortiOS 7.4.3",
    "F5": "TMOS 17.1.1",
    "Brocade": "FOS 9.2.0",
    "Aruba": "ArubaOS 8.11",
}


def build(e: Estate) -> None:
    """After the racks, before the storage (arrays sit on the SAN fabric)."""
    _data_centre(e)
    _sites(e)
    _wifi(e)


def _device(
    e: Estate,
    name: str,
    location: str,
    model: str,
    *,
    uplink: str | None = None,
    rack: str | None = None,
    ports: int = 48,
    ci_class: str = "network_device",
    **fields: Any,
) -> str:
    """A network device cabled to ``uplink`` and mounted in ``rack``."""
    e.ci(
        name,
        ci_class,
        location=location,
        **NETWORK,
        **e.hardware("NET", model),
        attributes={
            "firmware": FIRMWARE[model.split()[0]],
            "ports": ports,
            "management_ip": f"10.{e.rng.randint(10, 40)}.0.{e.rng.randint(2, 250)}",
        },
        **fields,
    )
    if uplink:
        e.rel(name, "connected_to", uplink)
    if rack:
        e.rel(name, "depends_on", rack)
    return name


def _pair(
    e: Estate,
    group: str,
    prefix: str,
    racks: tuple[str, str],
    model: str,
    technology: str,
    description: str = "",
    **fields: Any,
) -> str:
    """Devices ``<prefix>a`` and ``<prefix>b`` on the core switch, and the group that is up
    while one of them is."""
    members = [
        _device(
            e, f"{prefix}{side}", SERVER_ROOM, model, uplink=CORE, rack=rack, criticality=1,
            **fields,
        )
        for side, rack in zip("ab", racks, strict=True)
    ]  # fmt: skip
    return e.group(
        group,
        members,
        min_up=1,
        location=SERVER_ROOM,
        **(DATA_CENTRE if technology == "SAN fabric" else NETWORK),
        description=description,
        attributes={"technology": technology},
    )


def _data_centre(e: Estate) -> None:
    for rack in ("lyon-sr-r03", "lyon-sr-r04", "lyon-sr-r05"):
        tor = f"tor-lyon-{rack[-3:]}"
        _pair(e, tor, f"{tor}-", (rack, rack), "Cisco Nexus 93180YC-FX3", "Switch pair")
    _pair(
        e, "san-fabric-lyon", "fc-sw-lyon-", ("lyon-sr-r01", "lyon-sr-r06"), "Brocade G620",
        "SAN fabric", "Fibre Channel fabrics A and B; every host and array is on both.",
    )  # fmt: skip
    _pair(
        e, LB_PAIR, LB_PAIR, ("lyon-sr-r01", "lyon-sr-r01"), "F5 BIG-IP i2800",
        "Load balancer pair", "Active/standby BIG-IP pair in front of the web and API farms.",
        ci_class="load_balancer", ports=8,
    )  # fmt: skip
    for floor, switches in FLOOR_SWITCHES[LYON].items():
        for name in switches:
            if name.lower() not in e.known:
                _device(e, name, f"{LYON}, floor {floor}", "Cisco Catalyst 9200", uplink=CORE)


def _sites(e: Estate) -> None:
    """Depot and Manchester comms rooms, their tunnels to Lyon, and the Paris colocation."""
    _device(
        e, "sw-rtm-core-01", RTM_CLOSET, "Cisco Catalyst 9300",
        uplink="wan-rtm-01", rack="rtm-r01", criticality=1,
    )  # fmt: skip
    for name in [*WAREHOUSE_SWITCHES, "sw-rtm-dock-01"]:
        _device(e, name, f"{RTM}, warehouse", "Cisco Catalyst IE3300", uplink="sw-rtm-core-01")
    _device(
        e, "wan-man-01", MAN_CLOSET, "Juniper SRX340", rack="man-r01", ports=16, criticality=1
    )  # fmt: skip
    _device(
        e, "sw-man-core-01", MAN_CLOSET, "Cisco Catalyst 9300",
        uplink="wan-man-01", rack="man-r01", criticality=1,
    )  # fmt: skip
    for site, core in ((RTM, "sw-rtm-core-01"), (MAN, "sw-man-core-01")):
        for floor, switches in FLOOR_SWITCHES[site].items():
            for name in switches:
                _device(e, name, f"{site}, floor {floor}", "Cisco Catalyst 9200", uplink=core)
    for code, router, site in (("rtm", "wan-rtm-01", RTM), ("man", "wan-man-01", MAN)):
        link = e.ci(
            f"vpn-{code}-lyon",
            "network_device",
            criticality=1,
            **NETWORK,
            description=f"Site-to-site IPsec tunnel from the {site} to the Lyon data centre.",
        )
        e.rel(link, "connected_to", router)
        e.rel(link, "connected_to", "fw-lyon-01")
    e.rel("WMS application", "depends_on", "vpn-rtm-lyon")  # it needs erp-db-01 in Lyon
    uplink = None
    for name, model in (
        ("rtr-par-01", "Juniper MX204"),
        ("fw-par-01", "Fortinet FortiGate 100F"),
        ("sw-par-core-01", "Cisco Nexus 93180YC-FX3"),
    ):
        uplink = _device(e, name, PAR, model, uplink=uplink, rack="par-r01", criticality=1)


def _wifi(e: Estate) -> None:
    def access_point(name: str, location: str, switch: str) -> str:
        return _device(
            e, name, location, "Aruba AP-515", uplink=switch, ports=2, criticality=3
        )  # fmt: skip

    for site, floors in FLOOR_SWITCHES.items():
        for floor, switches in floors.items():
            for n in range(1, 7 if site == RTM else 4):
                name = f"ap-{SITE_CODES[site]}-{floor}f-{n:02d}"
                if name.lower() not in e.known:
                    access_point(name, f"{site}, floor {floor}", switches[n % len(switches)])
    warehouse = ["ap-rtm-wh-c1"]
    for aisle, switch in zip("abcd", WAREHOUSE_SWITCHES, strict=True):
        for n in range(1, 9):
            if f"ap-rtm-wh-{aisle}{n}" not in warehouse:
                warehouse.append(access_point(f"ap-rtm-wh-{aisle}{n}", f"{RTM}, warehouse", switch))
    for n in range(1, 7):
        warehouse.append(
            access_point(f"ap-rtm-dock-{n:02d}", f"{RTM}, loading docks", "sw-rtm-dock-01")
        )
    e.group(
        WAREHOUSE_WIFI,
        warehouse,
        min_up_percent=75,
        location=f"{RTM}, warehouse",
        **NETWORK,
        description="Warehouse and dock coverage: scanners roam; it holds while 3 APs in 4 are up.",
        attributes={"technology": "Wi-Fi"},
    )

"""The demo estate's end-user and edge devices: a laptop, a desk phone and (for those on the
move) a smartphone per person of the demo organisation, shared desktops and meeting rooms,
printers, the depot's scanners and cameras, and the telematics units of the fleet.

People come from ``demo/organisation.json`` (username, location, department, title), so the
same people get the same devices on every load; the loader resolves usernames to accounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from app.cmdb.demo_estate.builder import DESK, LYON, MAN, NETWORK, RTM, SITE_CODES, Estate
from app.cmdb.demo_estate.network import FLOOR_SWITCHES, WAREHOUSE_SWITCHES, WAREHOUSE_WIFI

LAPTOPS = {LYON: "HP EliteBook 840 G10", RTM: "Dell Latitude 5440", MAN: "Lenovo ThinkPad T14"}
ON_THE_MOVE = ("Director", "Manager", "Head", "Chief", "Lead", "Account", "Engineer", "Sales")
WAREHOUSE_FLOOR = ("Forklift", "Inventory", "Shift")
DISPATCH = ("Transport Dispatcher", "Fleet Coordinator", "Logistics Planner", "Customs Specialist")
APN = "iot-apn-01"


def build(e: Estate, people: list[Mapping[str, Any]], core_laptops: Iterable[str]) -> None:
    """``core_laptops``: usernames that already have a laptop in the core."""
    _laptops(e, people, set(core_laptops))
    _phones(e, people)
    _desks_and_rooms(e, people)
    _printers(e)
    _depot(e)
    _fleet(e)


def _site(person: Mapping[str, Any]) -> str:
    return person.get("location") if person.get("location") in SITE_CODES else LYON


def _numbered(e: Estate, prefix: str) -> Iterator[str]:
    """Names ``prefix-001``, ``prefix-002`` … skipping names the core already uses."""
    n = 1
    while True:
        name = f"{prefix}-{n:03d}"
        n += 1
        if name.lower() not in e.known:
            yield name


def _laptops(e: Estate, people: list[Mapping[str, Any]], core: set[str]) -> None:
    names = {site: _numbered(e, f"lt-{code}") for site, code in SITE_CODES.items()}
    windows = {"os": "Windows 11 23H2", "encrypted": True}

    def laptop(site: str, model: str, **fields: Any) -> str:
        return e.ci(
            next(names[site]),
            "laptop",
            location=site,
            **DESK,
            **e.hardware("LT", model, years=fields.pop("years", (0, 3))),
            attributes=windows,
            **fields,
        )

    for person in people:
        if person["username"] not in core:
            site = _site(person)
            laptop(site, LAPTOPS[site], assigned_to=person["username"])
    for site in SITE_CODES:
        for _ in range(e.count(3)):
            laptop(site, LAPTOPS[site], description="Spare, in the IT store.")
    for _ in range(e.count(14)):
        laptop(
            LYON,
            "HP EliteBook 840 G6",
            status="retired",
            years=(-3, -1),
            description="Replaced in the 2025 refresh; wiped, awaiting disposal.",
        )
    for _ in range(e.count(3)):
        laptop(LYON, LAPTOPS[LYON], status="planned", description="On order for a new starter.")


def _floor_switch(e: Estate, site: str) -> tuple[int, str]:
    floor = e.pick(sorted(FLOOR_SWITCHES[site]))
    return floor, e.pick(FLOOR_SWITCHES[site][floor])


def _phones(e: Estate, people: list[Mapping[str, Any]]) -> None:
    desk = {site: _numbered(e, f"ph-{code}") for site, code in SITE_CODES.items()}
    mobiles = _numbered(e, "mob")
    for i, person in enumerate(people):
        site, title = _site(person), person.get("title") or ""
        if not any(word in title for word in WAREHOUSE_FLOOR):
            floor, switch = _floor_switch(e, site)
            phone = e.ci(
                next(desk[site]),
                "phone",
                location=f"{site}, floor {floor}",
                assigned_to=person["username"],
                **DESK,
                **e.hardware("PH", "Cisco IP Phone 8845"),
                attributes={"extension": f"{4000 + i}"},
            )
            e.rel(phone, "connected_to", switch)
            e.rel(phone, "depends_on", "voip-cm-01")
        if any(word in title for word in ON_THE_MOVE) or person.get("department") == "Sales":
            iphone = i % 3 != 0
            mobile = e.ci(
                next(mobiles),
                "mobile_device",
                location=site,
                assigned_to=person["username"],
                **DESK,
                **e.hardware("MOB", "Apple iPhone 15" if iphone else "Samsung Galaxy S24"),
                attributes={"os": "iOS 18" if iphone else "Android 14", "imei": _imei(e)},
            )
            e.rel(mobile, "depends_on", "mdm-01")  # company mail needs a compliant device


def _imei(e: Estate) -> str:
    return "35" + "".join(str(e.rng.randint(0, 9)) for _ in range(13))


def _desks_and_rooms(e: Estate, people: list[Mapping[str, Any]]) -> None:
    def desktop(name: str, switch: str, location: str, **fields: Any) -> str:
        e.ci(
            name,
            "workstation",
            location=location,
            **DESK,
            **e.hardware("WS", fields.pop("model", "Dell OptiPlex 7010 Micro")),
            attributes={"os": "Windows 11 23H2"},
            **fields,
        )
        e.rel(name, "connected_to", switch)
        return name

    finance = [p["username"] for p in people if p.get("department") == "Finance"]
    for n, username in enumerate(finance, start=1):
        desktop(
            f"ws-lyon-1f-{n:02d}",
            FLOOR_SWITCHES[LYON][1][n % 2],
            f"{LYON}, floor 1",
            assigned_to=username,
        )
    dispatch = [p["username"] for p in people if p.get("title") in DISPATCH]
    for n, username in enumerate(dispatch, start=1):
        desktop(f"ws-rtm-disp-{n:02d}", "sw-rtm-1f-01", f"{RTM}, dispatch", assigned_to=username)
    for n in range(1, e.count(14) + 1):
        desktop(
            f"ws-rtm-wh-{n:02d}",
            WAREHOUSE_SWITCHES[n % 4],
            f"{RTM}, warehouse",
            description="Shared warehouse terminal.",
        )
    for room, site, floor in (
        ("rhone", LYON, 3),
        ("saone", LYON, 2),
        ("fourviere", LYON, 4),
        ("croix-rousse", LYON, 1),
        ("maas", RTM, 2),
        ("pennine", MAN, 1),
        ("irwell", MAN, 2),
    ):
        name = desktop(
            f"mtr-{SITE_CODES[site]}-{room}",
            FLOOR_SWITCHES[site][floor][0],
            f"{site}, floor {floor}",
            model="Lenovo ThinkSmart Core",
            description=f"Teams Room, meeting room {room.replace('-', ' ').title()}.",
        )
        e.rel(name, "depends_on", "Microsoft Teams")
    kiosk = desktop(
        "kiosk-rtm-gate-01", "sw-rtm-dock-01", f"{RTM}, gate", description="Drivers check in here."
    )
    e.rel(kiosk, "depends_on", "Yard management application")


def _printer(e: Estate, name: str, model: str, location: str, switch: str, **fields: Any) -> str:
    colour = fields.pop("colour", False)
    e.ci(
        name,
        "printer",
        location=location,
        **DESK,
        **e.hardware("PRN", model),
        attributes={"colour": colour},
        **fields,
    )
    e.rel(name, "connected_to", switch)
    return name


def _printers(e: Estate) -> None:
    for site, floors in FLOOR_SWITCHES.items():
        for floor, switches in floors.items():
            name = f"prn-{SITE_CODES[site]}-{floor}f-01"
            if name.lower() in e.known:
                continue
            model = "HP Color LaserJet M751" if floor % 2 else "HP LaserJet M611"
            printer = _printer(
                e, name, model, f"{site}, floor {floor}", switches[0], colour=bool(floor % 2)
            )
            e.rel(printer, "depends_on", "prn-srv-man-01" if site == MAN else "prn-srv-01")
    for n in range(2, 2 + e.count(7)):
        label = _printer(
            e,
            f"prn-rtm-ship-{n:02d}",
            "Zebra ZT411 label printer",
            f"{RTM}, shipping",
            "sw-rtm-dock-01",
        )
        e.rel(label, "depends_on", "WMS application")  # labels come straight from the WMS
    for n in range(1, e.count(6) + 1):
        mobile = e.ci(
            f"prn-rtm-wh-{n:02d}",
            "printer",
            location=f"{RTM}, warehouse",
            **DESK,
            **e.hardware("PRN", "Zebra ZQ630 mobile printer"),
            attributes={"colour": False},
        )
        e.rel(mobile, "connected_to", WAREHOUSE_WIFI)
        e.rel(mobile, "depends_on", "WMS application")


def _status(e: Estate, in_repair: float, retired: float) -> str:
    draw = e.rng.random()
    return (
        "in_maintenance"
        if draw < in_repair
        else "retired"
        if draw < in_repair + retired
        else ("in_service")
    )


def _depot(e: Estate) -> None:
    """Scanners and forklift terminals on the warehouse Wi-Fi; CCTV on the access switches."""
    for prefix, model, count in (
        ("hs-rtm", "Zebra TC58 handheld scanner", 200),
        ("vmt-rtm", "Zebra VC8300 forklift terminal", 30),
    ):
        for n in range(1, e.count(count) + 1):
            device = e.ci(
                f"{prefix}-{n:03d}",
                "mobile_device",
                location=f"{RTM}, warehouse",
                status=_status(e, 0.03, 0.02),
                **DESK,
                **e.hardware("MOB", model),
                attributes={"os": "Android 13", "imei": _imei(e)},
            )
            e.rel(device, "connected_to", WAREHOUSE_WIFI)
    e.ci(
        "nvr-rtm-01",
        "server",
        location=f"{RTM}, IT closet",
        criticality=2,
        environment="production",
        support_group="Infrastructure",
        **e.hardware("SRV", "Milestone Husky X8"),
        attributes={"os": "Windows Server 2022", "cpu_count": 16, "ram_gb": 64},
    )
    e.rel("nvr-rtm-01", "depends_on", "rtm-r01")
    e.rel("nvr-rtm-01", "connected_to", "sw-rtm-core-01")
    e.ci(
        "Milestone XProtect",
        "application",
        criticality=2,
        environment="production",
        support_group="Infrastructure",
        attributes={"vendor": "Milestone", "version": "2024 R2", "hosting": "On premises"},
    )
    e.rel("Milestone XProtect", "runs_on", "nvr-rtm-01")
    e.ci(
        "Video surveillance",
        "business_service",
        users=10,
        users_group="Operations",
        criticality=2,
        owner="j.vandijk",
        environment="production",
        support_group="Infrastructure",
        description="Recorded CCTV of the depot's yard, docks and warehouse (30 days).",
        attributes={"service_hours": "24x7", "rto_hours": 4},
    )
    e.rel("Milestone XProtect", "provides", "Video surveillance")
    switches = [*WAREHOUSE_SWITCHES, "sw-rtm-dock-01", "sw-rtm-core-01"]
    for n in range(1, e.count(120) + 1):
        camera = e.ci(
            f"cam-rtm-{n:03d}",
            "camera",
            location=f"{RTM}, {e.pick(['warehouse', 'yard', 'loading docks', 'gate'])}",
            status=_status(e, 0.02, 0.0),
            **NETWORK,
            **e.hardware("CAM", e.pick(["Axis P3265-LVE", "Axis Q6135-LE PTZ"])),
            attributes={"firmware": "AXIS OS 11.9", "ports": 1},
        )
        e.rel(camera, "connected_to", switches[n % len(switches)])


def _fleet(e: Estate) -> None:
    """Telematics units of trucks, trailers and reefers, and the tablets in the cabs, all on the
    private cellular APN (which the fleet tracking application needs too)."""
    e.ci(
        APN,
        "network_device",
        criticality=1,
        **NETWORK,
        model="Orange Business private APN",
        description="Private mobile data network of the fleet's units and tablets.",
        attributes={"management_ip": "10.200.0.1"},
    )
    e.rel("Fleet tracking application", "depends_on", APN)
    for prefix, vehicle, kind, model, count in (
        ("trk", "KF-T", "Tractor unit", "Webfleet LINK 740", 300),
        ("trl", "KF-L", "Trailer", "ORBCOMM GT 1100", 520),
        ("rfr", "KF-R", "Reefer trailer", "Carrier Lynx Fleet", 120),
    ):
        for n in range(1, e.count(count) + 1):
            unit = e.ci(
                f"tu-{prefix}-{n:04d}",
                "telematics_unit",
                location="On the road",
                status=_status(e, 0.04, 0.03),
                **NETWORK,
                **e.hardware("TEL", model),
                attributes={"imei": _imei(e), "vehicle": f"{vehicle}{n:04d}", "vehicle_type": kind},
            )
            e.rel(unit, "connected_to", APN)
            if prefix == "trk":
                tablet = e.ci(
                    f"tab-trk-{n:04d}",
                    "mobile_device",
                    location="On the road",
                    status=_status(e, 0.02, 0.0),
                    **DESK,
                    **e.hardware("MOB", "Samsung Galaxy Tab Active5"),
                    attributes={"os": "Android 14", "imei": _imei(e)},
                    description=f"Driver's tablet in {vehicle}{n:04d}: orders, proof of delivery.",
                )
                e.rel(tablet, "connected_to", APN)

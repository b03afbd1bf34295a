"""The demo estate's data centres: power, racks, storage arrays, hypervisor hosts and their
clusters, and the backup platform.

Lyon's server room is the main data centre (the hand-written core already has its first
vSphere cluster, ``san-01``, the firewall and core switch); a colocation suite in Paris holds
the disaster-recovery cluster and the off-site backup copies; Rotterdam and Manchester have a
comms room each. Redundancy is declared where a real estate has it: the UPS pair, the SAN
fabric, clusters with a minimum of hosts up.
"""

from __future__ import annotations

from app.cmdb.demo_estate.builder import (
    DATA_CENTRE,
    LYON,
    MAN_CLOSET,
    PAR,
    RTM_CLOSET,
    SERVER_ROOM,
    Estate,
)

ESXI = "VMware ESXi 8.0 U2"

# Clusters the application section places VMs on.
APP_CLUSTER = "esx-cluster-lyon-app"
DB_CLUSTER = "esx-cluster-lyon-db"
DMZ_CLUSTER = "esx-cluster-lyon-dmz"
TEST_CLUSTER = "esx-cluster-lyon-test"
DR_CLUSTER = "esx-cluster-par"
MAN_CLUSTER = "esx-cluster-man"
BACKUP_APP = "Veeam Backup & Replication"
IN_MAINTENANCE = {"esx-lyon-44"}  # a failed DIMM is being replaced


def build_racks(e: Estate) -> None:
    """Power and racks, first: everything else stands in a rack."""
    _power_and_racks(e)


def build(e: Estate) -> None:
    """After the network: storage, hosts and clusters, backup."""
    _storage(e)
    _compute(e)
    _backup(e)


def _rack(e: Estate, name: str, location: str, power_kw: str = "6.5") -> str:
    return e.ci(
        name,
        "rack",
        location=location,
        **DATA_CENTRE,
        **e.hardware("RCK", "APC NetShelter SX 42U", years=(3, 8)),
        attributes={"u_height": 42, "power_kw": power_kw},
    )


def _power_and_racks(e: Estate) -> None:
    ups = [
        e.ci(
            f"ups-lyon-0{i}",
            "ups",
            location=SERVER_ROOM,
            criticality=1,
            **DATA_CENTRE,
            **e.hardware("UPS", "APC Smart-UPS SRT 10kVA"),
            attributes={"capacity_kva": "10", "battery_replaced": f"2025-0{i + 2}-14"},
        )
        for i in (1, 2)
    ]
    e.group(
        "ups-lyon",
        ups,
        min_up=1,
        location=SERVER_ROOM,
        **DATA_CENTRE,
        description="The server room's A and B power; either UPS carries the load alone.",
        attributes={"technology": "UPS pair"},
    )
    for i in range(1, 7):
        e.rel(_rack(e, f"lyon-sr-r0{i}", SERVER_ROOM), "depends_on", "ups-lyon")
    _rack(e, "par-r01", PAR, "8")
    _rack(e, "par-r02", PAR, "8")
    _rack(e, "rtm-r01", RTM_CLOSET, "4")
    _rack(e, "man-r01", MAN_CLOSET, "4")
    for name, rack in (
        ("core-sw-lyon-01", "lyon-sr-r01"),
        ("fw-lyon-01", "lyon-sr-r01"),
        ("vpn-gw-01", "lyon-sr-r01"),
        ("lb-lyon-01", "lyon-sr-r01"),
        ("esx-lyon-01", "lyon-sr-r02"),
        ("esx-lyon-02", "lyon-sr-r02"),
        ("esx-lyon-03", "lyon-sr-r02"),
        ("san-01", "lyon-sr-r02"),
        ("backup-01", "lyon-sr-r02"),
        ("esx-rtm-01", "rtm-r01"),
        ("esx-rtm-02", "rtm-r01"),
        ("nas-rtm-01", "rtm-r01"),
        ("wan-rtm-01", "rtm-r01"),
    ):
        e.rel(name, "depends_on", rack)


# name, model, location, rack, criticality, capacity (TB), protocol, lifecycle, description
ARRAYS = [
    ("san-lyon-02", "Pure Storage FlashArray//X50 R4", SERVER_ROOM, "lyon-sr-r06", 1, "183.5",
     "Fibre Channel", "in_service", "Application and database clusters' storage."),
    ("bkp-repo-lyon-01", "HPE StoreOnce 5260", SERVER_ROOM, "lyon-sr-r06", 2, "216", "NFS/SMB",
     "in_service", "Backup repository."),
    ("tl-lyon-01", "HPE StoreEver MSL3040", SERVER_ROOM, "lyon-sr-r06", 3, "720", "Tape",
     "in_maintenance", "Monthly tapes to the bank vault; a drive is being replaced."),
    ("vnx-lyon-01", "EMC VNX5200", SERVER_ROOM, "lyon-sr-r06", None, "40", "iSCSI", "retired",
     "Replaced by san-lyon-02 in 2024; awaiting disposal."),
    ("san-lyon-03", "Dell PowerStore 1200T", SERVER_ROOM, None, None, "150", "Fibre Channel",
     "planned", "Ordered to replace san-01 next spring."),
    ("san-par-01", "HPE Nimble HF20", PAR, "par-r02", 1, "64", "iSCSI", "in_service",
     "Disaster-recovery cluster's storage."),
    ("bkp-repo-par-01", "HPE StoreOnce 3620", PAR, "par-r02", 2, "96", "S3", "in_service",
     "Off-site copies of the Lyon backups."),
    ("nas-man-01", "Synology RS2423RP+", MAN_CLOSET, "man-r01", 2, "36", "NFS/SMB", "in_service",
     "Manchester cluster's storage."),
]  # fmt: skip


def _storage(e: Estate) -> None:
    for name, model, location, rack, criticality, tb, protocol, status, text in ARRAYS:
        hardware = e.hardware("STO", model) if rack else {"model": model}
        e.ci(
            name,
            "storage",
            location=location,
            criticality=criticality,
            status=status,
            description=text,
            **DATA_CENTRE,
            **hardware,
            attributes={"capacity_tb": tb, "protocol": protocol},
        )
        if rack:
            e.rel(name, "depends_on", rack)
    e.rel("san-lyon-02", "depends_on", "san-fabric-lyon")


def _cluster(
    e: Estate,
    name: str,
    hosts: list[tuple[str, str, str]],
    *,
    min_up: int,
    location: str,
    storage: list[str],
    model: str,
    size: tuple[int, int],
    environment: str = "production",
) -> None:
    """A vSphere cluster of ``(host, rack, network)``: each host needs its rack, its network
    (a switch or a switch pair) and the cluster's storage."""
    for host, rack, network in hosts:
        e.ci(
            host,
            "server",
            location=location,
            **{**DATA_CENTRE, "environment": environment},
            **e.hardware("SRV", model),
            status="in_maintenance" if host in IN_MAINTENANCE else "in_service",
            attributes={"os": ESXI, "cpu_count": size[0], "ram_gb": size[1]},
        )
        e.rel(host, "depends_on", rack)
        e.rel(host, "connected_to", network)
        for array in storage:
            e.rel(host, "depends_on", array)
    e.group(
        name,
        [h for h, _, _ in hosts],
        min_up=min_up,
        location=location,
        **{**DATA_CENTRE, "environment": environment},
        description=f"vSphere cluster; up while {min_up} of its {len(hosts)} hosts are up.",
        attributes={"technology": "VMware vSphere"},
    )


def _lyon_host(n: int) -> tuple[str, str, str]:
    rack = "lyon-sr-r03" if n < 15 else "lyon-sr-r04" if n < 23 else "lyon-sr-r05"
    return f"esx-lyon-{n}", rack, f"tor-lyon-{rack[-3:]}"


# Lyon's clusters: name, host numbers, hosts that must stay up, model, (CPUs, RAM), environment
LYON_CLUSTERS = [
    (APP_CLUSTER, range(11, 19), 6, "Dell PowerEdge R760", (64, 1024), "production"),
    (DB_CLUSTER, range(21, 25), 2, "Dell PowerEdge R760xs", (48, 1536), "production"),
    (DMZ_CLUSTER, range(31, 33), 1, "Dell PowerEdge R660", (32, 512), "production"),
    (TEST_CLUSTER, range(41, 45), 1, "Dell PowerEdge R650", (24, 512), "test"),
]


def _compute(e: Estate) -> None:
    for name, numbers, min_up, model, size, environment in LYON_CLUSTERS:
        _cluster(
            e,
            name,
            [_lyon_host(n) for n in numbers],
            min_up=min_up,
            location=SERVER_ROOM,
            storage=["san-lyon-02", "san-fabric-lyon"],
            model=model,
            size=size,
            environment=environment,
        )
    e.ci(
        "esx-lyon-19",
        "server",
        location=SERVER_ROOM,
        status="planned",
        **DATA_CENTRE,
        model="Dell PowerEdge R760",
        description="Ninth host of the application cluster, on order; adds no capacity yet.",
        attributes={"os": ESXI, "cpu_count": 64, "ram_gb": 1024},
    )
    e.rel("esx-lyon-19", "member_of", APP_CLUSTER)
    e.ci(
        "esx-lyon-04",
        "server",
        location=SERVER_ROOM,
        status="retired",
        **DATA_CENTRE,
        **e.hardware("SRV", "HPE ProLiant DL380 Gen9", years=(-4, -2)),
        description="Former fourth host of esx-cluster-lyon, retired in 2025.",
        attributes={"os": "VMware ESXi 7.0 U3", "cpu_count": 24, "ram_gb": 384},
    )
    e.rel("esx-lyon-04", "member_of", "esx-cluster-lyon")
    _cluster(
        e,
        DR_CLUSTER,
        [(f"esx-par-0{n}", f"par-r0{1 + n // 3}", "sw-par-core-01") for n in range(1, 5)],
        min_up=2,
        location=PAR,
        storage=["san-par-01"],
        model="HPE ProLiant DL380 Gen11",
        size=(48, 768),
    )
    _cluster(
        e,
        MAN_CLUSTER,
        [(f"esx-man-0{n}", "man-r01", "sw-man-core-01") for n in (1, 2)],
        min_up=1,
        location=MAN_CLOSET,
        storage=["nas-man-01"],
        model="Dell PowerEdge R650xs",
        size=(16, 256),
    )


def _backup(e: Estate) -> None:
    """Backup as a real estate has it: the backup server needs its repository; each job needs
    the backup platform *and* what it copies, so a source failing fails its job, while a backup
    failure reaches the backup service and its jobs, never the systems being backed up."""
    e.rel("backup-01", "connected_to", "core-sw-lyon-01")
    e.rel("backup-01", "depends_on", "bkp-repo-lyon-01")
    proxies = [
        e.vm(f"veeam-proxy-0{n}", APP_CLUSTER, "Windows Server 2022", 8, 32, location=LYON)
        for n in (1, 2)
    ]
    e.ci(
        BACKUP_APP,
        "application",
        criticality=2,
        **DATA_CENTRE,
        attributes={"vendor": "Veeam", "version": "12.1", "hosting": "On premises"},
    )
    e.rel(BACKUP_APP, "runs_on", "backup-01")
    e.group(
        "veeam-proxies",
        proxies,
        min_up=1,
        location=LYON,
        **DATA_CENTRE,
        attributes={"technology": "Load-balanced farm"},
    )
    e.rel(BACKUP_APP, "depends_on", "veeam-proxies")
    e.ci(
        "Backup and restore",
        "business_service",
        users=13,
        users_group="IT staff",
        criticality=2,
        owner="d.kowalski",
        **DATA_CENTRE,
        description="Nightly backups of servers and shares, restores on request, off-site copies.",
        attributes={"service_hours": "Business hours", "rto_hours": 24},
    )
    e.rel(BACKUP_APP, "provides", "Backup and restore")
    for job, source, text in (
        ("file shares", "file-srv-01", "Nightly, kept 30 days."),
        ("ERP database", "erp-db-01", "Full nightly, log every 15 minutes."),
        ("Lyon VMs", "esx-cluster-lyon", "Image backup of every VM, nightly."),
        ("application VMs", APP_CLUSTER, "Image backup of every VM, nightly."),
        ("database VMs", DB_CLUSTER, "Image backup, nightly; databases also log-shipped."),
        ("off-site copy", "bkp-repo-par-01", "Copies last night's backups to Paris."),
        ("monthly tapes", "tl-lyon-01", "Monthly archive to tape for the bank vault."),
    ):
        name = e.ci(
            f"Backup job: {job}",
            "application",
            criticality=3,
            **DATA_CENTRE,
            description=text,
            attributes={"vendor": "Veeam", "hosting": "On premises"},
        )
        e.rel(name, "depends_on", BACKUP_APP)
        e.rel(name, "depends_on", source)

"""The demo estate's business services and what provides them: applications in load-balanced
farms, databases on a SQL Server availability group or a PostgreSQL cluster, microservices on
Kubernetes, SaaS reached through the firewall, infrastructure VMs, test copies and licensed
software.

Every dependency here is a hard one (the thing stops working without it): reporting loads,
notifications and other soft links are left out, as a careful CMDB owner would, so an impact
answer never cries wolf.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.cmdb.demo_estate.builder import APPS, DATA_CENTRE, LYON, MAN, PAR, Estate
from app.cmdb.demo_estate.catalogue import INSTALLS_ON, SOFTWARE
from app.cmdb.demo_estate.datacentre import (
    APP_CLUSTER,
    DB_CLUSTER,
    DMZ_CLUSTER,
    DR_CLUSTER,
    MAN_CLUSTER,
    TEST_CLUSTER,
)
from app.cmdb.demo_estate.network import LB_PAIR

SSO = "Directory and SSO"
INTERNET = "fw-lyon-01"
SQL_AG = "sql-ag-lyon-01"
PG = "pg-lyon-01"
K8S = "k8s-lyon-prod"
INGRESS = "ingress-nginx"


@dataclass(frozen=True)
class Service:
    name: str
    users: int
    criticality: int
    owner: str
    hours: str
    rto: int
    description: str
    group: str = "Applications"
    users_group: str | None = None  # a group of the demo organisation whose members use it


@dataclass(frozen=True)
class Stack:
    """An application, the service it provides, and how it is built."""

    app: str
    service: Service
    vendor: str
    version: str
    prefix: str = ""  # VM and database names; empty for SaaS
    web: int = 0  # web VMs in a farm behind the load balancer pair
    app_servers: int = 0
    cluster: str = APP_CLUSTER
    database: str = ""  # "SQL Server" (on the availability group) or "PostgreSQL"
    databases: int = 1
    containers: tuple[str, ...] = ()  # Kubernetes deployments
    needs: tuple[str, ...] = (SSO,)
    test_copy: bool = True


# fmt: off
STACKS = [
    Stack("TMS application", Service(
        "Transport management", 10, 1, "j.vandijk", "24x7", 4,
        "Transport orders to trucks: planning, dispatch, proof of delivery.",
        users_group="Operations",
    ), "Alpega", "24.2", "tms", web=4, app_servers=3, database="SQL Server"),
    Stack("Route optimiser", Service(
        "Route planning", 6, 2, "t.achebe", "Extended hours", 8,
        "Daily and live re-planning of delivery rounds.", users_group="Operations",
    ), "Kestrel Freight", "3.8", "route",
        containers=("route-optimizer", "geocoder", "traffic-feed", "matrix-service"),
        needs=("tms-db-01", "HERE Location Services"), test_copy=False),
    Stack("Yard management application", Service(
        "Yard management", 8, 2, "p.jansen", "24x7", 8,
        "Trailer moves, dock door booking and gate check-in at the depot.",
        users_group="Operations",
    ), "Kaleris", "9.1", "yms", app_servers=2, database="PostgreSQL"),
    Stack("EDI gateway", Service(
        "Partner EDI", 10, 1, "i.santos", "24x7", 4,
        "Orders, status messages and invoices exchanged with shippers over AS2 and SFTP.",
        users_group="Operations",
    ), "Seeburger", "6.8", "edi", app_servers=2, cluster=DMZ_CLUSTER,
        needs=("tms-db-01", INTERNET), test_copy=False),
    Stack("Track & trace portal", Service(
        "Customer track & trace", 6, 2, "s.whitfield", "24x7", 8,
        "Customers follow their consignments; customer service answers from it.",
        users_group="Sales",
    ), "Kestrel Freight", "2.14", "tnt",
        containers=("tnt-web", "tnt-api", "eta-service", "pod-service", "notify-service"),
        needs=("tms-db-01", "Fleet tracking application", LB_PAIR)),
    Stack("Payroll (SaaS)", Service(
        "Payroll", 4, 1, "h.varga", "Business hours", 24, "Monthly payroll for every country.",
        users_group="Human Resources",
    ), "ADP", "Celergo", needs=(SSO, INTERNET), test_copy=False),
    Stack("HR portal", Service(
        "HR self-service", 50, 3, "h.varga", "Business hours", 48,
        "Leave, payslips and personal details for every employee.", users_group="All staff",
    ), "Kestrel Freight", "5.2", "hr", web=2, app_servers=1, database="PostgreSQL"),
    Stack("BI platform", Service(
        "Reporting and BI", 29, 3, "m.okafor", "Business hours", 48,
        "Management and operations dashboards from the data warehouse.",
        users_group="ERP users",
    ), "Microsoft", "Power BI Report Server 2024", "bi", app_servers=2,
        database="SQL Server", databases=2),
    Stack("M-Files", Service(
        "Document management", 50, 3, "a.benali", "Business hours", 24,
        "Contracts, delivery notes and HR files with retention rules.",
        users_group="All staff",
    ), "M-Files", "24.5", "dms", app_servers=2, database="SQL Server"),
    Stack("Microsoft Teams", Service(
        "Video meetings", 50, 2, "owner", "Extended hours", 8,
        "Meetings, calls and chat.", "Infrastructure", "All staff",
    ), "Microsoft", "SaaS", needs=(SSO, INTERNET), test_copy=False),
    Stack("Deskgraph", Service(
        "Service desk", 50, 2, "k.nakamura", "Business hours", 8,
        "This desk: incidents, requests and the CMDB.", "Service Desk", "All staff",
    ), "Deskgraph", "1.0", "desk", web=2, app_servers=1, database="PostgreSQL"),
    Stack("Expense management (SaaS)", Service(
        "Expenses", 50, 4, "t.bergstrom", "Business hours", 72,
        "Expense claims and approvals.", users_group="All staff",
    ), "SAP Concur", "SaaS", needs=(SSO, INTERNET), test_copy=False),
    Stack("Corporate website", Service(
        "Website", 3, 3, "l.marchetti", "24x7", 24, "kestrel-freight.example, edited by marketing.",
        users_group="Marketing",
    ), "WordPress VIP", "SaaS", needs=(), test_copy=False),
    Stack("Zabbix", Service(
        "Monitoring", 13, 2, "d.kowalski", "24x7", 8,
        "Alerts on servers, network and applications for IT.", "Infrastructure", "IT staff",
    ), "Zabbix", "7.0 LTS", "mon", app_servers=2, database="PostgreSQL",
        test_copy=False),
    Stack("Remote Desktop Services", Service(
        "Remote apps", 21, 2, "owner", "Extended hours", 8,
        "Published desktop applications for the depot, Manchester and remote workers.",
        "Infrastructure", "Remote access users",
    ), "Microsoft", "Windows Server 2022", "rds", app_servers=6, test_copy=False),
]
# fmt: on

INFRASTRUCTURE_VMS = [
    ("vcenter-01", "VMware vCenter 8 appliance", "Photon OS 4", 4, 19),
    ("jump-01", "Administrators' jump host", "Windows Server 2022", 4, 16),
    ("ansible-01", "Configuration management", "Rocky Linux 9", 2, 8),
    ("wsus-01", "Windows updates", "Windows Server 2022", 4, 16),
    ("pki-01", "Issuing certificate authority", "Windows Server 2022", 2, 8),
    ("radius-01", "Wi-Fi and VPN RADIUS (NPS)", "Windows Server 2022", 2, 8),
    ("log-01", "Central logs (Graylog)", "Rocky Linux 9", 8, 32),
    ("git-01", "Source code (Gitea)", "Debian 12", 4, 8),
    ("ci-runner-01", "Build runner", "Debian 12", 8, 16),
    ("ci-runner-02", "Build runner", "Debian 12", 8, 16),
    ("kms-01", "Windows activation", "Windows Server 2022", 2, 4),
    ("av-mgmt-01", "Endpoint protection console", "Windows Server 2022", 4, 16),
    ("proxy-01", "Outbound web proxy", "Debian 12", 2, 4),
    ("ipam-01", "IP address management", "Debian 12", 2, 4),
]

SITE_VMS = [
    ("dc-man-01", MAN_CLUSTER, MAN, "Domain controller of the Manchester site."),
    ("prn-srv-man-01", MAN_CLUSTER, MAN, "Print server of the Manchester office."),
    ("dc-par-01", DR_CLUSTER, PAR, "Domain controller in the recovery site."),
    ("veeam-proxy-par-01", DR_CLUSTER, PAR, "Backup proxy for restores in Paris."),
    ("jump-par-01", DR_CLUSTER, PAR, "Administrators' jump host in the recovery site."),
]


def build(e: Estate) -> None:
    _platforms(e)
    e.ci(
        "HERE Location Services",
        "application",
        criticality=2,
        **APPS,
        description="Maps, geocoding and traffic, reached over the internet.",
        attributes={"vendor": "HERE", "version": "v8", "hosting": "SaaS"},
    )
    e.rel("HERE Location Services", "depends_on", INTERNET)
    for stack in STACKS:
        _stack(e, stack)
    for name, text, os, cpu, ram in INFRASTRUCTURE_VMS:
        e.vm(name, APP_CLUSTER, os, cpu, ram, location=LYON, description=text)
    for name, cluster, location, text in SITE_VMS:
        e.vm(name, cluster, "Windows Server 2022", 2, 8, location=location, description=text)
    e.group(
        "ad-domain-controllers",
        ["dc-lyon-01", "dc-man-01", "dc-par-01"],
        min_up=1,
        location=LYON,
        **DATA_CENTRE,
        attributes={"technology": "Active Directory"},
        description="Domain controllers of kestrel.local; sign-in works while one answers.",
    )
    e.rel(SSO, "depends_on", "ad-domain-controllers")
    _sandboxes(e)
    for stack in STACKS:
        if stack.prefix and stack.test_copy:
            _test_copy(e, stack)
    for name, vendor, version, licences, end, status in SOFTWARE:
        e.ci(
            name,
            "software",
            status=status,
            environment="production",
            support_group="Service Desk" if licences >= 100 else "Infrastructure",
            attributes={
                "vendor": vendor,
                "version": version,
                "licences": licences,
                "licence_end": end,
                "installs_on": INSTALLS_ON[name],
            },
        )


def _platforms(e: Estate) -> None:
    """The shared database platforms and the Kubernetes cluster."""
    replicas = [
        e.vm("sql-lyon-01", DB_CLUSTER, "Windows Server 2022", 16, 128, location=LYON),
        e.vm("sql-lyon-02", DB_CLUSTER, "Windows Server 2022", 16, 128, location=LYON),
        e.vm("sql-par-01", DR_CLUSTER, "Windows Server 2022", 16, 128, location=PAR),
    ]
    e.group(
        SQL_AG,
        replicas,
        min_up=1,
        location=LYON,
        **DATA_CENTRE,
        description="Always On availability group: two replicas in Lyon, one in Paris.",
        attributes={"technology": "SQL Server Always On"},
    )
    nodes = [e.vm(f"pg-lyon-01{x}", DB_CLUSTER, "Debian 12", 8, 64, location=LYON) for x in "abc"]
    e.group(
        PG,
        nodes,
        min_up=2,
        location=LYON,
        **DATA_CENTRE,
        description="Patroni cluster of three; a primary needs a quorum of two.",
        attributes={"technology": "PostgreSQL (Patroni)"},
    )
    control = [
        e.vm(f"k8s-lyon-cp0{n}", APP_CLUSTER, "Ubuntu 22.04", 4, 16, location=LYON)
        for n in (1, 2, 3)
    ]
    e.group(
        f"{K8S}-control-plane",
        control,
        min_up=2,
        location=LYON,
        **DATA_CENTRE,
        attributes={"technology": "Kubernetes"},
    )
    workers = [
        e.vm(f"k8s-lyon-w0{n}", APP_CLUSTER, "Ubuntu 22.04", 16, 64, location=LYON)
        for n in range(1, 7)
    ]
    e.group(
        K8S,
        workers,
        min_up=4,
        location=LYON,
        **DATA_CENTRE,
        description="Production Kubernetes; workloads fit on four of the six workers.",
        attributes={"technology": "Kubernetes"},
    )
    e.rel(K8S, "depends_on", f"{K8S}-control-plane")
    e.ci(
        INGRESS,
        "container",
        criticality=1,
        **DATA_CENTRE,
        description="Routes every web request into the cluster.",
        attributes={"image": "registry.k8s.io/ingress-nginx/controller:v1.11.2", "replicas": 3},
    )
    e.rel(INGRESS, "runs_on", K8S)


def _farm(e: Estate, stack: Stack, role: str, count: int, os: str) -> str:
    """``count`` VMs of one role; more than one make a farm that survives one VM down."""
    vms = [
        e.vm(f"{stack.prefix}-{role}-{n:02d}", stack.cluster, os, 4, 16, location=LYON)
        for n in range(1, count + 1)
    ]
    if count == 1:
        return vms[0]
    return e.group(
        f"{stack.prefix}-{role}-farm",
        vms,
        min_up=count - 1,
        location=LYON,
        **APPS,
        attributes={"technology": "Load-balanced farm"},
    )


def _stack(e: Estate, stack: Stack) -> None:
    s = stack.service
    e.ci(
        s.name,
        "business_service",
        users=s.users,
        criticality=s.criticality,
        owner=s.owner,
        environment="production",
        support_group=s.group,
        description=s.description,
        attributes={"service_hours": s.hours, "rto_hours": s.rto},
        users_group=s.users_group,
    )
    hosting = "Kubernetes" if stack.containers else "On premises" if stack.prefix else "SaaS"
    e.ci(
        stack.app,
        "application",
        criticality=s.criticality,
        environment="production",
        support_group=s.group,
        attributes={"vendor": stack.vendor, "version": stack.version, "hosting": hosting},
    )
    e.rel(stack.app, "provides", s.name)
    if stack.web:
        farm = _farm(e, stack, "web", stack.web, "Ubuntu 22.04")
        e.rel(farm, "depends_on", LB_PAIR)
        e.rel(stack.app, "runs_on", farm)
    if stack.app_servers:
        e.rel(
            stack.app, "runs_on", _farm(e, stack, "app", stack.app_servers, "Windows Server 2022")
        )
    for name in stack.containers:
        e.ci(
            name,
            "container",
            criticality=s.criticality,
            **APPS,
            attributes={
                "image": f"registry.kestrel.example/{stack.prefix}/{name}:{stack.version}",
                "replicas": e.rng.choice([2, 3, 4]),
            },
        )
        e.rel(name, "runs_on", K8S)
        e.rel(stack.app, "depends_on", name)
    if stack.containers:
        e.rel(stack.app, "depends_on", INGRESS)
    for n in range(1, stack.databases + 1) if stack.database else ():
        database = e.ci(
            f"{stack.prefix}-db-{n:02d}",
            "database",
            location=LYON,
            criticality=s.criticality,
            **APPS,
            attributes={
                "engine": stack.database,
                "backup_enabled": True,
                "version": "2022" if stack.database == "SQL Server" else "16",
                "size_gb": f"{e.rng.randint(20, 900)}.{e.rng.randint(0, 9)}",
            },
        )
        e.rel(database, "runs_on", SQL_AG if stack.database == "SQL Server" else PG)
        e.rel(stack.app, "depends_on", database)
    for needed in stack.needs:
        e.rel(stack.app, "depends_on", needed)


def _test_copy(e: Estate, stack: Stack) -> None:
    """A test (and, at full size, a staging) copy: one VM each, no business service."""
    for env, code in (("test", "tst"), ("staging", "stg"))[: 2 if e.scale >= 0.5 else 1]:
        vm = e.vm(
            f"{stack.prefix}-{code}-01",
            TEST_CLUSTER,
            "Ubuntu 22.04",
            4,
            16,
            location=LYON,
            environment=env,
            support_group="Applications",
        )
        app = e.ci(
            f"{stack.app} ({env})",
            "application",
            environment=env,
            support_group="Applications",
            criticality=4,
            attributes={"vendor": stack.vendor, "version": stack.version},
        )
        e.rel(app, "runs_on", vm)


def _sandboxes(e: Estate) -> None:
    """Developers' short-lived VMs: some switched off for good, a few requested."""
    developers = ["n.haddad", "e.fontaine", "g.rossi", "admin", "b.mensah"]
    for n in range(1, e.count(40) + 1):
        draw = e.rng.random()
        e.vm(
            f"dev-sbx-{n:03d}",
            TEST_CLUSTER,
            e.pick(["Ubuntu 24.04", "Debian 12", "Windows Server 2022"]),
            e.pick([2, 4, 8]),
            e.pick([4, 8, 16]),
            location=LYON,
            environment="development",
            support_group="Applications",
            owner=e.pick(developers),
            status="retired" if draw < 0.15 else "planned" if draw < 0.2 else "in_service",
        )

"""The classes and typed attributes the demo estate adds to the built-in ones (and to those of
``demo/cmdb.json``): one attribute of each type at least, so filters have something to find."""

from __future__ import annotations

CLASSES = [
    {"name": "rack", "label": "Rack", "parent": None, "hardware": True},
    {"name": "ups", "label": "UPS", "parent": None, "hardware": True},
    {"name": "phone", "label": "Desk phone", "parent": None, "hardware": True},
    {"name": "mobile_device", "label": "Mobile device", "parent": None, "hardware": True},
    {"name": "telematics_unit", "label": "Telematics unit", "parent": None, "hardware": True},
    {"name": "camera", "label": "CCTV camera", "parent": "network_device", "hardware": True},
]

CLUSTER_TECHNOLOGIES = [
    "VMware vSphere",
    "SQL Server Always On",
    "PostgreSQL (Patroni)",
    "Kubernetes",
    "Load-balanced farm",
    "Firewall HA pair",
    "Load balancer pair",
    "Switch pair",
    "SAN fabric",
    "Wi-Fi",
    "UPS pair",
    "Active Directory",
]


def _attribute(class_name: str, name: str, label: str, type_: str, **extra: object) -> dict:
    return {"class": class_name, "name": name, "label": label, "type": type_, **extra}


ATTRIBUTES = [
    _attribute(
        "business_service",
        "service_hours",
        "Service hours",
        "choice",
        choices=["24x7", "Business hours", "Extended hours"],
    ),
    _attribute("business_service", "rto_hours", "Recovery time objective (hours)", "integer"),
    _attribute("application", "vendor", "Vendor", "string"),
    _attribute("application", "version", "Version", "string"),
    _attribute(
        "application", "hosting", "Hosting", "choice", choices=["On premises", "SaaS", "Kubernetes"]
    ),
    _attribute("database", "version", "Version", "string"),
    _attribute("database", "size_gb", "Size (GB)", "decimal"),
    _attribute("cluster", "technology", "Technology", "choice", choices=CLUSTER_TECHNOLOGIES),
    _attribute("container", "image", "Image", "string"),
    _attribute("container", "replicas", "Replicas", "integer"),
    _attribute("network_device", "management_ip", "Management IP", "string"),
    _attribute(
        "storage",
        "protocol",
        "Protocol",
        "choice",
        choices=["Fibre Channel", "iSCSI", "NFS/SMB", "Tape", "S3"],
    ),
    _attribute("rack", "u_height", "Height (U)", "integer"),
    _attribute("rack", "power_kw", "Power budget (kW)", "decimal"),
    _attribute("ups", "capacity_kva", "Capacity (kVA)", "decimal"),
    _attribute("ups", "battery_replaced", "Battery replaced", "date"),
    _attribute("software", "vendor", "Vendor", "string"),
    _attribute("software", "version", "Version", "string"),
    _attribute("software", "licences", "Licences", "integer"),
    _attribute("software", "licence_end", "Licence end", "date"),
    _attribute("printer", "colour", "Colour", "boolean"),
    _attribute("phone", "extension", "Extension", "string"),
    _attribute("mobile_device", "os", "Operating system", "string"),
    _attribute("mobile_device", "imei", "IMEI", "string"),
    _attribute("telematics_unit", "imei", "IMEI", "string"),
    _attribute("telematics_unit", "vehicle", "Vehicle", "string"),
    _attribute(
        "telematics_unit",
        "vehicle_type",
        "Vehicle type",
        "choice",
        choices=["Tractor unit", "Trailer", "Reefer trailer", "Van"],
    ),
]

# Licensed software: name, vendor, version, licences, licence end, lifecycle status.
SOFTWARE = [
    ("VMware vSphere Enterprise Plus", "Broadcom", "8.0", 40, "2027-06-30", "in_service"),
    ("Windows Server 2022 Datacenter", "Microsoft", "21H2", 44, "2028-12-31", "in_service"),
    ("Microsoft SQL Server 2022 Standard", "Microsoft", "16.0", 24, "2027-12-31", "in_service"),
    ("Red Hat Enterprise Linux", "Red Hat", "9.4", 20, "2027-03-31", "in_service"),
    ("Veeam Data Platform Advanced", "Veeam", "12.1", 80, "2027-01-31", "in_service"),
    ("Windows 11 Enterprise", "Microsoft", "23H2", 160, "2027-06-30", "in_service"),
    ("Windows 11 Enterprise 24H2", "Microsoft", "24H2", 160, "2028-06-30", "planned"),
    ("Microsoft Office 2016", "Microsoft", "16.0", 50, "2025-10-14", "retired"),
    ("Adobe Acrobat Pro", "Adobe", "2024", 15, "2027-02-28", "in_service"),
    ("Zebra StageNow", "Zebra", "5.12", 250, "2027-09-30", "in_service"),
    ("Cisco Unified CM licences", "Cisco", "14", 120, "2026-12-31", "in_service"),
    ("FortiGate UTP bundle", "Fortinet", "7.4", 4, "2027-01-31", "in_service"),
    ("Aruba Central", "HPE Aruba", "2.5", 140, "2027-04-30", "in_service"),
    ("Microsoft Intune", "Microsoft", "SaaS", 160, "2027-06-30", "in_service"),
    ("Sophos Intercept X", "Sophos", "2024.2", 160, "2026-11-30", "in_service"),
    ("AutoCAD LT", "Autodesk", "2025", 2, "2026-09-30", "in_service"),
]
# What each licence installs on (the software attribute ``installs_on`` of demo/cmdb.json): the
# demo catalog offers employees the software for workstations, never the datacentre licences.
INSTALLS_ON = {
    name: place
    for place, names in {
        "Servers": (
            "VMware vSphere Enterprise Plus",
            "Windows Server 2022 Datacenter",
            "Microsoft SQL Server 2022 Standard",
            "Red Hat Enterprise Linux",
            "Veeam Data Platform Advanced",
            "Cisco Unified CM licences",
        ),
        "Workstations": (
            "Windows 11 Enterprise",
            "Windows 11 Enterprise 24H2",
            "Microsoft Office 2016",
            "Adobe Acrobat Pro",
            "Sophos Intercept X",
            "AutoCAD LT",
        ),
        "Mobile devices": ("Zebra StageNow",),
        "Network devices": ("FortiGate UTP bundle",),
        "Cloud service": ("Aruba Central", "Microsoft Intune"),
    }.items()
    for name in names
}

"""iTop's data model onto this CMDB: which classes become which CI classes, which links and
external keys become which relation types, and what is not carried and why.

Pure tables (no Flask, no database), read by :mod:`app.imports.itop.reader` and shown in
``docs/imports/itop.md``. Relation types are those of :mod:`app.cmdb.graph.vocabulary`, chosen
so that a failure travels the way it does in iTop's impact analysis: a VM runs on its host (a
farm or a hypervisor), a hypervisor is a member of its farm (weighed by the farm's redundancy),
an application solution depends on the CIs it is made of, a service is provided by its CIs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from app.i18n import N_
from app.i18n.stored import stored
from app.imports.estates.model import EstateClass

SYSTEM = "itop"


@dataclass(frozen=True)
class CIClassMap:
    """An iTop class carried as CIs of ``ci_class`` (created under ``parent`` when missing)."""

    ci_class: str
    label: str
    parent: str | None = None
    hardware: bool = False


_CLASSES: dict[str, CIClassMap] = {
    # physical devices (hardware classes: serial number, asset number, model, warranty)
    "Server": CIClassMap("server", "Server", hardware=True),
    "NetworkDevice": CIClassMap("network_device", "Network device", hardware=True),
    "Rack": CIClassMap("rack", "Rack", hardware=True),
    "Enclosure": CIClassMap("enclosure", "Enclosure", hardware=True),
    "PowerSource": CIClassMap("power_source", "Power source", hardware=True),
    "PDU": CIClassMap("pdu", "PDU", hardware=True),
    "StorageSystem": CIClassMap("storage_system", "Storage system", "storage", True),
    "NAS": CIClassMap("nas", "NAS", "storage", True),
    "TapeLibrary": CIClassMap("tape_library", "Tape library", "storage", True),
    "SANSwitch": CIClassMap("san_switch", "SAN switch", "network_device", True),
    "PC": CIClassMap("pc", "PC", "workstation", True),
    "Printer": CIClassMap("printer", "Printer", hardware=True),
    # virtualisation
    "VirtualMachine": CIClassMap("virtual_machine", "Virtual machine", "server"),
    "Hypervisor": CIClassMap("hypervisor", "Hypervisor", "server"),
    "Farm": CIClassMap("farm", "Farm", "cluster"),
    # software instances and applications
    "DBServer": CIClassMap("db_server", "Database server", "database"),
    "DatabaseSchema": CIClassMap("database_schema", "Database schema", "database"),
    "WebServer": CIClassMap("web_server", "Web server", "software"),
    "Middleware": CIClassMap("middleware", "Middleware", "software"),
    "MiddlewareInstance": CIClassMap("middleware_instance", "Middleware instance", "software"),
    "PCSoftware": CIClassMap("pc_software", "PC software", "software"),
    "OtherSoftware": CIClassMap("other_software", "Other software", "software"),
    "WebApplication": CIClassMap("web_application", "Web application", "application"),
    "ApplicationSolution": CIClassMap(
        "application_solution", "Application solution", "application"
    ),
    # what the business sees
    "BusinessProcess": CIClassMap("business_process", "Business process", "business_service"),
    "Service": CIClassMap("business_service", "Business service"),
}
CI_CLASSES: Mapping[str, CIClassMap] = MappingProxyType(_CLASSES)
"""iTop class -> the CI class its objects become."""

BUILTIN = frozenset(
    {"server", "network_device", "virtual_machine", "business_service"}
)  # classes this CMDB ships: matched by name, never created


def estate_classes() -> list[EstateClass]:
    """The CI classes an iTop estate needs, parents first (the sync creates the missing ones)."""
    seen: dict[str, EstateClass] = {}
    for m in CI_CLASSES.values():
        if m.ci_class not in seen:
            seen[m.ci_class] = EstateClass(m.ci_class, m.label, m.parent, m.hardware)
    return sorted(seen.values(), key=lambda c: (c.parent is not None, c.name))


FUNCTIONAL_CI = "FunctionalCI"  # any CI class (iTop's root class of configuration items)


@dataclass(frozen=True)
class KeyRelation:
    """An external key of a CI that is a relation: ``this <type> target`` (or the reverse)."""

    column: str
    type: str
    targets: tuple[str, ...]  # iTop classes the key may name; (FUNCTIONAL_CI,) for any CI
    reverse: bool = False  # True: ``target <type> this``


_SOFTWARE_INSTANCE = (KeyRelation("system_id", "runs_on", (FUNCTIONAL_CI,)),)
_IN_RACK = (
    KeyRelation("rack_id", "depends_on", ("Rack",)),
    KeyRelation("enclosure_id", "depends_on", ("Enclosure",)),
)
KEY_RELATIONS: Mapping[str, tuple[KeyRelation, ...]] = MappingProxyType(
    {
        "VirtualMachine": (KeyRelation("virtualhost_id", "runs_on", ("Farm", "Hypervisor")),),
        "Hypervisor": (
            KeyRelation("farm_id", "member_of", ("Farm",)),
            KeyRelation("server_id", "runs_on", ("Server",)),
        ),
        "DBServer": _SOFTWARE_INSTANCE,
        "WebServer": _SOFTWARE_INSTANCE,
        "Middleware": _SOFTWARE_INSTANCE,
        "PCSoftware": _SOFTWARE_INSTANCE,
        "OtherSoftware": _SOFTWARE_INSTANCE,
        "MiddlewareInstance": (KeyRelation("middleware_id", "runs_on", ("Middleware",)),),
        "DatabaseSchema": (KeyRelation("dbserver_id", "runs_on", ("DBServer",)),),
        "WebApplication": (KeyRelation("webserver_id", "runs_on", ("WebServer",)),),
        "Server": _IN_RACK,
        "NetworkDevice": _IN_RACK,
        "StorageSystem": _IN_RACK,
        "NAS": _IN_RACK,
        "TapeLibrary": _IN_RACK,
        "SANSwitch": _IN_RACK,
        "Enclosure": (KeyRelation("rack_id", "depends_on", ("Rack",)),),
        "PDU": (
            KeyRelation("rack_id", "depends_on", ("Rack",)),
            KeyRelation("powerstart_id", "depends_on", ("PowerSource",)),
        ),
    }
)
"""iTop class -> its external keys carried as relations."""

POWER_FEEDS = ("powerA_id", "powerB_id")
"""A device's power feeds (PDU or power source): one feed is ``depends_on``; two feeds are a
redundancy this CMDB cannot state for a pair of feeds, so neither is carried (a notice says
so) rather than claim that losing either feed stops the device."""
POWER_TARGETS = ("PowerSource", "PDU")


@dataclass(frozen=True)
class LinkMap:
    """A link class carried as one relation ``source <type> target`` per link object."""

    source: str  # the column naming the relation's source
    type: str
    target: str
    source_classes: tuple[str, ...]
    target_classes: tuple[str, ...]
    ports: tuple[str, ...] = ()  # columns that tell parallel links apart (kept, not collapsed)


LINKS: Mapping[str, LinkMap] = MappingProxyType(
    {
        # an application solution is made of its CIs: any of them down -> the solution hit
        "lnkApplicationSolutionToFunctionalCI": LinkMap(
            "applicationsolution_id",
            "depends_on",
            "functionalci_id",
            ("ApplicationSolution",),
            (FUNCTIONAL_CI,),
        ),
        # a solution supports a business process: solution down -> process hit
        "lnkApplicationSolutionToBusinessProcess": LinkMap(
            "applicationsolution_id",
            "provides",
            "businessprocess_id",
            ("ApplicationSolution",),
            ("BusinessProcess",),
        ),
        # the CIs a service is delivered by: CI down -> service hit
        "lnkFunctionalCIToService": LinkMap(
            "functionalci_id", "provides", "service_id", (FUNCTIONAL_CI,), ("Service",)
        ),
        # a device plugged into a network device (its uplink); "downlink" reverses it
        "lnkConnectableCIToNetworkDevice": LinkMap(
            "connectableci_id",
            "connected_to",
            "networkdevice_id",
            (FUNCTIONAL_CI,),
            ("NetworkDevice",),
            ports=("network_port", "device_port"),
        ),
        # a device attached to a SAN switch
        "lnkDatacenterDeviceToSan": LinkMap(
            "datacenterdevice_id",
            "connected_to",
            "san_id",
            (FUNCTIONAL_CI,),
            ("SANSwitch",),
            ports=("san_port", "datacenterdevice_port"),
        ),
    }
)
"""iTop link class -> the relation each of its objects becomes."""

FOLDED: Mapping[str, str] = MappingProxyType(
    {
        "Location": "location",
        "Model": "model",
        "Brand": "model",
        "NetworkDeviceType": "device_type",
        "Software": "software",
    }
)
"""Typology classes whose objects are carried as a field or attribute of the CIs naming them."""

ATTRIBUTES: Mapping[str, str] = MappingProxyType(
    {
        "managementip": "management_ip",
        "url": "url",
        "path": "install_path",
    }
)
"""iTop column -> CI attribute (text) carried as is."""

_LINK_PEOPLE = N_("who to contact about a CI is set by its owner and support group in Deskgraph")
NOT_CARRIED: Mapping[str, str] = MappingProxyType(
    {
        "Organization": N_(
            "organisations are not CIs (an organisation's name tells colliding CI names apart)"
        ),
        "Person": N_(
            "people are not created by the estate import; iTop persons map onto Deskgraph "
            "people (first name, name, e-mail): bring them with the people import"
        ),
        "Team": N_(
            "teams are not created by the estate import; iTop teams map onto Deskgraph groups"
        ),
        "lnkPersonToTeam": N_("team memberships map onto group memberships; not created here"),
        "ContactType": N_("a typology of contacts; Deskgraph has no counterpart"),
        "lnkContactToFunctionalCI": _LINK_PEOPLE,
        "lnkContactToService": _LINK_PEOPLE,
        "CustomerContract": N_("contracts are not carried: Deskgraph keeps no contracts"),
        "ProviderContract": N_("contracts are not carried: Deskgraph keeps no contracts"),
        "lnkCustomerContractToService": N_(
            "contracts are not carried: Deskgraph keeps no contracts"
        ),
        "lnkCustomerContractToProviderContract": N_("contracts are not carried"),
        "lnkFunctionalCIToProviderContract": N_("contracts are not carried"),
        "lnkContactToContract": N_("contracts are not carried"),
        "lnkDocumentToContract": N_("contracts are not carried"),
        "SLA": N_("service levels are Deskgraph's SLA policies (set by an administrator)"),
        "SLT": N_("service level targets are Deskgraph's SLA policies (set by an administrator)"),
        "lnkSLAToSLT": N_("service levels are Deskgraph's SLA policies (set by an administrator)"),
        "lnkCustomerContractToSLA": N_("service levels are Deskgraph's SLA policies"),
        "CoverageWindow": N_(
            "working hours are Deskgraph's SLA calendars (set by an administrator)"
        ),
        "DeliveryModel": N_("who handles which requests is set by Deskgraph's assignment rules"),
        "lnkDeliveryModelToContact": N_("who handles which requests is set by assignment rules"),
        "ServiceFamily": N_("service families are catalog categories, not CIs"),
        "ServiceSubcategory": N_("service subcategories are request types of the catalog, not CIs"),
        "OSFamily": N_("an operating system typology, not a CI"),
        "OSVersion": N_("an operating system typology, not a CI"),
        "OSLicence": N_("licences are not carried"),
        "SoftwareLicence": N_("licences are not carried"),
        "IOSVersion": N_("an operating system typology, not a CI"),
        "Document": N_("documents are not carried (use knowledge articles)"),
        "DocumentFile": N_("documents are not carried (use knowledge articles)"),
        "DocumentNote": N_("documents are not carried (use knowledge articles)"),
        "DocumentWeb": N_("documents are not carried (use knowledge articles)"),
        "lnkDocumentToFunctionalCI": N_("documents are not carried"),
        "FAQ": N_("FAQs are not carried (use knowledge articles)"),
        "FAQCategory": N_("FAQ categories are not carried"),
        "PhysicalInterface": N_("interfaces are not CIs here (the device is)"),
        "LogicalInterface": N_("interfaces are not CIs here (the device is)"),
        "FiberChannelInterface": N_("interfaces are not CIs here (the device is)"),
        "IPPhone": N_("telephony devices have no class in the mapping"),
        "MobilePhone": N_("telephony devices have no class in the mapping"),
        "Tablet": N_("mobile devices have no class in the mapping"),
        "Peripheral": N_("peripherals have no class in the mapping"),
        "VLAN": N_("VLANs are not CIs here"),
        "lnkPhysicalInterfaceToVLAN": N_("VLANs are not CIs here"),
        "IPAddress": N_("IP addresses are not CIs here"),
        "IPv4Address": N_("IP addresses are not CIs here"),
        "IPv6Address": N_("IP addresses are not CIs here"),
        "Subnet": N_("subnets are not CIs here"),
        "IPv4Subnet": N_("subnets are not CIs here"),
        "LogicalVolume": N_("storage volumes are not CIs here"),
        "lnkServerToVolume": N_("storage volumes are not CIs here"),
        "lnkVirtualDeviceToVolume": N_("storage volumes are not CIs here"),
        "SoftwarePatch": N_("patches are not carried"),
        "OSPatch": N_("patches are not carried"),
        "lnkSoftwareInstanceToSoftwarePatch": N_("patches are not carried"),
        "lnkFunctionalCIToOSPatch": N_("patches are not carried"),
        "lnkFunctionalCIToTicket": N_("tickets are not carried by the estate import"),
    }
)
"""iTop classes deliberately not carried, and why (every object read gets a report line)."""

TICKET_CLASSES = frozenset(
    {"UserRequest", "Incident", "Problem", "Change", "NormalChange", "RoutineChange"}
)
TICKETS_NOT_CARRIED = N_("tickets are not carried by the estate import")


def not_carried_reason(itop_class: str) -> dict[str, Any]:
    """Why objects of an iTop class that is neither a CI nor a link nor a typology are left, as
    a stored message (:mod:`app.i18n.stored`: worded in its reader's language)."""
    if itop_class in NOT_CARRIED:
        return stored(NOT_CARRIED[itop_class])
    if itop_class in TICKET_CLASSES:
        return stored(TICKETS_NOT_CARRIED)
    if itop_class.startswith("TagSetFieldData"):
        return stored(N_("tag values of an iTop field (such as FAQ domains) are not carried"))
    if itop_class.startswith("lnk"):
        return stored(N_("the link class %(name)s has no mapping"), name=itop_class)
    return stored(N_("the iTop class %(name)s has no mapping"), name=itop_class)


# Statuses: iTop's physical devices are production / implementation / stock / obsolete, its
# software and solutions active / inactive; empty means iTop's default (in service).
STATUSES: Mapping[str, str] = MappingProxyType(
    {
        "production": "in_service",
        "active": "in_service",
        "implementation": "planned",
        "stock": "planned",
        "obsolete": "retired",
        "inactive": "retired",
        "": "in_service",
    }
)
CRITICALITY: Mapping[str, int] = MappingProxyType({"high": 2, "medium": 3, "low": 4})
"""iTop's business criticality -> this CMDB's criticality (2 High, 3 Medium, 4 Low)."""

FARM_DEFAULT_MIN_UP = 1
"""iTop's default redundancy of a farm: up while at least one hypervisor is up."""


def redundancy(value: str) -> tuple[int | None, int | None] | None:
    """A farm's iTop redundancy (``disabled``, ``2``, ``50%``) as ``(min_up, min_up_percent)``;
    ``disabled`` is ``(None, None)`` (every member needed); ``None`` for an unreadable value."""
    text = value.strip().lower()
    if not text:
        return FARM_DEFAULT_MIN_UP, None
    if text == "disabled":
        return None, None
    percent = text.endswith("%")
    number = text.rstrip("%").strip()
    if not number.isdigit() or int(number) < 1 or (percent and int(number) > 100):
        return None
    return (None, int(number)) if percent else (int(number), None)


def parse_date(value: str) -> date | None:
    """An iTop date (``YYYY-MM-DD``, optionally with a time): ``None`` when in another format
    (day and month orders differ between iTop's user formats, so none is guessed)."""
    text = value.strip()[:10]
    try:
        return date.fromisoformat(text) if len(text) == 10 and text[4] == "-" else None
    except ValueError:
        return None


# Column labels of iTop's CSV export (English user interface) -> attribute codes; ``x->name``
# columns name an object by its name instead of its id.
CSV_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "id": "id",
        "name": "name",
        "description": "description",
        "status": "status",
        "organization": "org_id->name",
        "organization name": "org_id->name",
        "owner organization": "org_id->name",
        "location": "location_id->name",
        "location name": "location_id->name",
        "business criticality": "business_criticity",
        "serial number": "serialnumber",
        "asset number": "asset_number",
        "end of warranty": "end_of_warranty",
        "brand": "brand_id->name",
        "model": "model_id->name",
        "rack": "rack_id->name",
        "enclosure": "enclosure_id->name",
        "power a": "powerA_id->name",
        "power b": "powerB_id->name",
        "management ip": "managementip",
        "network type": "networkdevicetype_id->name",
        "farm": "farm_id->name",
        "server": "server_id->name",
        "virtual host": "virtualhost_id->name",
        "system": "system_id->name",
        "software": "software_id->name",
        "db server": "dbserver_id->name",
        "web server": "webserver_id->name",
        "middleware": "middleware_id->name",
        "url": "url",
        "redundancy": "redundancy",
        "application solution": "applicationsolution_id->name",
        "functional ci": "functionalci_id->name",
        "business process": "businessprocess_id->name",
        "service": "service_id->name",
        "network device": "networkdevice_id->name",
        "device": "connectableci_id->name",
        "connectable ci": "connectableci_id->name",
        "network port": "network_port",
        "device port": "device_port",
        "connection type": "connection_type",
        "ci sub-class": "finalclass",
    }
)

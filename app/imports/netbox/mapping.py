"""The default mapping of a NetBox estate onto this CMDB, as plain tables (pure: no Flask, no
database). ``docs/imports/netbox.md`` explains each choice; change a table here and the reader
follows.

* **CIs**: sites, locations, racks, devices (class from the device role), power panels, power
  feeds, providers, circuits, clusters, virtual machines.
* **Relations** (``source <type> target``; a failure of the target hits the source unless the
  type says otherwise): a location, rack, device, power panel or cluster ``depends_on`` where it
  stands (its rack, else its location, else its site); a rack ``depends_on`` each power feed
  feeding it and a feed ``depends_on`` its panel; a device whose power port is cabled to a PDU
  ``depends_on`` the PDU; a data cable ``connected_to`` (the device further from the core needs
  the one nearer, see :func:`needs`); a provider ``provides`` its circuits and a circuit
  ``depends_on`` the sites it terminates at; a VM ``runs_on`` its cluster (or its device); a
  device in a cluster is ``member_of`` it.
* **Values**: roles, device types, manufacturers, circuit and cluster types become a CI's
  class, model or description; cable terminations become their cable's relation.
* **Not carried** (a report line per object): interfaces, ports, IP addresses, prefixes,
  VLANs, VRFs, tenants, regions, tags, and the rest; NetBox's own bookkeeping (users,
  permissions, sessions, content types, change log) gets one line per model.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.i18n import N_
from app.imports.estates.model import EstateClass


@dataclass(frozen=True)
class DeviceRole:
    """What a device role becomes: its CI class, and its tier for cable direction (0 is the
    core; ``passive`` for patch panels, which pass a link on)."""

    ci_class: str
    tier: int
    passive: bool = False


CLASSES: dict[str, EstateClass] = {
    c.name: c
    for c in (
        EstateClass("site", "Site"),
        EstateClass("location", "Location"),
        EstateClass("rack", "Rack", is_hardware=True),
        EstateClass("router", "Router", "network_device", is_hardware=True),
        EstateClass("switch", "Switch", "network_device", is_hardware=True),
        EstateClass("firewall", "Firewall", "network_device", is_hardware=True),
        EstateClass("patch_panel", "Patch panel", "network_device", is_hardware=True),
        EstateClass("pdu", "PDU", is_hardware=True),
        EstateClass("power_panel", "Power panel", is_hardware=True),
        EstateClass("power_feed", "Power feed"),
        EstateClass("provider", "Provider"),
        EstateClass("circuit", "Circuit"),
    )
}
"""Classes the mapping may create (under the built-in ``network_device`` for network gear);
built-in classes it uses as they are: ``server``, ``virtual_machine``, ``cluster``."""

ROLES: dict[str, DeviceRole] = {
    "core-switch": DeviceRole("switch", 0),
    "router": DeviceRole("router", 1),
    "firewall": DeviceRole("firewall", 1),
    "distribution-switch": DeviceRole("switch", 2),
    "access-switch": DeviceRole("switch", 3),
    "tor-switch": DeviceRole("switch", 3),
    "switch": DeviceRole("switch", 3),
    "load-balancer": DeviceRole("load_balancer", 3),
    "patch-panel": DeviceRole("patch_panel", 4, passive=True),
    "server": DeviceRole("server", 5),
    "application-server": DeviceRole("server", 5),
    "database-server": DeviceRole("server", 5),
    "storage": DeviceRole("storage", 5),
    "pdu": DeviceRole("pdu", 5),
}
"""Device roles by slug. Any other role becomes a hardware class named after its slug
(``console-server`` → ``console_server``), at tier 5."""

OTHER_ROLE_TIER = 5

STATUS: dict[str, str] = {
    "active": "in_service",
    "available": "in_service",
    "reserved": "in_service",
    "connected": "in_service",
    "provisioning": "planned",
    "planned": "planned",
    "staged": "planned",
    "staging": "planned",
    "inventory": "planned",
    "offline": "in_maintenance",
    "failed": "in_maintenance",
    "decommissioning": "retired",
    "deprovisioning": "retired",
    "decommissioned": "retired",
    "deprecated": "retired",
    "retired": "retired",
}
"""NetBox statuses (of every model) → CI lifecycle; an unknown status is in service, with a
notice."""

CI_MODELS = (
    "dcim.site", "dcim.location", "dcim.rack", "dcim.device", "dcim.powerpanel",
    "dcim.powerfeed", "circuits.provider", "circuits.circuit", "virtualization.cluster",
    "virtualization.virtualmachine",
)  # fmt: skip
"""Models whose objects become CIs (keyed ``<model>:<pk>``)."""

RELATION_MODELS = ("dcim.cable", "circuits.circuittermination")
"""Models whose objects become relations (a cable connects the devices at its two ends; a
circuit termination ties its circuit to a site)."""

VALUE_MODELS: dict[str, str] = {
    "dcim.devicerole": "the class of its devices",
    "dcim.devicetype": "the model of its devices",
    "dcim.manufacturer": "the model of its devices",
    "circuits.circuittype": "the description of its circuits",
    "virtualization.clustertype": "the description of its clusters",
    "dcim.cabletermination": "the relation of its cable",
}
"""Models carried as values of other objects (no CI of their own): what they become."""

NOT_CARRIED: dict[str, str] = {
    "dcim.interface": N_("interfaces are not CIs; their cables are carried between their devices"),
    "virtualization.vminterface": N_("VM interfaces are not CIs"),
    "dcim.frontport": N_("ports are not CIs; their cables are carried between their devices"),
    "dcim.rearport": N_("ports are not CIs; their cables are carried between their devices"),
    "dcim.consoleport": N_("console ports are not CIs"),
    "dcim.consoleserverport": N_("console ports are not CIs"),
    "dcim.powerport": N_("power ports are not CIs; their cables make devices depend on their PDU"),
    "dcim.poweroutlet": N_("power outlets are not CIs; their cables are carried"),
    "dcim.cablepath": N_("cable paths are NetBox's traces of cables, which are carried"),
    "ipam.ipaddress": N_("IP addresses are not carried"),
    "ipam.prefix": N_("prefixes are not carried"),
    "ipam.iprange": N_("IP ranges are not carried"),
    "ipam.aggregate": N_("aggregates are not carried"),
    "ipam.vlan": N_("VLANs are not carried"),
    "ipam.vlangroup": N_("VLAN groups are not carried"),
    "ipam.vrf": N_("VRFs are not carried"),
    "ipam.routetarget": N_("route targets are not carried"),
    "ipam.asn": N_("ASNs are not carried"),
    "ipam.rir": N_("RIRs are not carried"),
    "ipam.role": N_("IPAM roles are not carried"),
    "tenancy.tenant": N_("tenants are not carried (no tenants here)"),
    "tenancy.tenantgroup": N_("tenant groups are not carried"),
    "tenancy.contact": N_("contacts are not carried (people are imported from the directory)"),
    "tenancy.contactgroup": N_("contact groups are not carried"),
    "tenancy.contactrole": N_("contact roles are not carried"),
    "tenancy.contactassignment": N_("contact assignments are not carried"),
    "dcim.region": N_("regions are not carried (a site's CI has no region)"),
    "dcim.sitegroup": N_("site groups are not carried"),
    "dcim.rackrole": N_("rack roles are not carried"),
    "dcim.rackreservation": N_("rack reservations are not carried"),
    "dcim.platform": N_("platforms are not carried"),
    "dcim.virtualchassis": N_("virtual chassis are not carried: its members are separate devices"),
    "dcim.module": N_("modules are not carried (part of their device)"),
    "dcim.modulebay": N_("module bays are not carried (part of their device)"),
    "dcim.moduletype": N_("module types are not carried"),
    "dcim.devicebay": N_("device bays are not carried (part of their device)"),
    "dcim.inventoryitem": N_("inventory items are not carried (part of their device)"),
    "virtualization.clustergroup": N_("cluster groups are not carried"),
    "circuits.providernetwork": N_("provider networks are not carried"),
    "circuits.provideraccount": N_("provider accounts are not carried"),
    "extras.tag": N_("tags are not carried"),
    "extras.taggeditem": N_("tags are not carried"),
    "extras.customfield": N_("custom field definitions are not carried"),
}
"""Estate data the mapping leaves out, with the reason (a report line per object, worded in its
reader's language: the reasons are marked ``N_``). Any model not named anywhere here is not
carried either, with a generic reason."""

BOOKKEEPING_PREFIXES = ("auth.", "users.", "sessions.", "contenttypes.", "admin.", "django_")
"""NetBox's own bookkeeping (people, permissions, sessions, change log): one report line per
model, with how many objects."""

TEMPLATE_SUFFIX = "template"  # dcim.interfacetemplate and the like: parts of device types

ENDPOINTS: dict[str, str] = {
    "dcim/sites": "dcim.site",
    "dcim/locations": "dcim.location",
    "dcim/regions": "dcim.region",
    "dcim/site-groups": "dcim.sitegroup",
    "dcim/racks": "dcim.rack",
    "dcim/rack-roles": "dcim.rackrole",
    "dcim/rack-reservations": "dcim.rackreservation",
    "dcim/devices": "dcim.device",
    "dcim/device-roles": "dcim.devicerole",
    "dcim/device-types": "dcim.devicetype",
    "dcim/manufacturers": "dcim.manufacturer",
    "dcim/platforms": "dcim.platform",
    "dcim/interfaces": "dcim.interface",
    "dcim/front-ports": "dcim.frontport",
    "dcim/rear-ports": "dcim.rearport",
    "dcim/console-ports": "dcim.consoleport",
    "dcim/console-server-ports": "dcim.consoleserverport",
    "dcim/power-ports": "dcim.powerport",
    "dcim/power-outlets": "dcim.poweroutlet",
    "dcim/power-panels": "dcim.powerpanel",
    "dcim/power-feeds": "dcim.powerfeed",
    "dcim/cables": "dcim.cable",
    "dcim/virtual-chassis": "dcim.virtualchassis",
    "dcim/modules": "dcim.module",
    "dcim/module-bays": "dcim.modulebay",
    "dcim/device-bays": "dcim.devicebay",
    "dcim/inventory-items": "dcim.inventoryitem",
    "circuits/providers": "circuits.provider",
    "circuits/provider-networks": "circuits.providernetwork",
    "circuits/circuits": "circuits.circuit",
    "circuits/circuit-types": "circuits.circuittype",
    "circuits/circuit-terminations": "circuits.circuittermination",
    "virtualization/clusters": "virtualization.cluster",
    "virtualization/cluster-types": "virtualization.clustertype",
    "virtualization/cluster-groups": "virtualization.clustergroup",
    "virtualization/virtual-machines": "virtualization.virtualmachine",
    "virtualization/interfaces": "virtualization.vminterface",
    "ipam/ip-addresses": "ipam.ipaddress",
    "ipam/prefixes": "ipam.prefix",
    "ipam/vlans": "ipam.vlan",
    "ipam/vlan-groups": "ipam.vlangroup",
    "ipam/vrfs": "ipam.vrf",
    "tenancy/tenants": "tenancy.tenant",
    "tenancy/tenant-groups": "tenancy.tenantgroup",
    "extras/tags": "extras.tag",
}
"""REST API endpoints (``/api/<app>/<endpoint>/``) and the model of their objects."""

TERMINATION_DEVICE_MODELS = (
    "dcim.interface", "dcim.frontport", "dcim.rearport", "dcim.consoleport",
    "dcim.consoleserverport", "dcim.powerport", "dcim.poweroutlet",
)  # fmt: skip
"""Cable ends that belong to a device (the cable connects that device)."""

POWER_DRAWING = "dcim.powerport"  # a device drawing power: it depends on the far end


@dataclass(frozen=True)
class End:
    """One end of a cable as the mapping sees it: the CI it belongs to, that CI's tier
    (``None`` for a circuit, the furthest upstream) and whether it only passes links on."""

    ci: str
    tier: int | None
    passive: bool = False


def needs(a: End, b: End) -> bool:
    """Whether the CI at end ``a`` needs the one at ``b`` (``a connected_to b``) rather than
    the other way round: an active device needs a passive one (patch panel) it is cabled to,
    anything needs a circuit, and between active devices the one further from the core
    (higher tier) needs the nearer; on a tie (and between two passive ones) the A end needs
    the B end."""
    if b.tier is None or a.tier is None:
        return b.tier is None
    if a.passive != b.passive:
        return b.passive
    return a.tier >= b.tier


def role(slug: str, name: str) -> tuple[DeviceRole, EstateClass | None]:
    """What a device role becomes, and the class to create for a role not in :data:`ROLES`."""
    known = ROLES.get(slug)
    if known is not None:
        return known, None
    class_name = "".join(c if c.isalnum() else "_" for c in slug.lower()).strip("_")
    if not class_name or not class_name[0].isalpha():
        class_name = f"role_{class_name}"
    class_name = class_name[:60]
    return DeviceRole(class_name, OTHER_ROLE_TIER), EstateClass(
        class_name, (name or slug)[:100], is_hardware=True
    )


def status(value: str | None) -> str | None:
    """The lifecycle of a NetBox status, ``None`` when unknown."""
    return STATUS.get((value or "active").lower())

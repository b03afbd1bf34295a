"""Golden impact results on NetBox's demo data (``tests/cmdb/netbox_estate.py`` builds the
estate): a site, a rack, a power panel, a cluster or a single device fails.

Every expected answer is read from the raw NetBox objects here (devices whose ``rack`` is the
rack, VMs whose ``cluster`` is the cluster, devices cabled to a PDU's outlets …), never taken
from the engine's own output.
"""

from __future__ import annotations

import math

import pytest

from app.cmdb.impact.reference import State, impact
from tests.cmdb.netbox_estate import Rules, build_estate, read_netbox

NB = read_netbox()
REAL = ("site", "rack", "device", "panel", "feed", "circuit", "provider", "cluster", "vm")
"""Kinds of CI that are NetBox objects (the estate's redundancy groups are not)."""


def pk_of(model: str, **where) -> int:
    (found,) = [pk for pk, f in NB[model].items() if all(f[k] == v for k, v in where.items())]
    return found


def pks(model: str, test) -> set[int]:
    return {pk for pk, fields in NB[model].items() if test(fields)}


def ids(kind: str, found: set[int]) -> set[str]:
    return {f"{kind}:{pk}" for pk in found}


def role(name: str) -> int:
    return pk_of("dcim.devicerole", name=name)


def real(result) -> dict[str, State]:
    return {a.ci_id: a.state for a in result.affected if a.ci_id.split(":")[0] in REAL}


def decision(result, ci_id: str):
    (found,) = [d for d in result.decisions if d.ci_id == ci_id]
    return found


def cabled_to(device: int, port_model: str, far_model: str) -> set[int]:
    """Devices whose ``far_model`` ports share a cable with ``device``'s ``port_model`` ports."""
    ports = pks(f"dcim.{port_model}", lambda f: f["device"] == device)
    cables = {
        t["cable"]
        for t in NB["dcim.cabletermination"].values()
        if t["termination_type"] == ["dcim", port_model] and t["termination_id"] in ports
    }
    return {
        NB[f"dcim.{far_model}"][t["termination_id"]]["device"]
        for t in NB["dcim.cabletermination"].values()
        if t["cable"] in cables and t["termination_type"] == ["dcim", far_model]
    } - {device}


@pytest.fixture(scope="module")
def graph():
    return build_estate().graph()


def test_a_branch_site_takes_down_its_comms_closet_and_everything_in_it(graph):
    site = pk_of("dcim.site", name="DM-Akron")
    racks = pks("dcim.rack", lambda f: f["site"] == site)
    devices = pks("dcim.device", lambda f: f["site"] == site)
    assert len(racks) == 1
    assert len(devices) == 4  # router, access switch, PDU, patch panel

    result = impact(graph, [f"site:{site}"])

    assert real(result) == dict.fromkeys(
        {f"site:{site}"} | ids("rack", racks) | ids("device", devices), State.DOWN
    )
    depth = {a.ci_id: a.depth for a in result.affected}
    assert {depth[i] for i in ids("rack", racks)} == {1}
    assert {depth[i] for i in ids("device", devices)} == {2}  # site → rack → device


def test_the_campus_data_centre_takes_the_buildings_behind_its_fibres_with_it(graph):
    mdf = pk_of("dcim.site", name="MDF")
    racks = pks("dcim.rack", lambda f: f["site"] == mdf)
    devices = pks("dcim.device", lambda f: f["site"] == mdf)
    panels = pks("dcim.powerpanel", lambda f: f["site"] == mdf)
    feeds = pks("dcim.powerfeed", lambda f: f["power_panel"] in panels)
    terminations = NB["circuits.circuittermination"].values()
    fibres = {t["circuit"] for t in terminations if t["site"] == mdf}
    far_sites = {t["site"] for t in terminations if t["circuit"] in fibres} - {mdf}
    buildings = pks(
        "dcim.device",
        lambda f: f["site"] in far_sites and f["role"] == role("Distribution Switch"),
    )
    assert (len(far_sites), len(buildings)) == (3, 3)

    result = impact(graph, [f"site:{mdf}"])

    expected = (
        {f"site:{mdf}"}
        | ids("rack", racks)
        | ids("device", devices)
        | ids("panel", panels)
        | ids("feed", feeds)
        | ids("device", buildings)
    )
    assert real(result) == dict.fromkeys(expected, State.DOWN)


@pytest.mark.parametrize(
    "rack", sorted(pks("dcim.rack", lambda f: f["name"] == "Comms closet")), ids=str
)
def test_a_branch_rack_takes_down_exactly_the_devices_in_it(graph, rack):
    devices = pks("dcim.device", lambda f: f["rack"] == rack)
    result = impact(graph, [f"rack:{rack}"])
    assert real(result) == dict.fromkeys({f"rack:{rack}"} | ids("device", devices), State.DOWN)


def test_a_rack_with_a_switch_pair_takes_down_the_virtual_chassis(graph):
    rack = pk_of("dcim.rack", name="R105")
    devices = pks("dcim.device", lambda f: f["rack"] == rack)
    chassis = {f["virtual_chassis"] for pk, f in NB["dcim.device"].items() if pk in devices}
    (vc,) = chassis
    members = pks("dcim.device", lambda f: f["virtual_chassis"] == vc)

    result = impact(graph, [f"rack:{rack}"])

    assert real(result) == dict.fromkeys({f"rack:{rack}"} | ids("device", devices), State.DOWN)
    rule = decision(result, f"chassis:{vc}")
    assert (rule.members, rule.down, rule.state) == (len(members), len(members), State.DOWN)


def racks_fed_by(panels: set[int]) -> tuple[set[int], set[int]]:
    """Racks with some feed from ``panels``, and those whose every feed comes from them."""
    feeds = [f for f in NB["dcim.powerfeed"].values() if f["rack"]]
    some = {f["rack"] for f in feeds if f["power_panel"] in panels}
    every = {r for r in some if all(f["power_panel"] in panels for f in feeds if f["rack"] == r)}
    return some, every


def test_a_power_panel_degrades_the_racks_it_feeds_while_their_b_feed_holds(graph):
    panel = pk_of("dcim.powerpanel", name="Panel 1")
    some, every = racks_fed_by({panel})
    assert len(some) == 16
    assert every == set()  # each of those racks also has a feed from panel 2
    devices = pks("dcim.device", lambda f: f["rack"] in some)

    result = impact(graph, [f"panel:{panel}"])

    states = real(result)
    assert {states[i] for i in ids("rack", some) | ids("device", devices)} == {State.DEGRADED}
    assert (
        not {i for i, s in states.items() if s is State.DOWN}
        - {f"panel:{panel}"}
        - {f"feed:{f}" for f in pks("dcim.powerfeed", lambda f: f["power_panel"] == panel)}
    )
    rule = decision(result, f"power:{min(some)}")
    assert (rule.members, rule.down, rule.required) == (2, 1, 1)


def test_both_power_panels_of_a_row_take_its_racks_down(graph):
    panels = pks("dcim.powerpanel", lambda f: f["name"] in ("Panel 1", "Panel 2"))
    some, every = racks_fed_by(panels)
    assert some == every
    untouched, _ = racks_fed_by(pks("dcim.powerpanel", lambda f: f["name"] == "Panel 3"))
    devices = pks("dcim.device", lambda f: f["rack"] in every)

    states = real(impact(graph, [f"panel:{p}" for p in panels]))

    assert {states[i] for i in ids("rack", every) | ids("device", devices)} == {State.DOWN}
    assert not ids("rack", untouched) & set(states)


def test_without_feed_redundancy_one_panel_takes_its_racks_down():
    graph = build_estate(rules=Rules(feed_min_up=None)).graph()
    panel = pk_of("dcim.powerpanel", name="Panel 1")
    some, _ = racks_fed_by({panel})
    states = real(impact(graph, [f"panel:{panel}"]))
    assert {states[i] for i in ids("rack", some)} == {State.DOWN}


def test_a_cluster_takes_down_its_vms(graph):
    cluster = pk_of("virtualization.cluster", name="DO-AMS3")
    vms = pks("virtualization.virtualmachine", lambda f: f["cluster"] == cluster)
    assert len(vms) == 20

    result = impact(graph, [f"cluster:{cluster}"])

    expected = {f"cluster:{cluster}"} | ids("vm", vms)
    assert real(result) == dict.fromkeys(expected, State.DOWN)
    assert {a.depth for a in result.affected if a.ci_id.startswith("vm:")} == {1}
    group = NB["virtualization.cluster"][cluster]["group"]
    # No rule on the cluster group: membership is a plain link, the group is down with it.
    assert {a.ci_id: a.state for a in result.affected}[f"cgroup:{group}"] is State.DOWN
    assert result.decisions == ()


def test_a_cluster_group_with_a_rule_survives_one_cluster_but_not_too_many():
    graph = build_estate(rules=Rules(cluster_group_min_up_percent=50)).graph()
    group = pk_of("virtualization.clustergroup", name="EMEA")
    clusters = sorted(pks("virtualization.cluster", lambda f: f["group"] == group))
    required = math.ceil(len(clusters) * 0.5)

    one = impact(graph, [f"cluster:{clusters[0]}"])
    rule = decision(one, f"cgroup:{group}")
    assert (rule.members, rule.down, rule.required, rule.state) == (
        len(clusters),
        1,
        required,
        State.DEGRADED,
    )
    too_many = clusters[: len(clusters) - required + 1]
    rule = decision(impact(graph, [f"cluster:{c}" for c in too_many]), f"cgroup:{group}")
    assert (rule.down, rule.state) == (len(too_many), State.DOWN)
    just_enough = impact(graph, [f"cluster:{c}" for c in too_many[:-1]])
    assert decision(just_enough, f"cgroup:{group}").state is State.DEGRADED


def test_a_branch_router_cuts_off_the_switch_cabled_to_it(graph):
    router = pk_of("dcim.device", name="dmi01-akron-rtr01")
    downstream = cabled_to(router, "interface", "interface")
    assert len(downstream) == 1  # the access switch, on two cables

    result = impact(graph, [f"device:{router}"])

    assert real(result) == dict.fromkeys(
        {f"device:{router}"} | ids("device", downstream), State.DOWN
    )


def test_a_pdu_takes_down_what_it_powers(graph):
    pdu = pk_of("dcim.device", name="dmi01-akron-pdu01")
    powered = cabled_to(pdu, "poweroutlet", "powerport")
    assert len(powered) == 2

    result = impact(graph, [f"device:{pdu}"])

    assert real(result) == dict.fromkeys({f"device:{pdu}"} | ids("device", powered), State.DOWN)


def test_one_core_switch_degrades_the_buildings_and_both_cut_them_off(graph):
    cores = sorted(pks("dcim.device", lambda f: f["role"] == role("Core Switch")))
    buildings = ids(
        "device", pks("dcim.device", lambda f: f["role"] == role("Distribution Switch"))
    )
    assert (len(cores), len(buildings)) == (2, 3)

    one = real(impact(graph, [f"device:{cores[0]}"]))
    assert {one[b] for b in buildings} == {State.DEGRADED}
    assert set(one) == {f"device:{cores[0]}"} | buildings
    both = real(impact(graph, [f"device:{c}" for c in cores]))
    assert {both[b] for b in buildings} == {State.DOWN}


def test_one_switch_of_a_virtual_chassis_degrades_it(graph):
    vc = pk_of("dcim.virtualchassis", name="r106-torsw")
    members = sorted(pks("dcim.device", lambda f: f["virtual_chassis"] == vc))
    rule = decision(impact(graph, [f"device:{members[0]}"]), f"chassis:{vc}")
    assert (rule.members, rule.down, rule.state) == (len(members), 1, State.DEGRADED)


@pytest.mark.parametrize(("wan_min_up", "branch_state"), [(1, State.DEGRADED), (None, State.DOWN)])
def test_a_carrier_outage_and_the_branches_second_circuit(wan_min_up, branch_state):
    graph = build_estate(rules=Rules(wan_min_up=wan_min_up)).graph()
    carrier = pk_of("circuits.provider", name="Level 3")
    circuits = pks("circuits.circuit", lambda f: f["provider"] == carrier)
    sites = {
        t["site"] for t in NB["circuits.circuittermination"].values() if t["circuit"] in circuits
    } - {None}
    branch = pks("dcim.device", lambda f: f["site"] in sites and f["role"] in {
        role("Router"), role("Access Switch")})  # fmt: skip
    assert (len(circuits), len(branch)) == (13, 26)

    states = real(impact(graph, [f"provider:{carrier}"]))

    assert {states[c] for c in ids("circuit", circuits)} == {State.DOWN}
    assert {states[d] for d in ids("device", branch)} == {branch_state}
    assert set(states) == {f"provider:{carrier}"} | ids("circuit", circuits) | ids("device", branch)

"""Grouping alerting CIs by the CMDB: roots are the most upstream alerting CIs."""

from __future__ import annotations

import random

from app.alerts.grouping import group_alerting
from app.cmdb.graph.vocabulary import CI, ImpactOptions, Lifecycle, Redundancy, Treatment
from app.cmdb.impact.index import compact_from_cis


def estate(retired: tuple[int, ...] = ()):
    """1 array; 2 switch; 3-4 hosts on the array, 5 host on the switch; 6 cluster of 3,4
    (needs 1 up); 7-8 VMs on the cluster; 9 app on VM 7; 10 VM on host 5; 11 unrelated; 12-13
    a cycle; 14 a host behind retired 15."""
    cis = [
        CI(1, "array", "storage"),
        CI(2, "tor", "network_device"),
        CI(3, "esx-1", "server"),
        CI(4, "esx-2", "server"),
        CI(5, "esx-3", "server"),
        CI(6, "cluster", "cluster", redundancy=Redundancy(min_up=1)),
        CI(7, "vm-1", "virtual_machine"),
        CI(8, "vm-2", "virtual_machine"),
        CI(9, "app", "application"),
        CI(10, "vm-3", "virtual_machine"),
        CI(11, "printer", "printer"),
        CI(12, "a", "application"),
        CI(13, "b", "application"),
        CI(14, "esx-4", "server"),
        CI(15, "old-switch", "network_device", status=Lifecycle.RETIRED),
    ]
    relations = [
        (3, 1, "depends_on"),
        (4, 1, "depends_on"),
        (5, 2, "depends_on"),
        (3, 6, "member_of"),
        (4, 6, "member_of"),
        (7, 6, "runs_on"),
        (8, 6, "runs_on"),
        (9, 7, "runs_on"),
        (10, 5, "runs_on"),
        (12, 13, "depends_on"),
        (13, 12, "depends_on"),
        (14, 15, "depends_on"),
    ]
    return compact_from_cis(cis, relations)


def test_the_most_upstream_alerting_cis_are_roots_and_the_others_their_children():
    grouping = group_alerting(estate(), [9, 7, 3, 1, 4, 6, 8, 10, 5, 2, 11])
    assert grouping.roots == (1, 2, 11)
    assert {c for c, r in grouping.root_of.items() if r == 1} == {1, 3, 4, 6, 7, 8, 9}
    assert set(grouping.children(2)) == {5, 10}
    assert grouping.chain_of[9] == (1, 3, 6, 7, 9)


def test_the_answer_does_not_depend_on_the_order_alerts_arrive_in():
    alerting = [9, 7, 3, 1, 4, 6, 8, 10, 5, 2, 11]
    first = group_alerting(estate(), alerting)
    for seed in range(5):
        random.Random(seed).shuffle(alerting)
        assert group_alerting(estate(), alerting).root_of == first.root_of


def test_without_the_root_alerting_each_independent_branch_is_a_root():
    grouping = group_alerting(estate(), [9, 7, 3, 10])
    assert grouping.roots == (3, 10)
    assert grouping.root_of[9] == 3
    assert grouping.root_of[7] == 3


def test_a_cycle_of_alerting_cis_still_gets_one_root():
    grouping = group_alerting(estate(), [12, 13])
    assert grouping.roots == (12,)
    assert grouping.root_of == {12: 12, 13: 12}


def test_a_retired_ci_passes_no_failure_on():
    grouping = group_alerting(estate(), [15, 14])
    assert set(grouping.roots) == {14, 15}
    counted = ImpactOptions(retired=Treatment.NORMAL)
    assert group_alerting(estate(), [15, 14], counted).root_of[14] == 15


def test_cis_unknown_to_the_cmdb_are_roots_of_their_own():
    grouping = group_alerting(estate(), [999, 3, 1])
    assert grouping.roots == (1, 999)
    assert grouping.root_of[3] == 1


def test_group_wait_adopts_the_incidents_of_children_opened_shortly_before_their_root():
    from datetime import UTC, datetime, timedelta

    from app.alerts.grouping import adoptions

    grouping = group_alerting(estate(), [1, 3, 4, 9, 2, 5, 11])
    t0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    opened = {
        1: t0,  # the array's incident
        3: t0 - timedelta(minutes=4),  # within five minutes before it: adopted
        4: t0 - timedelta(minutes=6),  # older: a problem of its own, left alone
        9: t0 + timedelta(seconds=5),  # opened after the root's (a race): adopted
        5: t0 - timedelta(minutes=1),  # its root (the switch) has no incident: left alone
        11: t0,  # a root itself
    }
    assert adoptions(grouping, opened, timedelta(minutes=5)) == [(3, 1), (9, 1)]
    assert adoptions(grouping, opened, timedelta(minutes=10)) == [(3, 1), (4, 1), (9, 1)]
    assert adoptions(grouping, opened, timedelta(0)) == [(9, 1)]
    assert adoptions(grouping, {}, timedelta(minutes=5)) == []

"""Who hears what, decided from plain facts (``app.notifications.rules``, a pure module)."""

from __future__ import annotations

from app.notifications.rules import IN_APP, MAIL, Event, Parties, decide, recipients

CALLER, AGENT, OTHER, MANAGER, EMPLOYEE_WATCHER, STAFF_WATCHER, APPROVER, OWNER, ADMIN = range(
    1, 10
)
INCIDENT = Parties(
    ticket_kind="incident",
    caller_id=CALLER,
    assignee_id=AGENT,
    group_manager_id=MANAGER,
    group_member_ids=frozenset({AGENT, OTHER}),
    watcher_ids=frozenset({EMPLOYEE_WATCHER, STAFF_WATCHER}),
    owner_ids=frozenset({OWNER}),
    major_manager_ids=frozenset({ADMIN}),
    staff_ids=frozenset({AGENT, OTHER, STAFF_WATCHER}),
)


def told(type_: str, actor: int | None = None, parties: Parties = INCIDENT, **data) -> dict:
    return recipients(Event(type_, actor, data), parties)


def test_a_public_reply_by_an_agent_reaches_caller_and_watchers():
    assert told("commented", AGENT, public=True, by_caller=False) == {
        CALLER: "public_reply",
        EMPLOYEE_WATCHER: "public_reply",
        STAFF_WATCHER: "public_reply",
    }


def test_a_callers_reply_tells_the_assignee_and_the_watchers():
    assert told("commented", CALLER, public=True, by_caller=True) == {
        AGENT: "caller_replied",
        EMPLOYEE_WATCHER: "public_reply",
        STAFF_WATCHER: "public_reply",
    }


def test_a_work_note_reaches_staff_only():
    found = told("commented", OTHER, public=False, by_caller=False)
    assert found == {AGENT: "work_note", STAFF_WATCHER: "work_note"}
    assert CALLER not in found
    assert EMPLOYEE_WATCHER not in found


def test_a_work_note_never_reaches_an_assignee_who_is_not_staff():
    odd = Parties(ticket_kind="incident", caller_id=CALLER, assignee_id=EMPLOYEE_WATCHER)
    assert told("commented", AGENT, odd, public=False) == {}


def test_the_actor_is_never_told_of_their_own_change():
    assert told("assigned", AGENT, assignee_id=AGENT, group_id=1) == {}
    assert CALLER not in told("commented", CALLER, public=True, by_caller=True)


def test_a_ticket_by_mail_acknowledges_its_sender_with_the_number():
    assert told("created", CALLER, channel="email") == {CALLER: "received"}
    assert told("created", CALLER, channel="portal") == {}  # the number is on the screen
    assert told("created", AGENT, channel="phone") == {CALLER: "received"}


def test_receipts_are_for_what_was_reported_or_ordered_not_each_item_or_task():
    for kind, receipt in (("request", True), ("request_item", False), ("catalog_task", False)):
        parties = Parties(ticket_kind=kind, caller_id=CALLER)
        assert told("created", AGENT, parties, channel="portal") == (
            {CALLER: "received"} if receipt else {}
        )


def test_a_queue_hears_of_incidents_and_tasks_not_items_waiting_for_approval():
    for kind, queued in (("catalog_task", True), ("request_item", False)):
        parties = Parties(
            ticket_kind=kind, group_member_ids=frozenset({AGENT}), staff_ids=frozenset({AGENT})
        )
        found = told("assigned", CALLER, parties, assignee_id=None, group_id=1)
        assert found == ({AGENT: "new_in_queue"} if queued else {})


def test_assignment_and_the_queue():
    assert told("assigned", OTHER, assignee_id=AGENT, group_id=1) == {AGENT: "assigned_to_you"}
    assert told("assigned", CALLER, assignee_id=None, group_id=1) == {
        AGENT: "new_in_queue",
        OTHER: "new_in_queue",
    }


def test_states_the_caller_hears_of_and_a_reopen():
    assert told(
        "state_changed", AGENT, old="in_progress", new="on_hold", hold_reason="awaiting_caller"
    ) == {CALLER: "waiting_for_you"}
    assert (
        told(
            "state_changed", AGENT, old="in_progress", new="on_hold", hold_reason="awaiting_vendor"
        )
        == {}
    )
    assert told("state_changed", AGENT, old="in_progress", new="resolved") == {CALLER: "resolved"}
    assert told("state_changed", None, old="resolved", new="closed") == {CALLER: "closed"}
    assert told("state_changed", CALLER, old="resolved", new="in_progress") == {AGENT: "reopened"}


def test_item_state_changes_tell_the_requester_once_not_again_for_the_request():
    item = Parties(ticket_kind="request_item", caller_id=CALLER)
    assert told("state_changed", AGENT, item, old="pending_approval", new="in_progress") == {
        CALLER: "request_state"
    }
    request = Parties(ticket_kind="request", caller_id=CALLER)
    assert told("state_changed", AGENT, request, old="open", new="closed") == {}
    task = Parties(ticket_kind="catalog_task", caller_id=CALLER)
    assert told("state_changed", AGENT, task, old="new", new="in_progress") == {}


def test_approvals_and_reminders_go_to_the_approver():
    item = Parties(ticket_kind="request_item", caller_id=CALLER)
    assert told("approval_requested", CALLER, item, approver_id=APPROVER) == {
        APPROVER: "approval_needed"
    }
    assert told("approval_reminded", None, item, approver_id=APPROVER) == {
        APPROVER: "approval_reminder"
    }


def test_sla_warnings_breaches_and_escalations():
    assert told("sla_warning", None, threshold=75, notify=AGENT) == {AGENT: "sla_warning"}
    assert told("sla_breached", None, notify=AGENT) == {AGENT: "sla_breach"}
    assert told("sla_escalated", None, action="notify_manager", notify=MANAGER) == {
        MANAGER: "escalation"
    }
    assert told("sla_escalated", None, action="raise_priority") == {MANAGER: "escalation"}


def test_a_major_proposal_tells_service_owners_and_admins():
    assert told("major_changed", AGENT, state="proposed") == {
        OWNER: "major_proposed",
        ADMIN: "major_proposed",
    }
    assert told("major_changed", ADMIN, state="accepted") == {}


def test_channels_follow_admin_defaults_then_the_persons_choice():
    defaults = {MAIL: True, IN_APP: True}
    assert decide(
        "x",
        enabled=True,
        mandatory=False,
        defaults=defaults,
        chosen={MAIL: False},
        digestible=False,
    ) == {
        IN_APP: True,
        MAIL: False,
        "digest": False,
    }
    mandatory = decide(
        "x",
        enabled=True,
        mandatory=True,
        defaults=defaults,
        chosen={MAIL: False, IN_APP: False},
        digestible=False,
    )
    assert mandatory[MAIL]
    assert mandatory[IN_APP]
    off = decide("x", enabled=False, mandatory=True, defaults=defaults, chosen={}, digestible=False)
    assert not any(off.values())
    digest = decide(
        "x",
        enabled=True,
        mandatory=False,
        defaults=defaults,
        chosen={"digest": True},
        digestible=True,
    )
    assert digest == {IN_APP: True, MAIL: False, "digest": True}


def test_each_role_is_offered_only_the_kinds_it_can_hear():
    from app.notifications.rules import kinds_for

    employee = kinds_for(["employee"])
    assert "public_reply" in employee
    assert "approval_needed" in employee
    assert "work_note" not in employee
    assert "escalation" not in employee
    assert "major_proposed" not in employee
    assert {"work_note", "new_in_queue", "escalation"} <= set(kinds_for(["agent"]))
    assert "major_proposed" in kinds_for(["service_owner"])


def test_an_absent_approvers_delegate_is_asked_too_unless_they_are_the_requester():
    item = Parties(ticket_kind="request_item", caller_id=CALLER, delegates={APPROVER: OTHER})
    assert told("approval_requested", CALLER, item, approver_id=APPROVER) == {
        APPROVER: "approval_needed",
        OTHER: "approval_needed",
    }
    own = Parties(ticket_kind="request_item", caller_id=CALLER, delegates={APPROVER: CALLER})
    assert told("approval_reminded", None, own, approver_id=APPROVER) == {
        APPROVER: "approval_reminder"
    }

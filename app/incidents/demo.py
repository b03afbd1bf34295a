"""Demo incidents drawn from ``demo/incidents.json`` with a fixed seed.

The same few hundred incidents every time, spread over the last 60 days through the real
services (routing, assignment, replies, work notes, holds, resolutions), so timelines, queues
and milestones look like a desk in use. Loading again adds nothing once incidents exist.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.auth.models import Group, Role, User
from app.extensions import db
from app.incidents import services
from app.incidents.models import Category, Incident, RoutingRule
from app.incidents.workflow import State, Transition
from app.tickets.holds import HoldReason
from app.tickets.models import Channel

CHANNELS = [Channel.PORTAL] * 6 + [Channel.PHONE] * 2 + [Channel.EMAIL, Channel.AGENT]


def _reference_data(data: dict[str, Any]) -> None:
    if not db.session.scalar(select(func.count()).select_from(Category)):
        for name, subs in data["categories"].items():
            parent = Category(name=name, children=[Category(name=s) for s in subs])
            db.session.add(parent)
    if not db.session.scalar(select(func.count()).select_from(RoutingRule)):
        groups = {g.name: g for g in db.session.scalars(select(Group))}
        for position, rule in enumerate(data["routing"], start=1):
            group = groups.get(rule["group"])
            if group is not None:
                values = {k: v for k, v in rule.items() if k != "group"}
                db.session.add(RoutingRule(position=position * 10, group_id=group.id, **values))
    db.session.flush()


def load_incidents(data: dict[str, Any], *, now: datetime) -> int:
    """Create the demo incidents unless incidents exist already; returns how many."""
    _reference_data(data)
    if db.session.scalar(select(func.count()).select_from(Incident)):
        return 0
    rng = random.Random(data["seed"])
    active = select(User).where(User.is_active).options(selectinload(User.role_grants))
    people = db.session.scalars(active.order_by(User.id)).all()
    agents = [u for u in people if u.has_role(Role.AGENT)]
    if not people or not agents:
        return 0
    fresh = 8  # a few arrived in the last hours: the queues always have new work
    opened_times = sorted(
        [
            now - timedelta(minutes=rng.uniform(30, 60 * 24 * 60))
            for _ in range(data["count"] - fresh)
        ]
        + [now - timedelta(minutes=rng.uniform(5, 110)) for _ in range(fresh)]
    )
    created: list[Incident] = []
    for opened in opened_times:
        created.append(_one_incident(rng, data, opened, now, people, agents))
    _link_a_major_incident(rng, created, agents, now)
    return len(created)


def _one_incident(
    rng: random.Random,
    data: dict[str, Any],
    opened: datetime,
    now: datetime,
    people: list[User],
    agents: list[User],
) -> Incident:
    template = rng.choice(data["templates"])
    caller = rng.choice(people)
    channel = rng.choice(CHANNELS)
    agent_opener = rng.choice(agents)
    incident = services.open_incident(
        caller=caller,
        opened_by=caller if channel == Channel.PORTAL else agent_opener,
        short_description=template["short_description"],
        description=template["description"],
        channel=channel,
        impact=template["impact"],
        urgency=template["urgency"],
        category=template["category"],
        subcategory=template["subcategory"],
        affected_service=template["service"],
        ci_names=template["cis"],
        now=opened,
    )
    age = now - opened
    if age < timedelta(hours=2) and rng.random() < 0.7:
        return incident  # still new, waiting in its queue
    clock = opened + timedelta(minutes=rng.uniform(3, 90))
    group = incident.assignment_group
    members = [m for m in (group.members if group else []) if m.has_role(Role.AGENT)]
    agent = rng.choice(members) if members else None
    if agent is not None:
        services.assign_incident(incident, group=group, assignee=agent, actor=agent, now=clock)
    worker = agent or agent_opener
    if incident.state == State.NEW:  # assigning a person may have started the work already
        services.change_state(incident, Transition(State.IN_PROGRESS), actor=worker, now=clock)

    def later(low: float, high: float) -> datetime:
        nonlocal clock
        clock = min(clock + timedelta(minutes=rng.uniform(low, high)), now - timedelta(minutes=1))
        return clock

    services.comment(
        incident,
        author=worker,
        body=rng.choice(data["agent_replies"]),
        public=True,
        now=later(1, 30),
    )
    if rng.random() < 0.5:
        services.comment(
            incident,
            author=worker,
            body=rng.choice(data["work_notes"]),
            public=False,
            now=later(5, 120),
        )
    roll = rng.random()
    if roll < 0.12:
        reason = rng.choice([HoldReason.AWAITING_CALLER, HoldReason.AWAITING_VENDOR])
        services.change_state(
            incident,
            Transition(State.ON_HOLD, hold_reason=reason),
            actor=worker,
            now=later(10, 240),
        )
        return incident
    if roll < 0.22 or age < timedelta(hours=6):
        return incident  # being worked on
    if roll < 0.25:
        services.change_state(
            incident, Transition(State.CANCELED), actor=worker, now=later(10, 120)
        )
        return incident
    if rng.random() < 0.4:
        services.comment(
            incident,
            author=incident.caller,
            body=rng.choice(data["caller_replies"]),
            public=True,
            now=later(10, 600),
        )
    services.change_state(
        incident,
        Transition(
            State.RESOLVED,
            resolution_code="solved_permanently",
            resolution_notes=template["resolution"],
        ),
        actor=worker,
        now=later(30, 60 * 24 * 2),
    )
    closed_at = clock + timedelta(days=rng.uniform(0.2, 9))
    if closed_at < now:
        services.change_state(
            incident, Transition(State.CLOSED), actor=incident.caller, now=closed_at
        )
    return incident


def _link_a_major_incident(
    rng: random.Random, incidents: list[Incident], agents: list[User], now: datetime
) -> None:
    """The newest open incidents about the ERP become children of a major incident."""
    erp = [i for i in incidents if i.affected_service == "ERP" and i.is_open][-4:]
    if len(erp) < 2:
        return
    parent, *children = erp
    agent = rng.choice(agents)
    services.propose_major(parent, actor=agent, reason="Finance cannot post invoices at any site.")
    for child in children:
        services.set_parent(child, parent, actor=agent)

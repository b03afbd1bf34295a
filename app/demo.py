"""Load the demo organisation from ``demo/organisation.json``, idempotently.

People and groups are matched by username and group name: what exists is left alone, so a
second load adds nothing and never undoes an administrator's changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.auth import groups as group_services
from app.auth import services
from app.auth.models import Group, Role, User
from app.extensions import db

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


@dataclass
class DemoReport:
    people_added: int = 0
    groups_added: int = 0
    credentials: list[tuple[str, str, str]] = field(default_factory=list)


def read_demo_file(name: str) -> dict[str, Any]:
    return json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))


def read_organisation(path: Path | None = None) -> dict[str, Any]:
    return json.loads((path or DEMO_DIR / "organisation.json").read_text(encoding="utf-8"))


def load_organisation(data: dict[str, Any]) -> DemoReport:
    """Create the demo people, managers and groups that do not exist yet (flushes only)."""
    report = DemoReport()
    password = data["demo_password"]
    can_sign_in = set(data["signs_in"])
    existing = {u.username: u for u in db.session.scalars(select(User))}
    created: dict[str, User] = {}
    for person in data["people"]:
        username = person["username"]
        if username in existing:
            continue
        created[username] = services.create_local_user(
            username=username,
            display_name=person["display_name"],
            password=password if username in can_sign_in else None,
            roles=[Role(r) for r in person["roles"]],
            **{k: person.get(k) for k in services.USER_FIELDS if k != "display_name"},
        )
    people = existing | created
    for person in data["people"]:
        if person["username"] in created and person.get("manager"):
            services.set_manager(people[person["username"]], people[person["manager"]], actor=None)
    report.people_added = len(created)

    known_groups = set(db.session.scalars(select(Group.name)))
    for spec in data["groups"]:
        if spec["name"] in known_groups:
            continue
        manager = people.get(spec.get("manager") or "")
        group = group_services.create_group(
            actor=None,
            name=spec["name"],
            email=spec.get("email"),
            description=spec.get("description"),
            manager_id=manager.id if manager else None,
            is_assignment_group=spec.get("assignment", True),
        )
        group_services.add_members(group, [people[m] for m in spec["members"]], actor=None)
        report.groups_added += 1

    for username in data["signs_in"]:
        user = people[username]
        roles = ", ".join(sorted(r.label for r in user.roles))
        report.credentials.append((username, password, roles))
    return report


@dataclass
class DemoLoad:
    """What one load of the whole demo added, domain by domain."""

    organisation: DemoReport
    cmdb: Any
    incidents: int
    sla: Any
    catalog: Any
    requests: int
    kb: int = 0


def load_demo(now: Any) -> DemoLoad:
    """Load everything the README's demo advertises (organisation, CMDB, incidents, SLA,
    catalog and requests), only what is missing; flushes, the caller commits. The command
    line and the browser tests' live server load the same demo through this."""
    from app.cmdb.demo import load_cmdb
    from app.incidents.demo import load_incidents
    from app.kb.demo import load_kb
    from app.requests.demo import load_catalog, load_requests
    from app.sla.demo import load_sla

    organisation = load_organisation(read_organisation())
    cmdb = load_cmdb(read_demo_file("cmdb.json"))
    incidents = load_incidents(read_demo_file("incidents.json"), now=now)
    sla = load_sla(read_demo_file("sla.json"))
    catalog = load_catalog()
    requests = load_requests(now)
    kb = load_kb(read_demo_file("kb.json"))
    return DemoLoad(organisation, cmdb, incidents, sla, catalog, requests, kb)

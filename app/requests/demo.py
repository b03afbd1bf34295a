"""The demo service catalog and a few demo requests, loaded idempotently.

Items are matched by name and left alone when they exist; demo requests are added only when
the desk has no request yet. Everything goes through the catalog, ordering, approval and task
services, so the demo obeys the same rules as the UI (and shows them: a manager's approval
waiting, a rejection with its reason, a directory change that fell back to a person because
the demo has no directory to write to, a delivered upgrade).

The catalog lives here rather than in ``demo/`` because its groups and people are looked up by
name and its checks are the catalog services' own. As in a real desk, the everyday requests
(software, VPN, group memberships, laptops) are delivered by the Service Desk, where the demo
agent works; new accounts and shared mailboxes need the specialist groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.auth.models import Group, User
from app.extensions import db
from app.requests.catalog import services as catalog
from app.requests.models import CatalogCategory, CatalogItem, ServiceRequest
from app.requests.states import TaskState

CATEGORIES = [
    ("Accounts and access", "Accounts, directory groups, VPN and mailboxes.", 1),
    ("Software", "Installing and upgrading software on your computer.", 2),
    ("Hardware", "Laptops and accessories.", 3),
]
# The catalog in Swedish, for the demo's Swedish readers (app.i18n.content).
CATEGORIES_SV = {
    "Accounts and access": (
        "Konton och behörigheter",
        "Konton, kataloggrupper, VPN och brevlådor.",
    ),
    "Software": ("Programvara", "Installera och uppgradera program på din dator."),
    "Hardware": ("Hårdvara", "Bärbara datorer och tillbehör."),
}
# Directory groups come from the directory sync; the demo has no directory, so the automatic
# change falls back to a person (the point of the demo's "access" request).
ACCESS_GROUPS = ("Finance share", "Wiki editors")
SOFTWARE = ("7-Zip", "Visual Studio Code", "Zoom Workplace", "Adobe Acrobat Reader")
# The software items offer only what installs on an employee's computer (the CMDB's software
# attribute ``installs_on``, from demo/cmdb.json), never datacentre licences.
END_USER = {"installs_on": "Workstations"}
# The question both software items ask, in English and Swedish.
WHICH_SOFTWARE: dict[str, Any] = {
    "name": "software",
    "label": "Which software",
    "translations": {
        "sv": {
            "label": "Vilken programvara",
            "help": "Programvaran som är godkänd för våra arbetsstationer och datorer.",
        }
    },
    "type": "ci",
    "required": True,
    "ci_class": "software",
    "ci_attribute": "installs_on",
    "ci_value": END_USER["installs_on"],
    "help": "The software approved for our workstations and laptops.",
}

ITEMS: list[dict[str, Any]] = [
    {
        "name": "New employee account",
        "translations": {
            "sv": {
                "name": "Konto för ny medarbetare",
                "short_description": "Katalogkonto, brevlåda och dator till någon som börjar.",
            }
        },
        "category": "Accounts and access",
        "short_description": "Directory account, mailbox and laptop for someone joining.",
        "group": "Identity & Access",
        "delivery_days": 5,
        "approval_policy": [{"kind": "manager"}],
        "task_template": [
            {"stage": 1, "name": "Create the directory account"},
            {"stage": 2, "name": "Create the mailbox", "group": "Infrastructure"},
            {"stage": 2, "name": "Prepare the laptop", "group": "Service Desk"},
        ],
        "variables": [
            {
                "name": "full_name",
                "label": "Full name",
                "translations": {"sv": {"label": "Fullständigt namn"}},
                "type": "text",
                "required": True,
                "max_length": 120,
            },
            {
                "name": "start_date",
                "label": "Start date",
                "translations": {"sv": {"label": "Startdatum"}},
                "type": "date",
                "required": True,
            },
            {
                "name": "manager",
                "label": "Their manager",
                "translations": {"sv": {"label": "Chef"}},
                "type": "person",
                "required": True,
            },
            {
                "name": "needs_laptop",
                "label": "Needs a laptop",
                "translations": {"sv": {"label": "Behöver en bärbar dator"}},
                "type": "checkbox",
            },
        ],
    },
    {
        "name": "Access to a directory group",
        "translations": {
            "sv": {
                "name": "Behörighet till en kataloggrupp",
                "short_description": (
                    "Gå med i en kataloggrupp (utdelningar, wiki, verktyg); görs automatiskt."
                ),
            }
        },
        "category": "Accounts and access",
        "short_description": "Join a directory group (shares, wiki, tools); done automatically.",
        "group": "Service Desk",
        "delivery_days": 1,
        "approval_policy": [{"kind": "manager"}],
        "automation": "directory_group",
        "variables": [
            {
                "name": "directory_group",
                "label": "Group",
                "translations": {"sv": {"label": "Grupp"}},
                "type": "choice",
                "required": True,
                "choices": list(ACCESS_GROUPS),
            },
            {
                "name": "reason",
                "label": "Why you need it",
                "translations": {"sv": {"label": "Varför du behöver den"}},
                "type": "long_text",
                "required": True,
            },
        ],
    },
    {
        "name": "VPN access",
        "translations": {
            "sv": {
                "name": "VPN-åtkomst",
                "short_description": "Fjärråtkomst till företagets nätverk.",
            }
        },
        "category": "Accounts and access",
        "short_description": "Remote access to the company network.",
        "group": "Service Desk",
        "delivery_days": 1,
        "approval_policy": [{"kind": "manager"}],
        "task_template": [{"stage": 1, "name": "Enable the VPN profile"}],
        "variables": [
            {
                "name": "until",
                "label": "Needed until",
                "translations": {"sv": {"label": "Behövs till och med"}},
                "type": "date",
            },
            {
                "name": "reason",
                "label": "Why",
                "translations": {"sv": {"label": "Varför"}},
                "type": "long_text",
                "required": True,
            },
        ],
    },
    {
        "name": "Shared mailbox",
        "translations": {
            "sv": {
                "name": "Delad brevlåda",
                "short_description": "En brevlåda som ett team delar (support@, orders@…).",
            }
        },
        "category": "Accounts and access",
        "short_description": "A mailbox a team shares (support@, orders@…).",
        "group": "Infrastructure",
        "delivery_days": 3,
        "approval_policy": [
            {"kind": "manager"},
            {"kind": "group", "group": "IT Leadership", "rule": "first_response"},
        ],
        "task_template": [{"stage": 1, "name": "Create the shared mailbox"}],
        "variables": [
            {
                "name": "address",
                "label": "Address (before the @)",
                "translations": {"sv": {"label": "Adress (före @)"}},
                "type": "text",
                "required": True,
                "max_length": 40,
                "pattern": "[a-z][a-z0-9.-]{1,39}",
            },
            {
                "name": "owner",
                "label": "Owner",
                "translations": {"sv": {"label": "Ägare"}},
                "type": "person",
                "required": True,
            },
            {
                "name": "members",
                "label": "Members",
                "translations": {"sv": {"label": "Medlemmar"}},
                "type": "long_text",
            },
        ],
    },
    {
        "name": "Software installation",
        "translations": {
            "sv": {
                "name": "Installation av programvara",
                "short_description": "Installera godkänd programvara på din dator.",
            }
        },
        "category": "Software",
        "short_description": "Install approved software on your computer.",
        "group": "Service Desk",
        "delivery_days": 2,
        "approval_policy": [{"kind": "manager"}],
        "task_template": [{"stage": 1, "name": "Install the software"}],
        "variables": [
            dict(WHICH_SOFTWARE),
            {
                "name": "reason",
                "label": "What you need it for",
                "translations": {"sv": {"label": "Vad du behöver den till"}},
                "type": "long_text",
            },
        ],
    },
    {
        "name": "Software upgrade",
        "translations": {
            "sv": {
                "name": "Uppgradering av programvara",
                "short_description": "Uppgradera installerad programvara till en nyare version.",
            }
        },
        "category": "Software",
        "short_description": "Move installed software to a newer version.",
        "group": "Service Desk",
        "delivery_days": 2,
        "task_template": [{"stage": 1, "name": "Upgrade the software"}],
        "variables": [
            dict(WHICH_SOFTWARE),
            {
                "name": "version",
                "label": "Version wanted",
                "translations": {"sv": {"label": "Önskad version"}},
                "type": "text",
                "max_length": 40,
            },
        ],
    },
    {
        "name": "Laptop replacement",
        "translations": {
            "sv": {
                "name": "Ny bärbar dator",
                "short_description": (
                    "En ny bärbar dator när din är trasig, borttappad eller för gammal."
                ),
            }
        },
        "category": "Hardware",
        "short_description": "A new laptop when yours is broken, lost or too old.",
        "group": "Service Desk",
        "delivery_days": 7,
        "approval_policy": [
            {"kind": "manager"},
            {"kind": "group", "group": "IT Leadership", "rule": "anyone"},
        ],
        "task_template": [
            {"stage": 1, "name": "Order the laptop"},
            {"stage": 2, "name": "Set up and hand over the laptop"},
        ],
        "variables": [
            {
                "name": "model",
                "label": "Model",
                "translations": {
                    "sv": {"label": "Modell", "choices": ["14 tum, standard", "16 tum, prestanda"]}
                },
                "type": "choice",
                "required": True,
                "choices": ["14-inch standard", "16-inch performance"],
            },
            {
                "name": "reason",
                "label": "Reason",
                "translations": {
                    "sv": {
                        "label": "Anledning",
                        "choices": ["Trasig", "Borttappad eller stulen", "Äldre än fyra år"],
                    }
                },
                "type": "choice",
                "required": True,
                "choices": ["Broken", "Lost or stolen", "Older than four years"],
            },
            {
                "name": "asset_tag",
                "label": "Current asset tag",
                "translations": {
                    "sv": {
                        "label": "Nuvarande inventarienummer",
                        "help": "På etiketten under datorn, t.ex. KF-01234.",
                    }
                },
                "type": "text",
                "pattern": "KF-\\d{5}",
                "help": "On the sticker under the laptop, e.g. KF-01234.",
            },
            {
                "name": "photo",
                "label": "Photo of the damage",
                "translations": {"sv": {"label": "Foto av skadan"}},
                "type": "attachment",
            },
        ],
    },
]


@dataclass
class RequestsDemoReport:
    items_added: int = 0
    requests_added: int = 0


def _software_cis() -> None:
    from app.cmdb import services as cmdb
    from app.cmdb.models import CIClass, ConfigurationItem

    software = db.session.scalar(select(CIClass).where(CIClass.name == "software"))
    if software is None:
        return
    have = set(db.session.scalars(select(ConfigurationItem.name)))
    for name in SOFTWARE:
        if name not in have:
            cmdb.create_ci(
                actor=None, ci_class=software, name=name, attribute_values=dict(END_USER)
            )


def load_catalog() -> RequestsDemoReport:
    """Create the demo categories and items that do not exist yet (flushes only)."""
    report = RequestsDemoReport()
    groups = {g.name: g for g in db.session.scalars(select(Group)).unique()}
    if not {"Identity & Access", "Service Desk"} <= set(groups):
        return report  # the demo organisation is not there
    _software_cis()
    categories = {c.name: c for c in db.session.scalars(select(CatalogCategory))}
    for name, description, position in CATEGORIES:
        if name not in categories:
            sv_name, sv_description = CATEGORIES_SV[name]
            categories[name] = catalog.save_category(
                None,
                actor=None,
                name=name,
                description=description,
                position=position,
                translations={"sv": {"name": sv_name, "description": sv_description}},
            )
    existing = set(db.session.scalars(select(CatalogItem.name)))
    owner = db.session.scalar(select(User).where(User.username == "owner"))
    for spec in ITEMS:
        if spec["name"] in existing:
            continue
        levels = [
            {k: v for k, v in level.items() if k != "group"}
            | ({"group_id": groups[level["group"]].id} if "group" in level else {})
            for level in spec.get("approval_policy", [])
        ]
        tasks = [
            {k: v for k, v in task.items() if k != "group"}
            | ({"group_id": groups[task["group"]].id} if "group" in task else {})
            for task in spec.get("task_template", [])
        ]
        catalog.create_item(
            actor=None,
            name=spec["name"],
            short_description=spec["short_description"],
            category_id=categories[spec["category"]].id,
            fulfilment_group_id=groups[spec["group"]].id,
            delivery_days=spec["delivery_days"],
            service_owner_id=owner.id if owner else None,
            approval_policy=levels,
            task_template=tasks,
            automation=spec.get("automation"),
            translations=spec.get("translations"),
            variables=spec["variables"],
        )
        report.items_added += 1
    return report


def load_requests(now: datetime) -> int:
    """A few requests in various states, when the desk has none yet; returns how many."""
    from app.requests.approvals import services as approvals
    from app.requests.fulfilment import services as fulfilment
    from app.requests.ordering.services import OrderLine, order

    if db.session.scalar(select(func.count()).select_from(ServiceRequest)):
        return 0
    people = {u.username: u for u in db.session.scalars(select(User))}
    items = {i.name: i for i in db.session.scalars(select(CatalogItem))}
    if not {"employee", "agent"} <= set(people) or len(items) < len(ITEMS):
        return 0
    emma, agent = people["employee"], people["agent"]
    software = _first_software()

    def place(name: str, answers: dict[str, Any], days_ago: float, who: User = emma) -> Any:
        request = order(
            orderer=who,
            requested_for=who,
            lines=[OrderLine(items[name], answers)],
            now=now - timedelta(days=days_ago),
        )
        return request.items[0]

    def decide(item: Any, approve: bool, comment: str, days_ago: float) -> None:
        approval = item.waiting_approvals[0]
        approvals.decide(
            approval,
            actor=approval.approver,
            approve=approve,
            comment=comment,
            now=now - timedelta(days=days_ago),
        )

    place(
        "Laptop replacement",
        {"model": "14-inch standard", "reason": "Broken", "asset_tag": "KF-01234"},
        1,
    )
    access = place(
        "Access to a directory group",
        {"directory_group": "Wiki editors", "reason": "I edit the events pages."},
        3,
    )
    decide(access, True, "Fine for me.", 2.9)
    place("VPN access", {"reason": "Working from home on Fridays."}, 0.5)
    mailbox = place("Shared mailbox", {"address": "events", "owner": str(emma.id)}, 6)
    decide(mailbox, False, "Use the marketing@ mailbox we already have.", 5)
    if software is not None:
        upgrade = place("Software upgrade", {"software": str(software.id), "version": "latest"}, 8)
        for task in upgrade.tasks:
            fulfilment.change_task_state(
                task, TaskState.IN_PROGRESS, actor=agent, now=now - timedelta(days=7.5)
            )
            fulfilment.change_task_state(
                task,
                TaskState.CLOSED,
                actor=agent,
                close_code="complete",
                now=now - timedelta(days=7),
            )
        install = place("Software installation", {"software": str(software.id)}, 2)
        decide(install, True, "", 1.5)
    return db.session.scalar(select(func.count()).select_from(ServiceRequest)) or 0


def _first_software() -> Any:
    from app.cmdb.models import CIClass, ConfigurationItem

    return db.session.scalar(
        select(ConfigurationItem)
        .join(CIClass, CIClass.id == ConfigurationItem.class_id)
        .where(CIClass.name == "software")
        .order_by(ConfigurationItem.name)
    )

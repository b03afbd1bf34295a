"""Who may read SLAs, people, groups, articles, notifications and search through the API, and
write articles: exactly what the pages allow."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.authz import ROLES, Case, World, run

EVERYONE = {r: 200 for r in ("owner", "employee", "agent", "service_owner", "admin", "none")}
PEOPLE_SEARCHERS = {"owner": 200, "employee": 200, "agent": 200, "service_owner": 200, "admin": 200}
READERS = {"owner": 200, "employee": 200, "agent": 200, "service_owner": 200, "admin": 200}


def _ticket(world: World) -> dict[str, Any]:
    incident = world.fixture("make_incident")(world.owner)
    return {"number": incident.number}


def _group(world: World) -> dict[str, Any]:
    from app.auth import groups
    from app.extensions import db

    made = groups.create_group(actor=None, name=f"Group of {world.owner.username}")
    groups.add_members(made, [world.owner], actor=None)
    db.session.commit()
    return {"id": made.id}


def _article(world: World, *, publish: bool = True) -> dict[str, Any]:
    """An article for everyone, written by an agent (published unless ``publish`` is False)."""
    from app.extensions import db
    from app.kb import services

    author = world.fixture("make_user")(roles=["agent", "employee"])
    article = services.create_article(
        author, services.ArticleFields(title="Reset a password", body="Use the portal.")
    )
    if publish:
        services.submit_for_review(article, author)
        services.publish(article, author)
    db.session.commit()
    return {"number": article.number, "etag": f'"article-{article.id}-v{article.version}"'}


def _draft(world: World) -> dict[str, Any]:
    return _article(world, publish=False)


def _in_review(world: World) -> dict[str, Any]:
    from app.extensions import db
    from app.kb import services

    values = _article(world, publish=False)
    article = services.find(values["number"])
    services.submit_for_review(article, article.owner)
    db.session.commit()
    return {**values, "etag": f'"article-{article.id}-v{article.version}"'}


def _notification(world: World) -> dict[str, Any]:
    """A notification of the owner's (made directly: its fan-out is the notifications'
    business, tested there)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.notifications.models import Notification
    from app.tickets.models import TicketEvent

    incident = world.fixture("make_incident")(world.owner)
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == incident.id))
    note = Notification(
        event_id=event.id,
        ticket_id=incident.id,
        recipient_id=world.owner.id,
        kind="commented",
        summary="Someone wrote",
    )
    db.session.add(note)
    db.session.commit()
    return {"id": note.id}


CASES = [
    Case(
        "sla_api.ticket_slas",
        "GET",
        "/api/v1/tickets/{number}/slas",
        setup=_ticket,
        # IT staff see SLAs on ticket pages; the caller does not; a service owner reads those
        # of their services' tickets only (this one is on no service: not told it exists).
        expect={"agent": 200, "service_owner": 404},
    ),
    Case("directory_api.list_users", "GET", "/api/v1/users?q=a", expect=PEOPLE_SEARCHERS),
    Case(
        "directory_api.read_user",
        "GET",
        "/api/v1/users/{id}",
        setup=lambda world: {"id": world.owner.id},
        expect=PEOPLE_SEARCHERS,
    ),
    Case(
        "directory_api.list_groups",
        "GET",
        "/api/v1/groups",
        expect={"agent": 200, "service_owner": 200, "admin": 200},
    ),
    Case(
        "directory_api.read_group",
        "GET",
        "/api/v1/groups/{id}",
        setup=_group,
        expect={"agent": 200, "service_owner": 200, "admin": 200},
    ),
    Case("kb_api.list_articles", "GET", "/api/v1/kb/articles", expect=READERS),
    Case(
        "kb_api.read_article",
        "GET",
        "/api/v1/kb/articles/{number}",
        setup=_article,
        expect=READERS,
    ),
    Case(
        "kb_api.create_article",
        "POST",
        "/api/v1/kb/articles",
        json={"title": "Printers", "body": "Turn it off and on."},
        # IT staff write articles (kb.write: agents, service owners, administrators).
        expect={"agent": 201, "service_owner": 201, "admin": 201},
    ),
    Case(
        "kb_api.update_article",
        "PATCH",
        "/api/v1/kb/articles/{number}",
        setup=_draft,
        json={"keywords": "password"},
        if_match="etag",
        # Only its owner or a knowledge manager (administrators are) edits an article.
        expect={"admin": 200},
    ),
    Case(
        "kb_api.submit_article",
        "POST",
        "/api/v1/kb/articles/{number}/submit",
        setup=_draft,
        if_match="etag",
        expect={"admin": 200},
    ),
    Case(
        "kb_api.send_back_article",
        "POST",
        "/api/v1/kb/articles/{number}/send-back",
        setup=_in_review,
        if_match="etag",
        # Reviewing is the knowledge managers' (administrators are), as on the article page.
        expect={"admin": 200},
    ),
    Case(
        "kb_api.publish_article",
        "POST",
        "/api/v1/kb/articles/{number}/publish",
        setup=_in_review,
        if_match="etag",
        expect={"admin": 200},
    ),
    Case(
        "kb_api.retire_article",
        "POST",
        "/api/v1/kb/articles/{number}/retire",
        setup=_article,
        if_match="etag",
        # Its owner (another agent here) or a knowledge manager retires an article.
        expect={"admin": 200},
    ),
    Case("notifications_api.list_notifications", "GET", "/api/v1/notifications", expect=EVERYONE),
    Case(
        "notifications_api.mark_read",
        "POST",
        "/api/v1/notifications/{id}/read",
        setup=_notification,
        # Another person's notification does not exist for them.
        expect={"owner": 200},
        default=404,
    ),
    Case("notifications_api.mark_all_read", "POST", "/api/v1/notifications/read", expect=EVERYONE),
    Case("search_api.search", "GET", "/api/v1/search?q=printer", expect=EVERYONE),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_read_operations(case: Case, role: str, api_client, request) -> None:
    run(case, role, request)

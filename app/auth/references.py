"""How a person is referred to outside the pages: the API's bodies and the webhooks' payloads
share this one shape, so an integrator reads the same fields everywhere."""

from __future__ import annotations

from typing import Any


def person(user: Any, *, email: bool = False) -> dict[str, Any] | None:
    """``{"id", "username", "display_name"}`` of ``user`` (None for nobody); ``email`` adds the
    address (webhooks carry it: an administrator set them up for IT staff)."""
    if user is None:
        return None
    found = {"id": user.id, "username": user.username, "display_name": user.display_name}
    if email:
        found["email"] = user.email
    return found

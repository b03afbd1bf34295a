"""Helpers shared by the portal and approval page tests."""

from __future__ import annotations

import re
from typing import Any


def sign_in_as(client: Any, user: Any) -> None:
    """Sign the test client out (if needed) and in as ``user``."""
    client.post("/logout")
    response = client.login(user.username)
    assert response.status_code == 302
    assert response.location == "/", response.location


def field_error(page: str, name: str) -> str:
    """The error text shown at field ``name`` ('' when none)."""
    found = re.search(rf'id="{re.escape(name)}-error"[^>]*>([^<]*)<', page)
    return found[1] if found else ""


def flashed(page: str) -> list[str]:
    """The texts of the flashed messages on a page."""
    return [
        " ".join(m.split())
        for m in re.findall(
            r'<i class="bi bi-[a-z-]+" aria-hidden="true"></i>\s*([^<]*)<button', page
        )
    ]


def squash(page: str) -> str:
    """The page with every run of whitespace made one space (to read markup across lines)."""
    return " ".join(page.split())

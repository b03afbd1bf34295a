"""Helpers of the knowledge tests."""

from __future__ import annotations

from typing import Any


def sign_in_as(client: Any, username: str) -> None:
    """Sign out whoever is signed in, then sign in as ``username``."""
    client.post("/logout")
    response = client.login(username)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]

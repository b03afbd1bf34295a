"""The authorization matrix harness: every API operation × role → the status the pages decide.

A resource's matrix lives in ``tests/api/test_<resource>_matrix.py`` as ``CASES``, a list of
:class:`Case`, and is run by ``run(case, role, ...)`` from a test parametrized over
``cases × ROLES`` (copy the test of ``test_incidents_matrix.py``: it asks for ``api_client``
so that it runs on both databases).
``test_every_operation_is_in_a_matrix`` fails when an API operation has no case.

Roles: ``owner`` is the employee whose objects the setup makes (caller of the incident...),
``employee`` another employee, ``agent``, ``service_owner``, ``admin``, and ``none`` (a person
without any role). ``expect`` maps each role to the status it gets; roles left out get
``default``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLES = ("owner", "employee", "agent", "service_owner", "admin", "none")


@dataclass
class World:
    """What a case's setup may use: the owner and the test's fixtures by name."""

    owner: Any
    fixture: Callable[[str], Any]


@dataclass
class Case:
    endpoint: str  # the Flask endpoint, e.g. "incidents_api.read_incident"
    method: str
    path: str  # formatted with what setup returns: "/api/v1/incidents/{number}"
    expect: dict[str, int]
    default: int = 403
    json: Any = None
    setup: Callable[[World], dict[str, Any]] | None = None
    #: the If-Match header: "etag" sends the object's current ETag (setup returns "etag")
    if_match: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.endpoint}"

    def expected(self, role: str) -> int:
        return self.expect.get(role, self.default)


def run(case: Case, role: str, request: Any) -> Any:
    """Run ``case`` as ``role`` and assert the status; returns the response."""
    make_user = request.getfixturevalue("make_user")
    api_client = request.getfixturevalue("api_client")
    owner = make_user(roles=["employee"])
    values = case.setup(World(owner, request.getfixturevalue)) if case.setup else {}
    user = owner if role == "owner" else make_user(roles=[] if role == "none" else [role])
    api, _ = api_client(user=user)
    headers = dict(case.headers)
    if case.if_match == "etag":
        headers["If-Match"] = values["etag"]
    elif case.if_match:
        headers["If-Match"] = case.if_match
    kwargs: dict[str, Any] = {"headers": headers}
    if case.json is not None:
        kwargs["json"] = case.json(values) if callable(case.json) else case.json
    response = api.open(case.method, case.path.format(**values), **kwargs)
    want = case.expected(role)
    assert response.status_code == want, (
        f"{role} {case}: {response.status_code} (wanted {want}) {response.get_data(as_text=True)}"
    )
    return response

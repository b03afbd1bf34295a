"""Every registered route declares who may use it, and the declaration holds.

The table of routes is read from the application, so a new route is covered the day it is
added: without a ``@require``/``@public``/``@signed_in`` mark this suite fails.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from app import policy
from app.auth.models import Role

STATIC_ENDPOINTS = {"static"}


def _routes(app) -> list[tuple[Rule, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in STATIC_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((rule, method))
    return routes


def _session_routes(app) -> list[tuple[Rule, str]]:
    """The routes a session cookie reaches: the API's token-only operations (their views carry
    ``api_scope``) answer 401 without a token and have their own matrix in tests/api."""
    return [
        (r, m) for r, m in _routes(app) if not hasattr(app.view_functions[r.endpoint], "api_scope")
    ]


def _url(rule: Rule) -> str:
    """A concrete URL for the rule, with placeholder values for its arguments."""
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument]
        values[argument] = 1 if type(converter).__name__ in ("IntegerConverter",) else "x"
    return rule.build(values, append_unknown=False)[1]


def _action(app, rule: Rule) -> str | None:
    return getattr(app.view_functions[rule.endpoint], "policy_action", None)


def test_every_route_declares_its_policy(app):
    undeclared = [r.endpoint for r, _ in _routes(app) if _action(app, r) is None]
    assert undeclared == [], f"routes without @require/@public/@signed_in: {undeclared}"
    unknown = {
        _action(app, r)
        for r, _ in _routes(app)
        if _action(app, r) not in policy.actions() | {policy.PUBLIC, policy.SIGNED_IN}
    }
    assert unknown == set()


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    for rule, method in _session_routes(app):
        if _action(app, rule) == policy.PUBLIC:
            continue
        url = _url(rule)
        response = client.open(method, url, data={"csrf_token": client.csrf_token()})
        assert response.status_code == 302, f"{method} {url}: {response.status_code}"
        assert response.location.startswith("/login?next="), f"{method} {url}"


def test_a_signed_in_user_without_the_role_is_refused(app, signed_in):
    client, _user = signed_in()  # no role at all
    token = client.csrf_token()
    checked = 0
    for rule, method in _session_routes(app):
        if _action(app, rule) in (policy.PUBLIC, policy.SIGNED_IN):
            continue
        url = _url(rule)
        response = client.open(method, url, data={"csrf_token": token})
        assert response.status_code == 403, f"{method} {url}: {response.status_code}"
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_reaches_exactly_what_the_policy_allows(app, signed_in, role):
    client, user = signed_in(role)
    token = client.csrf_token()
    for rule, method in _session_routes(app):
        action = _action(app, rule)
        if action in (policy.PUBLIC, policy.SIGNED_IN) or rule.endpoint == "auth.logout":
            continue
        url = _url(rule)
        response = client.open(method, url, data={"csrf_token": token})
        if policy.can(user, action):
            # Allowed: the page answers (a placeholder id may not exist, a form may be invalid).
            assert response.status_code in (200, 302, 400, 404, 422), f"{method} {url}"
        else:
            assert response.status_code == 403, f"{role} {method} {url}: {response.status_code}"


def test_unknown_actions_fail_closed(make_user):
    user = make_user(roles=["admin"])
    with pytest.raises(LookupError):
        policy.can(user, "no.such.action")
    with pytest.raises(LookupError):
        policy.require("no.such.action")


def test_anonymous_and_deactivated_users_may_do_nothing(make_user, db):
    from flask_login import AnonymousUserMixin

    assert not policy.can(AnonymousUserMixin(), "portal.use")
    assert not policy.can(None, "admin.users")
    admin = make_user(roles=["admin", "employee"])
    assert policy.can(admin, "admin.users")
    admin.is_active = False
    assert not policy.can(admin, "admin.users")
    assert not policy.can(admin, policy.SIGNED_IN)

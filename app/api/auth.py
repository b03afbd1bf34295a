"""Who is calling: a Bearer token in ``Authorization`` names the person, its scopes narrow what
the token may do, and the policy module (``app.policy``) decides every call as in the pages.

The API is for tokens only: a session cookie is ignored (so the API blueprints are exempt from
CSRF, which protects cookie-authenticated forms; a cross-site page cannot add a Bearer header).
:func:`operation` is the one decorator every API view wears: it marks the view with its policy
action for the route-policy test and checks, in order, the token (401), the scope (403) and
the policy rule (403). The person then is ``current_user`` for the view and the services it
calls, exactly as if they had signed in (nothing is written to any session).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user

from app import policy
from app.api import scopes
from app.api.tokens import services as tokens
from app.api.tokens.models import ApiToken
from app.errors import DomainError, Forbidden
from app.extensions import db

View = TypeVar("View", bound=Callable[..., Any])


class Unauthorized(DomainError):
    """No token, or one that is unknown, expired or revoked (401)."""

    status = 401
    title = "Not signed in"


def bearer() -> str | None:
    """The token of ``Authorization: Bearer <token>``; None without one."""
    header = request.headers.get("Authorization", "")
    kind, _, value = header.partition(" ")
    if kind.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_token() -> ApiToken | None:
    return g.get("api_token")


def authenticate() -> ApiToken:
    """Find the request's token and make its person ``current_user`` (once per request).

    :raise Unauthorized: no usable token.
    """
    token = current_token()
    if token is not None:
        return token
    raw = bearer()
    if raw is None:
        raise Unauthorized("Send a token: Authorization: Bearer <token>.")
    token = tokens.authenticate(raw)
    if token is None:
        raise Unauthorized("This token is unknown, expired or revoked.")
    if token in db.session.dirty:
        db.session.commit()  # the last use, noted before the operation's own transaction
    g.api_token = token
    g._login_user = token.user  # Flask-Login's current_user for this request only
    return token


def require_scope(needed: str) -> None:
    """:raise Forbidden: the token lacks ``needed`` (``AREA:read`` or ``AREA:write``)."""
    token = authenticate()
    if not scopes.allows(token.scopes, needed):
        raise Forbidden(_("This token lacks the scope %(scope)s.", scope=needed))


def operation(action: str, scope: str) -> Callable[[View], View]:
    """Decorate an API view: the policy ``action`` (``@rule`` name, or ``policy.SIGNED_IN``)
    and the token ``scope`` it needs (``AREA:read`` / ``AREA:write``; the area must be
    registered with :func:`app.api.scopes.add_area`)."""
    if action not in (policy.PUBLIC, policy.SIGNED_IN) and action not in policy.actions():
        raise LookupError(f"no authorization rule is registered for {action!r}")
    area = scope.partition(":")[0]
    if area not in scopes.AREAS:
        raise LookupError(f"no API scope area {area!r} is registered")

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            require_scope(scope)
            policy.authorize(current_user, action)
            return view(*args, **kwargs)

        guarded.policy_action = action  # type: ignore[attr-defined]
        guarded.api_scope = scope  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate

"""Authorization in one place: "may this user do this to this object?".

Each domain registers its rules in its ``permissions.py`` with ``@rule("domain.action")``. A
rule is a predicate ``(user, obj) -> bool`` over an active, signed-in user; ``can`` answers for
anybody (anonymous and deactivated users may do nothing) and fails closed on an action nobody
registered. Views declare what they need with ``@require(action)`` (or ``@public`` /
``@signed_in``); that mark is what the route-walking test reads, so a route without one fails
the suite. Templates ask the same question through the ``can`` global.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.local import LocalProxy

from app.errors import Forbidden
from app.extensions import login_manager

Predicate = Callable[[Any, Any], bool]
View = TypeVar("View", bound=Callable[..., Any])

PUBLIC = "public"
SIGNED_IN = "signed_in"

_rules: dict[str, Predicate] = {}


def rule(action: str) -> Callable[[Predicate], Predicate]:
    """Register ``predicate`` as the rule for ``action``; one rule per action."""

    def register(predicate: Predicate) -> Predicate:
        if action in _rules and _rules[action] is not predicate:
            raise RuntimeError(f"a rule for {action!r} is already registered")
        _rules[action] = predicate
        return predicate

    return register


def actions() -> frozenset[str]:
    return frozenset(_rules)


def can(user: Any, action: str, obj: Any = None) -> bool:
    """True when ``user`` may do ``action`` (to ``obj`` where the rule looks at one)."""
    if action == PUBLIC:
        return True
    if isinstance(user, LocalProxy):  # ``current_user``: resolved once, not at each attribute
        user = user._get_current_object()
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if action == SIGNED_IN:
        return True
    predicate = _rules.get(action)
    if predicate is None:
        raise LookupError(f"no authorization rule is registered for {action!r}")
    return bool(predicate(user, obj))


def authorize(user: Any, action: str, obj: Any = None) -> None:
    """:raise Forbidden: the user may not do ``action``."""
    if not can(user, action, obj):
        raise Forbidden(_("You do not have permission to do this."))


def _mark(view: Any, action: str) -> None:
    view.policy_action = action


def require(action: str) -> Callable[[View], View]:
    """View decorator: anonymous users are sent to sign in, others need ``action``."""
    if action not in (PUBLIC, SIGNED_IN) and action not in _rules:
        raise LookupError(f"no authorization rule is registered for {action!r}")

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user = current_user._get_current_object()
            if not user.is_authenticated:
                return login_manager.unauthorized()
            authorize(user, action)
            return view(*args, **kwargs)

        _mark(guarded, action)
        return guarded  # type: ignore[return-value]

    return decorate


def public(view: View) -> View:
    """Mark a view as open to everyone, signed in or not."""
    _mark(view, PUBLIC)
    return view


signed_in = require(SIGNED_IN)

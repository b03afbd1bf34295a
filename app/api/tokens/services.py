"""Making, finding and revoking API tokens, and service accounts. Services flush; the caller
commits (the settings page, the CLI, tests)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.api import scopes as scope_rules
from app.api.tokens.models import ApiToken, ServiceAccount
from app.auth import services as accounts
from app.auth.models import Role, User
from app.errors import Forbidden, Invalid, NotFound
from app.extensions import db
from app.timeutils import utc_now

PREFIX = "dg"
MAX_DAYS = 3650
#: ``last_used_at`` is written at most this often per token, not on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class MadeToken:
    """A new token and its secret, which exists only here: it is shown once, then gone."""

    token: ApiToken
    secret: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split(raw: str) -> tuple[str, str] | None:
    """``dg_<lookup>_<secret>`` → (lookup, secret); None when it is not shaped like a token."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    if len(parts[1]) > 16 or len(parts[2]) > 100:
        return None
    return parts[1], parts[2]


def create_token(
    user: User,
    *,
    name: str,
    scopes: Iterable[str] = (),
    expires_days: int | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> MadeToken:
    """Make a token for ``user``; no scopes means every scope (the person's roles still
    decide everything).

    :raise Invalid: no name, a name too long, an unknown scope, an expiry out of range.
    """
    now = now or utc_now()
    problems: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        problems["name"] = "Give the token a name that says where it is used."
    elif len(name) > 100:
        problems["name"] = "Keep the name under 100 characters."
    wanted = scope_rules.normalise(scopes) or scope_rules.all_scopes()[:2]
    if unknown := scope_rules.scope_problems(wanted):
        problems["scopes"] = f"Unknown scopes: {', '.join(unknown)}."
    if expires_days is not None and not 1 <= expires_days <= MAX_DAYS:
        problems["expires_days"] = f"Choose between 1 and {MAX_DAYS} days, or no expiry."
    if not user.is_active:
        problems["user"] = "This account is deactivated."
    if problems:
        raise Invalid(problems, "The token was not made: " + " ".join(problems.values()))
    lookup = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        lookup=lookup,
        secret_hash=_digest(secret),
        scopes=wanted,
        created_at=now,
        created_by_id=getattr(actor, "id", None),
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token", token.id, "created", {"name": name, "scopes": wanted})
    return MadeToken(token, f"{PREFIX}_{lookup}_{secret}")


def authenticate(raw: str, now: datetime | None = None) -> ApiToken | None:
    """The usable token ``raw`` stands for, or None (unknown, wrong secret, expired, revoked,
    or its person deactivated). Notes the last use (at most once a minute) on the token; the
    caller commits it."""
    parts = split(raw)
    if parts is None:
        return None
    lookup, secret = parts
    token = db.session.scalar(select(ApiToken).where(ApiToken.lookup == lookup))
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(secret)):
        return None
    now = now or utc_now()
    if not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token


def tokens_of(user: User) -> Sequence[ApiToken]:
    return db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id)
    ).all()


def revoke_token(token: ApiToken, *, actor: User, now: datetime | None = None) -> bool:
    """Revoke ``token`` (its owner or an administrator); False when it already was.

    :raise Forbidden: ``actor`` may not revoke it.
    """
    if token.user_id != actor.id and not actor.has_role(Role.ADMIN):
        raise Forbidden(_("You can only revoke your own tokens."))
    if token.revoked_at is not None:
        return False
    token.revoked_at = now or utc_now()
    audit.record(actor, "api_token", token.id, "revoked", {"name": token.name})
    db.session.flush()
    return True


def own_token(user: User, token_id: int) -> ApiToken:
    """:raise NotFound: ``user`` has no token with this id."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("You have no token with this id."))
    return token


def create_service_account(
    *,
    username: str,
    display_name: str,
    roles: Iterable[Role],
    description: str = "",
    actor: Any = None,
) -> User:
    """A person row for an integration (no password: it never signs in to the pages).

    :raise Invalid: the username is taken or malformed.
    """
    user = accounts.create_local_user(
        username=username, display_name=display_name, password=None, roles=roles, actor=actor
    )
    db.session.add(ServiceAccount(user_id=user.id, description=description.strip()[:500]))
    db.session.flush()
    return user


def is_service_account(user: User) -> bool:
    return db.session.get(ServiceAccount, user.id) is not None

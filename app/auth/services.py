"""Accounts and sign-in: the business rules, callable from views, CLI, jobs and tests.

Services check rules, change rows, write the audit trail and flush; the caller commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, Table, bindparam, func, select
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from app import audit
from app.auth import throttle
from app.auth.directory.settings import DirectoryUnavailable
from app.auth.models import AccountSource, GrantSource, Role, RoleGrant, User
from app.auth.sessions import end_sessions
from app.auth.signals import people_changed
from app.errors import Conflict, DomainError, Invalid
from app.extensions import db
from app.i18n import locale
from app.timeutils import utc_now

COMMON_PASSWORDS = frozenset(
    {"password", "password123", "123456789012", "qwertyuiopas", "letmeinplease", "deskgraph"}
)
log = logging.getLogger(__name__)
USER_FIELDS = (
    "display_name",
    "email",
    "department",
    "title",
    "phone",
    "location",
    "timezone",
    "language",
)


class SignInRefused(DomainError):
    status = 401
    title = _l("Sign-in refused")


class SignInUnavailable(DomainError):
    """The directory could not be asked; local accounts can still sign in."""

    status = 503
    title = _l("Directory unavailable")


def normalise_username(username: str) -> str:
    return username.strip().lower()


def password_problems(password: str, username: str = "") -> list[str]:
    """What makes ``password`` too weak for a local account (empty list: it is fine)."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    problems = []
    if len(password) < minimum:
        problems.append(_("Use at least %(minimum)s characters.", minimum=minimum))
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        problems.append(_("This password is too easy to guess."))
    if username and normalise_username(username) in password.lower():
        problems.append(_("The password must not contain the username."))
    return problems


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-real-password", method=method)


def _check_dummy_password(password: str) -> None:
    """Spend what checking a real password hash costs, whatever the answer."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    check_password_hash(_dummy_hash(method), password)


def validate_timezone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            {"timezone": _("%(name)s is not a known time zone.", name=repr(name))}
        ) from None
    return name


def validate_language(code: str | None) -> str | None:
    """A language the desk speaks, or ``None`` (the directory's, the browser's, the default)."""
    if not code:
        return None
    if code not in locale.available():
        raise Invalid({"language": _("The desk does not speak this language.")})
    return code


@cache
def by_username() -> Select[User]:
    """The select of a person by username, its bind parameter ``username`` valued with
    :func:`normalise_username`: built once per process, for callers to extend (options, other
    rows joined) and run with their values."""
    return select(User).where(User.username == bindparam("username"))


def get_user_by_username(username: str) -> User | None:
    return db.session.scalar(by_username(), {"username": normalise_username(username)})


def create_local_user(
    *,
    username: str,
    display_name: str,
    password: str | None,
    roles: Iterable[Role] = (Role.EMPLOYEE,),
    actor: User | None = None,
    **fields: str | None,
) -> User:
    """Create a local account.

    :raise Invalid: the username is taken or malformed, or the password is too weak.
    """
    username = normalise_username(username)
    if not username or any(c.isspace() for c in username):
        raise Invalid({"username": _("A username is required and cannot contain spaces.")})
    if get_user_by_username(username) is not None:
        raise Invalid(
            {"username": _("The username “%(username)s” is already taken.", username=username)}
        )
    if password is not None and (problems := password_problems(password, username)):
        raise Invalid({"password": problems})
    unknown = set(fields) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"unknown user fields: {sorted(unknown)}")
    fields["timezone"] = validate_timezone(fields.get("timezone"))
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        source=AccountSource.LOCAL,
        password_hash=hash_password(password) if password else None,
        **fields,
    )
    user.role_grants = [RoleGrant(role=r, source=GrantSource.LOCAL) for r in set(roles)]
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "user",
        user.id,
        "created",
        {"username": [None, username], **_roles_change((), roles)},
    )
    return user


def _roles_change(before: Iterable[Role], after: Iterable[Role]) -> dict[str, list[list[str]]]:
    old, new = sorted(r.value for r in before), sorted(r.value for r in set(after))
    return {} if old == new else {"roles": [old, new]}


def _refuse(username: str, address: str, now: datetime, message: object) -> SignInRefused:
    throttle.record_failure(username, address, now)
    return SignInRefused(str(message))


WRONG_CREDENTIALS = _l("The username or password is not correct.")
DEACTIVATED = _l("This account is deactivated. Contact the service desk.")
DIRECTORY_DOWN = _l(
    "The directory is unavailable right now, so directory accounts cannot sign in. "
    "Please try again in a few minutes."
)


def _signed_in(user: User, username: str, address: str, now: datetime) -> User:
    """Record the sign-in. ``last_login_at`` is written with a plain UPDATE that neither
    checks nor bumps the row's ``version``: a sign-in is not an edit of the account, so two
    browsers signing in at once (or an administrator editing the person meanwhile) must not
    conflict."""
    throttle.clear(username, address)
    db.session.flush()
    users = cast(Table, User.__table__)
    db.session.execute(users.update().where(users.c.id == user.id).values(last_login_at=now))
    set_committed_value(user, "last_login_at", now)
    return user


def _authenticate_with_directory(
    username: str, password: str, *, address: str, now: datetime
) -> User:
    """Search the person in the directory, bind as them, then create or update the account.

    A password hash is checked first, against a dummy hash, so that a name unknown to the
    desk costs what a local account costs: without it a local account answered ten times
    slower than any other name, which told who has one.
    """
    _check_dummy_password(password)
    if not password:  # never let an empty password reach a bind (unauthenticated bind)
        raise _refuse(username, address, now, WRONG_CREDENTIALS)
    from app.auth.directory import sync  # here: it imports ldap3 (issue 20)

    try:
        directory = sync.directory_from_config(current_app.config)
        entry = directory.authenticate(username, password)
        if entry is None:
            raise _refuse(username, address, now, WRONG_CREDENTIALS)
        user, _report = sync.sign_in_from_directory(directory, entry)
    except DirectoryUnavailable as error:
        log.error("directory sign-in of %r impossible: %s", username, error)
        # Counted like a refusal: names sent while the directory is down are throttled too.
        throttle.record_failure(username, address, now)
        raise SignInUnavailable(str(DIRECTORY_DOWN)) from None
    if user is None:  # a local account holds this username: never linked silently
        raise _refuse(username, address, now, WRONG_CREDENTIALS)
    if not user.is_active:
        raise _refuse(username, address, now, DEACTIVATED)
    return _signed_in(user, username, address, now)


def authenticate(
    username: str, password: str, *, address: str, now: datetime | None = None
) -> User:
    """Check credentials and record the sign-in.

    Local accounts (the bootstrap administrator, sites without a directory) check their
    password hash. When ``LDAP_URL`` is set, everybody else is checked against the directory
    (search, then bind as the entry found) and their account is created or updated from it.

    A failure (also one of the directory) is recorded for throttling; the caller must commit
    in every case so that it counts. The message never says whether the username exists.

    :raise SignInThrottled: this username must wait after failures from this address, or the
        address failed too often (``app.auth.throttle``).
    :raise SignInRefused: unknown user, wrong password, or deactivated account.
    :raise SignInUnavailable: the directory cannot be reached (or is misconfigured).
    """
    now = now or utc_now()
    # NUL cannot be stored (PostgreSQL refuses it) nor be part of any real username.
    username = normalise_username(username).replace("\x00", "\ufffd")
    throttle.check_address(address, now)
    throttle.claim_attempt(username, address, now)
    user = get_user_by_username(username) if username else None
    if current_app.config.get("LDAP_URL") and (user is None or user.source != AccountSource.LOCAL):
        return _authenticate_with_directory(username, password, address=address, now=now)
    stored = user.password_hash if user is not None and user.password_hash else None
    # Hash even when there is no account, so response time does not reveal which names exist.
    valid = stored is not None and check_password_hash(stored, password)
    if stored is None:
        _check_dummy_password(password)
    if not password or not valid or user is None:
        raise _refuse(username, address, now, WRONG_CREDENTIALS)
    if not user.is_active:
        raise _refuse(username, address, now, DEACTIVATED)
    return _signed_in(user, username, address, now)


def change_password(user: User, current: str, new: str) -> None:
    """Change one's own password; every session and remember-me cookie of the account ends
    (the caller signs the current browser in again).

    :raise Invalid: the current password is wrong or the new one is too weak.
    """
    if user.source != AccountSource.LOCAL:
        raise Conflict(_("This account's password is managed by the directory."))
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise Invalid({"current_password": _("The current password is not correct.")})
    if problems := password_problems(new, user.username):
        raise Invalid({"new_password": problems})
    user.password_hash = hash_password(new)
    audit.record(user, "user", user.id, "password_changed", {})
    db.session.flush()
    end_sessions(user)


def reset_password(user: User, new: str, *, actor: User) -> None:
    """An administrator sets a local account's password, which ends the person's sessions.

    :raise Invalid: too weak.
    """
    if user.source != AccountSource.LOCAL:
        raise Conflict(_("This account's password is managed by the directory."))
    if problems := password_problems(new, user.username):
        raise Invalid({"password": problems})
    user.password_hash = hash_password(new)
    audit.record(actor, "user", user.id, "password_reset", {})
    db.session.flush()
    end_sessions(user)


def update_profile(user: User, *, actor: User, **values: str | None) -> dict[str, list]:
    """Change a user's descriptive fields; returns the audited differences."""
    unknown = set(values) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"unknown user fields: {sorted(unknown)}")
    if "timezone" in values:
        values["timezone"] = validate_timezone(values["timezone"])
    if "language" in values:
        values["language"] = validate_language(values["language"])
    before = {k: getattr(user, k) for k in values}
    clean = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in values.items()}
    changes = audit.diff(before, clean)
    for field, (_old, new) in changes.items():
        setattr(user, field, new)
    if changes:
        audit.record(actor, "user", user.id, "updated", changes)
        db.session.flush()
    return changes


def _admins_left(excluding: User) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(RoleGrant.user_id)))
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == Role.ADMIN, User.is_active, User.id != excluding.id)
    )


def set_local_roles(user: User, roles: Iterable[Role], *, actor: User) -> None:
    """Replace the roles granted locally; grants managed by the directory stay as they are.

    :raise Invalid: this would leave the desk without an active administrator, or an
        administrator would take their own admin role away.
    """
    wanted = set(roles)
    before = user.roles
    still_admin = Role.ADMIN in wanted or Role.ADMIN in user.roles_from(GrantSource.DIRECTORY)
    if Role.ADMIN in before and not still_admin:
        if user.id == actor.id:
            raise Invalid({"roles": _("You cannot remove your own administrator role.")})
        if _admins_left(excluding=user) == 0:
            raise Invalid({"roles": _("The desk needs at least one active administrator.")})
    kept = [g for g in user.role_grants if g.source != GrantSource.LOCAL or g.role in wanted]
    have = {g.role for g in kept if g.source == GrantSource.LOCAL}
    user.role_grants = kept + [
        RoleGrant(role=r, source=GrantSource.LOCAL) for r in sorted(wanted - have)
    ]
    db.session.flush()
    if changes := _roles_change(before, user.roles):
        audit.record(actor, "user", user.id, "roles_changed", changes)


def mark_verified(user: User, *, actor: User) -> bool:
    """An administrator checked who a caller created from a mail is (see
    ``app.mail.incoming``): the person is no longer marked unverified. Whether it changed.

    Only with activation (:func:`set_active`): an inactive person who is not unverified is a
    deactivated account, whose mail the desk treats as a stranger's."""
    if not user.unverified:
        return False
    user.unverified = False
    audit.record(actor, "user", user.id, "verified", {"unverified": [True, False]})
    db.session.flush()
    return True


def set_active(user: User, active: bool, *, actor: User) -> None:
    """Activate or deactivate an account; accounts are never deleted (their history stays).
    Activating an unverified caller verifies them (:func:`mark_verified`).

    :raise Invalid: a user deactivating themselves, or the last active administrator.
    """
    if user.is_active == active:
        return
    if not active:
        if user.id == actor.id:
            raise Invalid({"active": _("You cannot deactivate your own account.")})
        if user.has_role(Role.ADMIN) and _admins_left(excluding=user) == 0:
            raise Invalid({"active": _("The desk needs at least one active administrator.")})
    user.is_active = active
    if active:
        mark_verified(user, actor=actor)
    audit.record(
        actor,
        "user",
        user.id,
        "activated" if active else "deactivated",
        {"is_active": [not active, active]},
    )
    db.session.flush()
    if not active:
        end_sessions(user)
    people_changed.send(user_ids=[user.id])  # they count again (or no longer) as a service's users


def sign_out_everywhere(user: User, *, actor: User) -> None:
    """End every session and remember-me cookie of ``user``, on every device (the person
    themselves from their account page, or an administrator)."""
    end_sessions(user)
    audit.record(actor, "user", user.id, "signed_out_everywhere", {})
    db.session.flush()


def set_manager(user: User, manager: User | None, *, actor: User | None) -> bool:
    """Set who a person reports to; returns whether it changed.

    :raise Invalid: the person would manage themselves, directly or through the chain.
    """
    if (manager.id if manager else None) == user.manager_id:
        return False
    seen = {user.id}
    step = manager
    while step is not None:
        if step.id in seen:
            raise Invalid({"manager": _("This would make a person their own manager.")})
        seen.add(step.id)
        step = step.manager
    before = user.manager.username if user.manager else None
    user.manager = manager
    audit.record(
        actor,
        "user",
        user.id,
        "updated",
        {"manager": [before, manager.username if manager else None]},
    )
    db.session.flush()
    return True

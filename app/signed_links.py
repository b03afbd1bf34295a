"""Signed one-click links in mails (an approval decision, a survey answer): the payload signed
with the application's ``SECRET_KEY`` under a salt of each link's own (itsdangerous), valid for
a number of days, and the two refusals every such link can meet. Each domain checks what its
payload names; a refused link renders ``_link_refused.html``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, render_template
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.errors import DomainError
from app.extensions import db
from app.i18n.formats import day_text

#: What a refused link of each kind says, as whole sentences (a link's name is part of them):
#: expired with its day sent, expired, and not valid.
MESSAGES: dict[str, tuple[LazyString, LazyString, LazyString]] = {
    "approval": (
        _l(
            "This approval link has expired (it was sent on %(day)s): "
            "links are valid for %(days)s days."
        ),
        _l("This approval link has expired: links are valid for %(days)s days."),
        _l("This approval link is not valid: it may have been cut or changed on the way."),
    ),
    "survey": (
        _l(
            "This survey link has expired (it was sent on %(day)s): "
            "links are valid for %(days)s days."
        ),
        _l("This survey link has expired: links are valid for %(days)s days."),
        _l("This survey link is not valid: it may have been cut or changed on the way."),
    ),
    "unsubscribe": (
        _l(
            "This unsubscribe link has expired (it was sent on %(day)s): "
            "links are valid for %(days)s days."
        ),
        _l("This unsubscribe link has expired: links are valid for %(days)s days."),
        _l("This unsubscribe link is not valid: it may have been cut or changed on the way."),
    ),
    "": (
        _l("This link has expired (it was sent on %(day)s): links are valid for %(days)s days."),
        _l("This link has expired: links are valid for %(days)s days."),
        _l("This link is not valid: it may have been cut or changed on the way."),
    ),
}


class LinkError(DomainError):
    """A link that cannot be used: malformed or tampered with."""

    status = 403
    title = _l("This link cannot be used")


class LinkExpired(LinkError):
    """A well-signed link older than its validity."""

    status = 410
    title = _l("This link has expired")


def valid_for(setting: str, default_days: int) -> timedelta:
    """How long links are valid: the ``setting``'s days, ``default_days`` unless set."""
    return timedelta(days=int(current_app.config.get(setting, default_days)))


def dumps(salt: str, payload: Any) -> str:
    """``payload`` (JSON-able) signed for links salted ``salt`` (needs an application context)."""
    return str(URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt).dumps(payload))


def loads(salt: str, token: str, age: timedelta, *, what: str, hint: str = "") -> Any:
    """The payload of ``token`` if its signature is good and it is younger than ``age``.

    :raise LinkExpired: well signed, but too old (410); the message says when it was sent.
    :raise LinkError: malformed or tampered with (403); ``what`` names the link (a key of
        :data:`MESSAGES`: "approval"), ``hint`` says where else to go.
    """
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)
    try:
        return serializer.loads(token, max_age=int(age.total_seconds()))
    except SignatureExpired as error:
        expired_on, expired, not_valid = MESSAGES.get(what, MESSAGES[""])
        when = error.date_signed
        if when:
            message = str(expired_on) % {"day": day_text(when.date()), "days": age.days}
        else:
            message = str(expired) % {"days": age.days}
        raise LinkExpired(message) from None
    except (BadSignature, UnicodeError, ValueError):
        not_valid = MESSAGES.get(what, MESSAGES[""])[2]
        raise LinkError(f"{not_valid} {hint}".strip()) from None


def refusal(
    error: DomainError,
    *,
    target: str,
    open_label: str,
    signin_label: str | None = None,
) -> tuple[str, int]:
    """The page of a link that was refused (``_link_refused.html``) with the error's status,
    after rolling back what the request began; ``target`` is where its button leads (through
    the sign-in page for someone not signed in)."""
    db.session.rollback()
    return render_template(
        "_link_refused.html",
        status=error.status,
        title=str(error.title),
        message=error.message,
        target=target,
        open_label=open_label,
        signin_label=signin_label or _l("Sign in to the service desk"),
    ), error.status

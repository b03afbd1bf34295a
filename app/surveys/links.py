"""Signed survey links for the notification mail: open the survey without signing in.

A link names one survey and its caller, signed with the application's ``SECRET_KEY``
(itsdangerous, with a salt of its own so that no other signed value passes for it) and valid
for ``SURVEY_LINK_DAYS`` (14 unless set). Opening it shows the question; only the POST
answers, as the caller, with every rule of the portal's answer (one per ticket, the edit
window, not after a reopen).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from app import signed_links
from app.auth.models import User
from app.errors import Forbidden
from app.extensions import db
from app.signed_links import LinkError
from app.surveys.models import Survey

SALT = "deskgraph.surveys.answer"
DEFAULT_DAYS = 14
ENDPOINT = "surveys.by_link"


def max_age() -> timedelta:
    return signed_links.valid_for("SURVEY_LINK_DAYS", DEFAULT_DAYS)


def token(survey: Survey) -> str:
    """The signed token of ``survey`` for its caller (needs an application context)."""
    return signed_links.dumps(SALT, [survey.id, survey.caller_id])


def url(survey: Survey, score: int | None = None) -> str:
    """The absolute address of the survey's page (``DESKGRAPH_BASE_URL``), a score chosen."""
    base = str(current_app.config.get("DESKGRAPH_BASE_URL") or "http://localhost").rstrip("/")
    root = current_app.config.get("APPLICATION_ROOT") or "/"
    values: dict[str, Any] = {"token": token(survey)}
    if score is not None:
        values["score"] = score
    path = current_app.url_map.bind("localhost", script_name=root).build(ENDPOINT, values)
    return f"{base}{path}"


def open_link(value: str) -> Survey:
    """The survey a token names, if its signature is good, it is not too old, and its caller
    is still active. Whether it may be answered is :func:`services.answer`'s business.

    :raise LinkExpired: too old (410).
    :raise LinkError: malformed, tampered with, naming no survey (403).
    :raise Forbidden: the caller's account was deactivated.
    """
    age = max_age()
    payload: Any = signed_links.loads(SALT, value, age, what="survey")
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in payload)
    ):
        raise LinkError(_("This survey link is not valid."))
    survey = db.session.get(Survey, payload[0])
    if survey is None or survey.caller_id != payload[1] or not survey.sampled:
        raise LinkError(_("This survey link names a survey that does not exist."))
    caller = db.session.get(User, survey.caller_id)
    if caller is None or not caller.is_active:
        raise Forbidden(_("The account this survey was sent to is deactivated."))
    return survey

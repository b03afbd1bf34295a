"""One error vocabulary for services, and the handlers that turn errors into pages or JSON.

Services raise ``NotFound``, ``Forbidden``, ``Conflict`` or ``Invalid``; views and the API
catch ``Invalid`` to put field errors back on a form, and whatever escapes is rendered here
with the right status and a message a person understands, never a stack trace.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from flask import Flask, current_app, flash, g, jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

log = logging.getLogger(__name__)

#: Errors that mean "the database cannot be reached", wherever they are raised in a request
#: (a view, the user loader, the error page itself).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError)
#: Seconds a client is asked to wait before retrying while the database is unreachable.
RETRY_AFTER_SECONDS = 30
#: SQLite names no constraint, only its columns: "UNIQUE constraint failed: groups.name".
SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")


class DomainError(Exception):
    """A business rule refused the request; ``status`` is the HTTP status it maps to."""

    status = 400
    title: str = _l("Bad request")

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = 404
    title = _l("Not found")


class Forbidden(DomainError):
    status = 403
    title = _l("Not allowed")


class Conflict(DomainError):
    status = 409
    title = _l("Conflict")


class Invalid(DomainError):
    """Input that passed the form's shape checks but breaks a rule; errors are per field."""

    status = 422
    title = _l("Please check your input")

    def __init__(self, field_errors: Mapping[str, str | list[str]], message: str = "") -> None:
        self.field_errors = {
            field: [errors] if isinstance(errors, str) else list(errors)
            for field, errors in field_errors.items()
        }
        first = next(iter(self.field_errors.values()), [""])[0]
        super().__init__(message or first or _("The input is not valid."))


MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please go back and try again."),
    ),
    403: (_l("Not allowed"), _l("You do not have permission to see this page or do this action.")),
    404: (
        _l("Page not found"),
        _l("There is nothing at this address. It may have moved or never existed."),
    ),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Conflict"), _l("Someone else changed this in the meantime.")),
    413: (_l("Too large"), _l("What you sent is larger than this desk accepts.")),
    422: (_l("Please check your input"), _l("Some of what you entered is not valid.")),
    429: (_l("Too many attempts"), _l("Please wait a moment before trying again.")),
    500: (_l("Something went wrong"), _l("The desk hit an unexpected error. It has been logged.")),
    503: (_l("Unavailable"), _l("A service the desk depends on is not reachable right now.")),
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(
    status: int,
    message: str | None = None,
    fields: Mapping[str, list[str]] | None = None,
) -> ResponseReturnValue:
    """Render an error as an HTML page or a JSON envelope, whichever the client asked for."""
    try:  # the reader's language is the signed-in person's, which needs the database
        title, default_message = (
            str(text) for text in MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
        )
        message = str(message or default_message)
    except DATABASE_UNAVAILABLE as error:
        return database_unavailable_response(error)
    request_id = getattr(g, "request_id", None)
    if wants_json():
        body = {"error": {"status": status, "title": title, "message": message}}
        if fields:
            body["error"]["fields"] = dict(fields)
        if request_id:
            body["error"]["request_id"] = request_id
        return jsonify(body), status
    try:
        page = render_template(
            "errors/error.html",
            status=status,
            title=title,
            message=message,
            fields=fields or {},
            request_id=request_id,
        )
    except DATABASE_UNAVAILABLE as error:  # the page shell looks up the signed-in person
        return database_unavailable_response(error)
    return page, status


def database_unavailable_response(error: Exception) -> ResponseReturnValue:
    """The static 503 answer while the database is unreachable.

    It reads nothing from the database and never touches ``current_user`` (whose loader may be
    what failed): the template is rendered without context processors, from what is passed.
    """
    from app.extensions import db
    from app.i18n.locale import available, default_language

    log.error("database unavailable: %s: %s", type(error).__name__, str(error).splitlines()[0])
    try:
        db.session.rollback()
    except Exception:  # the connection is already gone; there is nothing to undo
        log.debug("rollback after a database outage failed", exc_info=True)
    request_id = getattr(g, "request_id", None)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    status = 503
    # The browser's language only: the person's own would need the database.
    language = request.accept_languages.best_match(available()) or default_language()
    with force_locale(language):
        if wants_json():
            title, message = (str(text) for text in MESSAGES[status])
            body = {"error": {"status": status, "title": title, "message": message}}
            if request_id:
                body["error"]["request_id"] = request_id
            return jsonify(body), status, headers
        template = current_app.jinja_env.get_template("errors/unavailable.html")
        page = template.render(
            request_id=request_id, retry_after=RETRY_AFTER_SECONDS, language=language
        )
    return page, status, headers


def check_version(obj: object, submitted: object, what: str | None = None) -> None:
    """Refuse an edit made on an older version of ``obj`` (optimistic locking).

    :raise Conflict: the record changed since the form was loaded.
    """
    if submitted in (None, ""):
        return
    current = obj.version
    try:
        stale = int(str(submitted)) != current
    except ValueError:
        raise Invalid({"version": _("The form's version marker is malformed.")}) from None
    if stale:
        raise Conflict(
            _(
                "%(what)s was changed by someone else after you opened it. Your changes were "
                "not saved: review the current values below and make your change again.",
                what=what or _("This record"),
            )
        )


def _broken_unique(error: IntegrityError) -> UniqueConstraint | None:
    """The model's unique constraint the database refused a row over, if it is one: named by
    PostgreSQL, found by table and columns on SQLite."""
    from app.extensions import db

    name = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    sqlite = SQLITE_UNIQUE.search(str(error.orig)) if name is None else None
    columns = [c.strip() for c in sqlite[1].split(",")] if sqlite else []
    for table in db.metadata.tables.values():
        for constraint in table.constraints:
            if not isinstance(constraint, UniqueConstraint):
                continue
            named = [f"{table.name}.{column.name}" for column in constraint.columns]
            if (name is not None and constraint.name == name) or (columns and named == columns):
                return constraint
    return None


def field_error(error: IntegrityError) -> Invalid | None:
    """A person's mistake behind ``error`` (a name already in use), as the field error the
    constraint declares (see :func:`app.db.unique`); None for any other integrity error."""
    constraint = _broken_unique(error)
    info = constraint.info if constraint is not None else {}
    if "field" not in info:
        return None
    # Declared with N_: read in the reader's language when shown (lazily: the session may
    # need a rollback before the language can be looked up).
    return Invalid({info["field"]: [_l(str(info["message"]))]})


def register_error_handlers(app: Flask) -> None:
    from sqlalchemy.exc import DataError
    from sqlalchemy.orm.exc import StaleDataError

    from app.extensions import db
    from app.submissions import AlreadySubmitted

    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, database_unavailable_response)

    @app.errorhandler(StaleDataError)
    def stale(error: StaleDataError) -> ResponseReturnValue:
        db.session.rollback()
        return error_response(
            409, _("Someone else saved a change at the same moment. Reload and try again.")
        )

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def out_of_range(error: Exception) -> ResponseReturnValue:
        db.session.rollback()
        log.info("input out of range: %s", error)
        return error_response(400, _("A value in this request is out of range or malformed."))

    @app.errorhandler(IntegrityError)
    def integrity(error: IntegrityError) -> ResponseReturnValue:
        db.session.rollback()
        invalid = field_error(error)
        if invalid is not None:
            log.info("refused by a named constraint: %s", error.orig)
            return error_response(invalid.status, invalid.message, invalid.field_errors)
        log.warning("integrity error: %s", error.orig)
        return error_response(
            409, _("This conflicts with data saved in the meantime. Reload and try again.")
        )

    @app.errorhandler(AlreadySubmitted)
    def already_submitted(error: AlreadySubmitted) -> ResponseReturnValue:
        db.session.rollback()
        if error.location is None or wants_json():
            return error_response(error.status, error.message)
        flash(_("%(message)s Here it is.", message=error.message), "info")
        return redirect(error.location, 303)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> ResponseReturnValue:
        fields = error.field_errors if isinstance(error, Invalid) else None
        return error_response(error.status, error.message, fields)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return error_response(
            400,
            _(
                "This form has expired or did not come from this site. "
                "Reload the page and submit it again."
            ),
        )

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
        limit = app.config.get("MAX_CONTENT_LENGTH") or 0
        return error_response(
            413,
            _(
                "What you sent is larger than the limit of %(megabytes)s MB.",
                megabytes=limit // (1024 * 1024),
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        # Werkzeug's own descriptions are written for developers; keep ours unless a view
        # passed a specific message with abort(status, "...").
        custom = error.description if error.description != type(error).description else None
        response = error_response(status, custom)
        if status == 405 and error.valid_methods:
            body, code = response  # type: ignore[misc]
            return body, code, {"Allow": ", ".join(error.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> ResponseReturnValue:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)

"""The API's OpenAPI document and the blueprint class every resource uses.

flask-smorest builds the OpenAPI 3.1 document from the views' marshmallow schemas (see
``docs/api.md`` for why this library). Here it is adapted to the house: its own error handler
is not installed (``app.errors`` answers every error and ``app.api.problems`` words it as
problem+json, which the document declares as every operation's default response), and request
parsing refuses through the error vocabulary: fields that break the schema or are unknown are
an ``Invalid`` (422) listing them (marshmallow's messages in the reader's language, by
``app.api.field_messages``; the field names stay the API's), a body that is not JSON is a 400.
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

from app.api import field_messages
from app.api.problems import PROBLEM_JSON
from app.errors import DomainError, Invalid

API_TITLE = "Deskgraph API"
API_VERSION = "1"
OPENAPI_VERSION = "3.1.0"
BEARER = "bearerAuth"


class BadRequest(DomainError):
    status = 400
    title = "Bad request"


class FieldError(ma.Schema):
    field = ma.fields.String(metadata={"description": "The field, dotted for nested ones"})
    message = ma.fields.String()


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, with the field errors of a 422."""

    type = ma.fields.String(metadata={"description": "A URI naming the kind of problem"})
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    instance = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldError))
    request_id = ma.fields.String()


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error messages → ``{"dotted.field": [messages]}``."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten(value, name))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "body": list(messages)}
    return {prefix or "body": [str(messages)]}


class Parser(FlaskParser):
    """webargs, refusing through ``app.errors`` and strict about unknown query parameters."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def handle_error(self, error: Any, req: Any, schema: Any, **_kwargs: Any) -> Any:
        fields: dict[str, list[str]] = {}
        for location, messages in error.normalized_messages().items():
            fields.update(
                flatten(
                    messages
                    if location in ("json", "files", "form")
                    else {location if location not in ("query", "querystring") else "": messages}
                )
            )
        fields = {k.lstrip("."): v for k, v in fields.items()}
        unknown = [f for f, ms in fields.items() if "Unknown field." in ms]
        fields = {k: [field_messages.translated(m, _) for m in ms] for k, ms in fields.items()}
        detail = (
            _("Unknown fields: %(fields)s.", fields=", ".join(unknown))
            if unknown
            else _("Some fields are not valid: %(fields)s.", fields=", ".join(fields))
        )
        raise Invalid(fields, detail)

    def _handle_invalid_json_error(self, error: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
        raise BadRequest(_("The body is not valid JSON."))


class Blueprint(SmorestBlueprint):
    """A resource's blueprint (register it with :func:`app.api.register_resource`)."""

    ARGUMENTS_PARSER = Parser()


class Api(SmorestApi):
    """flask-smorest without its error handler, with problem+json as the error response."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """``app.errors`` handles errors (worded by ``app.api.problems``)."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_JSON: {"schema": ProblemSchema}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {
                "description": "An error, as problem details (RFC 9457)",
                "content": {PROBLEM_JSON: {"schema": ProblemSchema}},
            },
            lazy=True,
        )


def spec_kwargs() -> dict[str, Any]:
    return {
        "title": API_TITLE,
        "version": API_VERSION,
        "openapi_version": OPENAPI_VERSION,
        "info": {
            "description": "Everything a person can do in the desk's pages, with the same "
            "authorization. Authenticate with a personal access token: "
            "`Authorization: Bearer dg_...`. Errors are problem details (RFC 9457); "
            "times are UTC, ISO 8601."
        },
        "components": {
            "securitySchemes": {BEARER: {"type": "http", "scheme": "bearer"}},
        },
        "security": [{BEARER: []}],
    }


def current_api() -> Api:
    """The application's :class:`Api` (one per application: tests build several)."""
    from flask import current_app

    return current_app.extensions["deskgraph_api"]

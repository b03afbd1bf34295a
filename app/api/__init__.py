"""The REST API under ``/api/v1``: tokens, problem+json errors, cursor pagination, ETags and
the OpenAPI document (see ``docs/api.md``).

Each resource is a module with a :class:`app.api.spec.Blueprint` named ``blp``, listed in
:data:`RESOURCES`; its views wear :func:`app.api.auth.operation` and call the same services as
the pages.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from flask import request
from flask_babel import gettext as _

if TYPE_CHECKING:
    from flask import Flask

    from app.api.spec import Blueprint

PREFIX = "/api/v1"
#: The resource modules (each has ``blp``), in the order the documentation lists them.
RESOURCES = (
    "app.api.incidents",
    "app.api.alerts",
)
#: Views that take another body than JSON (uploads) mark themselves with this attribute.
MULTIPART = "api_multipart"


def register_resource(app: Flask, blp: Blueprint) -> None:
    """Register a resource's blueprint under ``/api/v1``, in the OpenAPI document, without
    CSRF (tokens only: see ``app.api.auth``)."""
    from app.api.spec import current_api
    from app.extensions import csrf

    csrf.exempt(blp)
    with app.app_context():
        current_api().register_blueprint(blp, url_prefix=PREFIX)


def _check_body() -> None:
    """Refuse a body the API does not read before a view parses it: another content type
    than JSON (415), a JSON body over ``API_MAX_BODY_BYTES`` (413)."""
    from flask import current_app

    from app.api.problems import UnsupportedMediaType

    if not request.path.startswith(PREFIX + "/") or request.method not in (
        "POST",
        "PUT",
        "PATCH",
    ):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, MULTIPART, False):
        if request.mimetype != "multipart/form-data":
            raise UnsupportedMediaType(_("Send the file as multipart/form-data."))
        return
    request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]
    has_body = bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", ""
    )
    if (
        (has_body or request.mimetype)
        and request.mimetype != "application/json"
        and not (request.mimetype.startswith("application/") and request.mimetype.endswith("+json"))
    ):
        raise UnsupportedMediaType(_("Send JSON: Content-Type: application/json."))


def register(app: Flask) -> None:
    from app.api import docs, limits, problems
    from app.api.spec import Api, spec_kwargs
    from app.api.tokens import cli, views

    app.extensions["deskgraph_api"] = Api(app, spec_kwargs=spec_kwargs())
    problems.init_app(app)
    limits.init_app(app)
    app.before_request(_check_body)
    for name in RESOURCES:
        register_resource(app, import_module(name).blp)
    from app.api.resources import register_resources

    register_resources(app)
    app.register_blueprint(docs.bp, url_prefix="/api")
    app.register_blueprint(views.bp, url_prefix="/settings/api-tokens")
    app.cli.add_command(cli.api_cli)

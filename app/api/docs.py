"""The OpenAPI document (``/api/openapi.json``) and its documentation page (``/api/docs``,
Swagger UI from ``static/vendor``, started by a static script: no inline code, so the strict
Content-Security-Policy holds)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask.typing import ResponseReturnValue

from app.api.spec import current_api
from app.policy import public

bp = Blueprint("api_docs", __name__, template_folder="templates")


@bp.get("/openapi.json")
@public
def openapi() -> ResponseReturnValue:
    return jsonify(current_api().spec.to_dict())


@bp.get("/docs")
@public
def docs() -> ResponseReturnValue:
    return render_template("api/docs.html")

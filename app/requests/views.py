"""The service catalog. Catalog items and requests arrive with the service request work."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from app.auth import permissions  # noqa: F401  (registers portal.use)
from app.policy import require

bp = Blueprint("requests", __name__, template_folder="templates")


@bp.get("/catalog")
@require("portal.use")
def catalog() -> ResponseReturnValue:
    return render_template("requests/catalog.html")

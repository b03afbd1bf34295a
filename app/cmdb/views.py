"""Configuration items. Classes, relations and impact arrive with the CMDB work."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from app.cmdb import permissions  # noqa: F401  (registers the rules)
from app.policy import require

bp = Blueprint("cmdb", __name__, template_folder="templates")


@bp.get("/")
@require("cmdb.browse")
def index() -> ResponseReturnValue:
    return render_template("cmdb/index.html")

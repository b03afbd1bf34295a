"""The mail domain's one blueprint; the view modules of ``outgoing/`` and ``incoming/`` add
their routes to it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mail", __name__, template_folder="templates")

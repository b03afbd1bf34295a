"""The reports blueprint, shared by the report pages' modules."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

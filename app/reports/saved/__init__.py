"""Saved views of the report pages: a person names a page with its filters and opens it again
from the list (``/reports/saved``)."""


def register_views() -> None:
    """Add the saved views' routes to the reports blueprint (before it is registered)."""
    from app.reports.saved import views  # noqa: F401

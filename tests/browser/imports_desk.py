"""A desk of its own for an import journey (an import would change every other journey's
CMDB or queues): a migrated SQLite file with one administrator, served while the module's
tests run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.browser.conftest import serving
from tests.conftest import build_app, migrate


@contextmanager
def admin_desk(
    folder: Path, username: str, password: str, display_name: str, *, agent: bool = False
) -> Iterator[str]:
    """Serve a fresh desk whose only user is the administrator ``username`` (also an agent
    when ``agent``); yields its URL."""
    from app.auth import services as people
    from app.auth.models import Role
    from app.extensions import db

    app = build_app(f"sqlite:///{folder / 'desk.sqlite3'}", folder / "instance")
    migrate(app)
    with app.app_context():
        people.create_local_user(
            username=username,
            password=password,
            roles=[Role.ADMIN, Role.AGENT] if agent else [Role.ADMIN],
            display_name=display_name,
        )
        db.session.commit()
        db.session.remove()
    with serving(app) as url:
        yield url
    with app.app_context():
        db.engine.dispose()

"""A PostgreSQL schema of its own for a benchmark: created empty, an app bound to it, dropped
after. The server is the one the test suite uses (127.0.0.1:5432, database ``test``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def app_on_fresh_schema(schema: str) -> Any:
    """Drop and re-create ``schema``; an application whose connections use it (not migrated)."""
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return app_on_schema(schema)


def app_on_schema(schema: str) -> Any:
    """An application whose connections use ``schema`` as it is (one kept by an earlier run)."""
    from app import create_app

    return create_app(
        {
            "DATABASE_URL": f"{POSTGRES}?options=-csearch_path%3D{schema}",
            "SECRET_KEY": "b" * 40,
            "DESKGRAPH_LOG_LEVEL": "WARNING",
        },
        instance_path=ROOT / "instance" / "bench",
    )


def drop_schema(schema: str) -> None:
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def vacuum_analyze(schema: str) -> None:
    """Settle the schema's tables (statistics, visibility map), as autovacuum would."""
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'SET search_path TO "{schema}"'))
        connection.execute(text("VACUUM ANALYZE"))
    admin.dispose()

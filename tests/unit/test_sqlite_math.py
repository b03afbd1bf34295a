"""SQLite builds without math functions get ``ln`` and ``floor`` from Python, answering as
SQLite's own do (the reports' duration buckets use them)."""

from __future__ import annotations

import sqlite3

from app.factory import sqlite_floor, sqlite_ln

QUERY = "SELECT ln(10.0), ln(1), ln(0), ln(-3), ln(NULL), floor(2.5), floor(-1.5), floor(NULL)"


def test_python_ln_and_floor_answer_as_sqlites_own():
    connection = sqlite3.connect(":memory:")
    builtin = connection.execute(QUERY).fetchone()
    connection.create_function("ln", 1, sqlite_ln, deterministic=True)
    connection.create_function("floor", 1, sqlite_floor, deterministic=True)
    assert connection.execute(QUERY).fetchone() == builtin
    connection.close()

"""Seed a load run's schema in one process: ``flask db upgrade``, then ``flask deskgraph demo
load``, the very commands, through one start of the application instead of two (a start
imports and builds the whole desk: about 3 s of CPU), then every demo person without a password
gets the demo's (the demo lets seven people sign in; the scenario's employees and approvers
are many: ``DESKGRAPH_LOCUST_EVERYONE`` in ``bench/locustfile.py``). The settings come from the
environment, as for ``flask --app wsgi``; ``bench.load_two_nodes`` runs this before starting
its nodes.

    python -m bench.load_seed
"""

from __future__ import annotations

import sys

COMMANDS = (["db", "upgrade"], ["deskgraph", "demo", "load"])


def main() -> None:
    from wsgi import app

    runner = app.test_cli_runner()
    for command in COMMANDS:
        result = runner.invoke(args=command)
        sys.stdout.write(result.output)
        if result.exit_code != 0:
            raise SystemExit(f"flask {' '.join(command)} failed: {result.exception!r}")
    with app.app_context():
        print(f"{everyone_signs_in()} more demo people can sign in")


def everyone_signs_in() -> int:
    """Give every account without a password the demo's, whose hash one of the demo's sign-ins
    already holds (one hash, not 45: a scrypt hash costs about 0.15 s of CPU)."""
    from sqlalchemy import select, update

    from app.auth.models import User
    from app.extensions import db

    known = db.session.scalar(select(User.password_hash).where(User.username == "employee"))
    added = db.session.execute(
        update(User).where(User.password_hash.is_(None)).values(password_hash=known)
    )
    db.session.commit()
    return int(added.rowcount)  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

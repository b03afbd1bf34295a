"""Incident numbers stay unique when many people open incidents at the same moment."""

from __future__ import annotations

import threading

from sqlalchemy import select

from tests.conftest import build_app, migrate

THREADS = 8
PER_THREAD = 5


def test_concurrent_creation_gives_unique_numbers(fresh_database_url, tmp_path):
    from app.auth import services as accounts
    from app.extensions import db
    from app.incidents import services
    from app.incidents.models import Incident

    app = build_app(fresh_database_url, tmp_path / "instance")
    migrate(app)
    with app.app_context():
        caller = accounts.create_local_user(username="caller", display_name="C", password=None)
        db.session.commit()
        caller_id = caller.id
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def open_some() -> None:
        try:
            start.wait()
            for _ in range(PER_THREAD):
                with app.app_context():
                    from app.auth.models import User

                    who = db.session.get(User, caller_id)
                    services.open_incident(caller=who, opened_by=who, short_description="Down")
                    db.session.commit()
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=open_some) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with app.app_context():
        numbers = sorted(db.session.scalars(select(Incident.number)))
        db.session.remove()  # hand the connection back before closing the pool
        db.engine.dispose()
    assert len(numbers) == THREADS * PER_THREAD
    assert len(set(numbers)) == len(numbers)
    # Nothing was rolled back, so there is no gap either.
    values = [int(n[3:]) for n in numbers]
    assert values == list(range(1001, 1001 + len(values)))

"""Desk settings cached per process (``app.settings_cache``): every way of writing them moves
the revision token, a rolled-back write leaves a token no later commit takes, a transaction
that writes settings reads its own, and a second node sees the first one's new matrix on its
next request."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import g
from sqlalchemy import select, text

from app.extensions import db as _db
from app.incidents import services as incidents
from app.incidents import settings as incident_settings
from app.incidents.models import RoutingRule
from app.settings_cache import BUMPED, MIRRORED, TOKEN, cached, remember, token_at_hand
from app.tickets.matrix import load_matrix, save_matrix
from tests.conftest import Client, build_app, count_queries, migrate
from tests.incidents.conftest import make_incident, queue  # noqa: F401  (fixtures)
from tests.incidents.test_settings import grid

# ruff: noqa: F811


def categories() -> tuple[str | None, ...]:
    """The routing rules' categories, by id: what the tests cache."""
    return tuple(_db.session.scalars(select(RoutingRule.category).order_by(RoutingRule.id)))


@pytest.fixture
def read() -> Callable[[], tuple[tuple[str | None, ...], int]]:
    """``read()`` → (the categories :func:`cached` gives under a key of this test's own, how
    many times it loaded them so far)."""
    key, loads = f"test-{uuid.uuid4().hex}", [0]

    def load() -> tuple[str | None, ...]:
        loads[0] += 1
        return categories()

    def get() -> tuple[tuple[str | None, ...], int]:
        return cached(key, load), loads[0]

    return get


@pytest.fixture
def rule(db, queue, make_ci) -> Any:
    """A committed rule sending "Network" incidents on the CI ``sw-01`` to the group Network."""
    network = queue("Network")
    switch = make_ci("sw-01", "server")
    (made,) = incident_settings.add_routing_rules(network, [switch.id], category="Network")
    db.session.commit()
    return made


def test_a_value_is_loaded_once_while_no_setting_changes(db, rule, read, make_user):
    assert read() == (("Network",), 1)
    assert read() == (("Network",), 1)
    make_user("ann")  # commits a change of something else
    assert read() == (("Network",), 1)


WRITES: dict[str, Callable[[Any, Any], None]] = {
    "the ORM adds a rule": lambda db, rule: incident_settings.add_routing_rules(
        rule.group, [], category="Printing"
    ),
    "a bulk delete": lambda db, rule: incident_settings.delete_routing_rule(rule.id),
    "a cascade from a deleted group": lambda db, rule: db.session.execute(
        text("DELETE FROM groups WHERE id = :id"), {"id": rule.group_id}
    ),
    "a cascade from a deleted CI": lambda db, rule: db.session.execute(
        text("DELETE FROM configuration_items WHERE id = :id"), {"id": rule.ci_id}
    ),
    "SQL from outside": lambda db, rule: db.session.execute(
        text("UPDATE routing_rules SET category = 'Printing'")
    ),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_way_of_writing_settings_changes_what_is_cached(db, rule, read, write):
    assert read() == (("Network",), 1)
    WRITES[write](db, rule)
    db.session.commit()
    expected = categories()
    assert expected != ("Network",)
    assert read() == (expected, 2)


def test_a_rolled_back_write_leaves_a_token_no_later_commit_matches(db, rule, read):
    """Written as psql would (no listener sees it), read inside its transaction: the cache
    then holds the uncommitted rows under the token that transaction wrote. The next commit of
    another write does not meet that token again (a counter would give it the same number,
    and the rolled-back rows would be taken for its own)."""
    assert read() == (("Network",), 1)
    insert = (
        "INSERT INTO routing_rules (position, category, group_id) VALUES (90, :category, :group)"
    )
    db.session.execute(text(insert), {"category": "Rolled back", "group": rule.group_id})
    assert read() == (("Network", "Rolled back"), 2)
    db.session.rollback()
    db.session.execute(text("UPDATE routing_rules SET category = 'Printing'"))
    db.session.commit()
    assert read() == (("Printing",), 3)


def test_after_a_rolled_back_write_the_committed_settings_come_back(db, rule, read):
    assert read() == (("Network",), 1)
    incident_settings.add_routing_rules(rule.group, [], category="Rolled back")
    assert read() == (("Network", "Rolled back"), 2)
    db.session.rollback()
    assert read() == (("Network",), 2)  # cached before the write, still the database's


def test_a_transaction_that_writes_settings_reads_them_and_caches_nothing(db, rule, read, app):
    """Marked by the flush or by the bulk statement that wrote them: in a request, whose token
    was read before the write, the cache would otherwise answer with the rows before it."""
    with app.test_request_context():
        remember(db.session.scalar(text("SELECT token FROM settings_revision")))
        assert read() == (("Network",), 1)
        assert token_at_hand()
        incident_settings.add_routing_rules(rule.group, [], category="Printing")
        assert not token_at_hand()
        assert read() == (("Network", "Printing"), 2)
        assert read() == (("Network", "Printing"), 3)  # nothing stored
        db.session.rollback()
        assert read() == (("Network",), 3)  # the cache held the committed rows throughout
        incident_settings.delete_routing_rule(rule.id)  # a bulk statement, no flush
        assert read() == ((), 4)
        db.session.commit()
        assert TOKEN not in g  # older than the commit: read afresh from now on
        assert read() == ((), 5)
        assert read() == ((), 5)


def test_a_request_that_wrote_by_raw_sql_and_rolled_back_leaves_nothing_cached(db, rule, read, app):
    """A write no listener sees (raw SQL) and a read of the cache in the same request: the
    value is tagged with the token this transaction sees (the trigger's, uncommitted), not the
    one the request began with, so after the rollback no request takes it for current."""
    token = db.session.scalar(text("SELECT token FROM settings_revision"))
    with app.test_request_context():
        remember(token)
        db.session.execute(
            text("UPDATE routing_rules SET category = 'Rolled back' WHERE id = :id"),
            {"id": rule.id},
        )
        assert read() == (("Rolled back",), 1)
        db.session.rollback()
    with app.test_request_context():
        remember(token)
        assert read() == (("Network",), 2)


def test_the_tables_the_application_bumps_for_exist(db):
    assert set(BUMPED) <= set(_db.metadata.tables)


def test_an_orm_change_of_a_rule_and_the_deletion_of_its_ci_mark_the_transaction(db, rule, app):
    from app.cmdb.models import ConfigurationItem

    with app.test_request_context():
        remember(db.session.scalar(text("SELECT token FROM settings_revision")))
        rule.category = "Printing"
        db.session.flush()
        assert not token_at_hand()
        db.session.rollback()
        assert token_at_hand()
        db.session.delete(db.session.get(ConfigurationItem, rule.ci_id))
        db.session.flush()
        assert not token_at_hand()


def test_saving_the_matrix_then_opening_in_the_same_transaction_uses_the_new_matrix(
    db, app, make_user
):
    caller = make_user("emma")
    with app.test_request_context():
        remember(db.session.scalar(text("SELECT token FROM settings_revision")))
        assert load_matrix().priority(1, 1) == 1
        before = incidents.open_incident(
            caller=caller, opened_by=caller, impact=1, urgency=1, short_description="Before"
        )
        assert before.priority == 1  # the matrix cached at the request's token
        save_matrix(
            impacts={1: "High"},
            urgencies={1: "High"},
            levels={1: "Urgent", 2: "Later"},
            cells={(1, 1): 2},
            actor=caller,
        )
        opened = incidents.open_incident(
            caller=caller, opened_by=caller, impact=1, urgency=1, short_description="After"
        )
        assert opened.priority == 2
        assert load_matrix().levels == {1: "Urgent", 2: "Later"}


def test_the_cached_matrix_cannot_be_changed_in_place(db):
    matrix = load_matrix()
    with pytest.raises(TypeError):
        matrix.levels[9] = "Whenever"  # type: ignore[index]
    with pytest.raises(TypeError):
        matrix.cells[(1, 1)] = 9  # type: ignore[index]


def test_the_triggers_watch_every_write_of_the_mirrored_tables(db):
    """The migration's triggers and the listeners' list name the same tables."""
    if db.session.get_bind().dialect.name == "postgresql":
        found = db.session.execute(
            text(
                "SELECT event_object_table, event_manipulation FROM information_schema.triggers"
                " WHERE trigger_name LIKE 'settings_revision_%'"
                " AND trigger_schema = current_schema()"
            )
        )
        watched = {tuple(row) for row in found}
    else:
        found = db.session.execute(
            text(
                "SELECT tbl_name, name FROM sqlite_master"
                " WHERE type = 'trigger' AND name LIKE 'settings_revision_%'"
            )
        )
        watched = {(table, name.rsplit("_", 1)[1].upper()) for table, name in found}
    assert watched == {(t, e) for t in MIRRORED for e in ("INSERT", "UPDATE", "DELETE")}


def test_a_matrix_saved_on_one_node_is_used_by_the_other_on_its_next_request(
    fresh_database_url, tmp_path
):
    """Two applications on one database, as two nodes: node B caches the matrix, the admin
    saves a new one on node A, and B's next opening takes its priority from the new one."""
    from app.auth import services as auth
    from app.auth.models import Role
    from app.extensions import db
    from app.incidents.models import Incident
    from tests.conftest import PASSWORD

    node_a = build_app(fresh_database_url, tmp_path / "a")
    node_b = build_app(fresh_database_url, tmp_path / "b")
    migrate(node_a)
    with node_a.app_context():
        for name, role in (("root", Role.ADMIN), ("emma", Role.EMPLOYEE)):
            auth.create_local_user(
                username=name, display_name=name.title(), password=PASSWORD, roles=[role]
            )
        db.session.commit()
    admin, employee = Client(node_a.test_client()), Client(node_b.test_client())
    assert admin.login("root").status_code == 302
    assert employee.login("emma").status_code == 302

    def report(what: str) -> tuple[int, list[str]]:
        with count_queries() as statements:
            sent = employee.post("/incidents/report", {"short_description": what, "urgency": "1"})
        assert sent.status_code == 302, sent.get_data(as_text=True)[:300]
        number = sent.location.rsplit("/", 1)[1]
        with node_b.app_context():
            priority = db.session.scalar(select(Incident.priority).where(Incident.number == number))
        return priority, [s for s in statements if "FROM priority_scales" in s]

    try:
        first, _ = report("Teams crashes")
        again, matrix_reads = report("Teams crashes again")
        assert (again, matrix_reads) == (first, [])  # node B's cached matrix
        assert first != 1
        saved = admin.post("/incidents/settings/matrix", grid(3, 3, 5, lambda i, u: 1))
        assert saved.status_code == 302
        after, matrix_reads = report("Teams crashes once more")
        assert after == 1
        assert len(matrix_reads) == 1
    finally:
        for node in (node_a, node_b):
            with node.app_context():
                db.session.remove()
                db.engine.dispose()

"""What a worker reads to patch its graph after an edit: the revision, the log, and one
statement for the changed CIs, their relations, users groups, the classes and relation types,
whatever the edit (under load each round trip waits for a core: docs/benchmarks.md)."""

from __future__ import annotations

from app.auth import groups as group_services
from app.cmdb import services
from app.cmdb.cache import graph_cache
from app.cmdb.impact import engine
from tests.cmdb.test_incremental_cache import same_as_a_fresh_load
from tests.conftest import count_queries


def test_a_patch_reads_the_log_and_one_statement(app, db, make_ci, relate, make_user):
    host = make_ci("host-01", "server")
    shop = make_ci("Shop", "business_service", users_count=40)
    worker = graph_cache(app)
    worker.get(db.session)
    patches = worker.patches
    relate(shop, "depends_on", host)
    team = group_services.create_group(actor=None, name="Shoppers", is_assignment_group=False)
    group_services.add_members(team, [make_user("ann"), make_user("bob")], actor=None)
    services.update_ci(shop, actor=None, users_group_id=team.id)
    db.session.commit()
    with count_queries() as statements:
        cmdb = worker.get(db.session)
    assert worker.patches == patches + 1
    assert len(statements) == 3  # the revision, the log, the rows
    same_as_a_fresh_load(db, cmdb)
    answer = engine.impact(cmdb.index, [host.id])
    assert [s.name for s in answer.services] == ["Shop"]
    assert answer.people.affected == 2

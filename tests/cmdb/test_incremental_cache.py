"""Workers patch their cached graph from the CMDB change log instead of reloading it, on both
databases: after each kind of edit (a CI made or changed, a relation added or removed, a users
group's members, a class renamed) the patched graph is the graph a fresh load gives, and
impact answers follow; a bulk import, a deleted CI, a rolled-back change or a worker too far
behind the log still reload; the log is written with the edit and purged."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth import groups as group_services
from app.cmdb import cache, services
from app.cmdb.cache import bump_revision, current_revision, graph_cache, load_graph
from app.cmdb.classes import services as class_services
from app.cmdb.impact import engine
from app.cmdb.models import CIClass, CMDBChange
from tests.cmdb.test_cache import _create, _names, two_workers  # noqa: F401  (fixture)
from tests.cmdb.test_incremental_engine import rows


def same_as_a_fresh_load(db, cmdb) -> None:
    fresh = load_graph(db.session)
    assert cmdb.revision == fresh.revision
    assert rows(cmdb.index) == rows(fresh.index)
    assert dict(cmdb.by_name) == dict(fresh.by_name)


def patched(app, db):
    """The worker's graph after an edit, checked to be patched, not loaded."""
    worker = graph_cache(app)
    loads, patches = worker.loads, worker.patches
    cmdb = worker.get(db.session)
    assert (worker.loads, worker.patches) == (loads, patches + 1)
    same_as_a_fresh_load(db, cmdb)
    return cmdb


def test_every_kind_of_edit_is_patched_into_the_graph_a_load_would_give(
    app, db, make_ci, relate, make_user
):
    host = make_ci("host-01", "server")
    cluster = make_ci("web-cluster", "cluster", min_up=2)
    graph_cache(app).get(db.session)  # the worker's graph before the edits

    web = [make_ci(f"web-{i}", "virtual_machine") for i in range(3)]
    patched(app, db)
    for vm in web:
        relate(vm, "member_of", cluster)
        relate(vm, "runs_on", host)
    shop = make_ci("Shop", "business_service", users_count=40)
    relate(shop, "depends_on", cluster)
    cmdb = patched(app, db)
    answer = engine.impact(cmdb.index, [host.id])
    assert [s.name for s in answer.services] == ["Shop"]
    assert answer.services[0].state == "down"  # no VM left of the three

    services.update_ci(cluster, actor=None, min_up=None, min_up_percent=30)
    db.session.commit()
    cmdb = patched(app, db)
    assert engine.impact(cmdb.index, [web[0].id]).services[0].state == "degraded"

    services.update_ci(web[1], actor=None, name="WEB-one", status="retired")
    db.session.commit()
    cmdb = patched(app, db)
    assert cmdb.ids_for(["web-one"]) == [web[1].id]
    assert cmdb.ids_for(["web-1"]) == []

    relation = next(r for r in services.relations_of(shop) if r.target_id == cluster.id)
    services.unrelate(relation, actor=None)
    db.session.commit()
    cmdb = patched(app, db)
    assert engine.impact(cmdb.index, [host.id]).services == ()

    relate(shop, "depends_on", host)
    team = group_services.create_group(actor=None, name="Shoppers", is_assignment_group=False)
    services.update_ci(shop, actor=None, users_group_id=team.id)
    db.session.commit()
    patched(app, db)
    group_services.add_members(team, [make_user("ann"), make_user("bob")], actor=None)
    db.session.commit()
    cmdb = patched(app, db)
    assert engine.impact(cmdb.index, [host.id]).people.affected == 2

    service_class = db.session.scalar(select(CIClass).where(CIClass.name == "business_service"))
    kind = class_services.add_class(actor=None, name="saas", label="SaaS", parent=service_class)
    make_ci("Mail", "saas")
    cmdb = patched(app, db)
    assert "Mail" in [cmdb.index.names[s] for s in cmdb.index.services]
    class_services.update_class(kind, actor=None, name="cloud", label="Cloud", parent=None)
    db.session.commit()
    cmdb = patched(app, db)
    assert "Mail" not in [cmdb.index.names[s] for s in cmdb.index.services]
    assert "cloud" in cmdb.index.classes


def test_an_unrelated_setting_keeps_the_same_index(app, db, make_ci):
    from app.cmdb.settings import save_settings

    make_ci("alone", "server")
    before = graph_cache(app).get(db.session)
    save_settings(
        actor=None,
        treatments={"planned": "normal", "in_maintenance": "already_down", "retired": "ignored"},
    )
    db.session.commit()
    after = patched(app, db)
    assert after.index is before.index


def test_bulk_imports_deletes_and_workers_far_behind_reload(app, db, make_ci, monkeypatch):
    worker = graph_cache(app)
    gone = make_ci("gone", "server")
    worker.get(db.session)
    with services.one_revision():
        for i in range(3):
            make_ci(f"imported-{i}", "server")
    loads = worker.loads
    assert "imported-2" in worker.get(db.session).index.names
    assert worker.loads == loads + 1

    brief = make_ci("brief", "server")  # made and deleted between two questions: patched
    services.delete_ci(brief, actor=None)
    db.session.commit()
    assert "brief" not in worker.get(db.session).index.names
    assert worker.loads == loads + 1

    services.delete_ci(gone, actor=None)
    db.session.commit()
    assert gone.id not in worker.get(db.session)
    assert worker.loads == loads + 2

    monkeypatch.setattr(cache, "KEEP_CHANGES", 2)
    for i in range(3):
        make_ci(f"late-{i}", "server")
    assert "late-2" in worker.get(db.session).index.names
    assert worker.loads == loads + 3


def test_the_log_is_written_with_the_edit_and_purged(app, db, make_ci, monkeypatch):
    ci = make_ci("logged", "server")
    value, token = current_revision(db.session)
    change = db.session.get(CMDBChange, value)
    assert (change.token, change.kind, change.ids) == (token, "cis", str(ci.id))

    services.update_ci(ci, actor=None, name="never")
    db.session.rollback()
    assert db.session.get(CMDBChange, value + 1) is None

    monkeypatch.setattr(cache, "KEEP_CHANGES", 10)
    for _ in range(100):
        bump_revision(())
    db.session.flush()
    left = db.session.scalar(select(func.count()).select_from(CMDBChange))
    value, _ = current_revision(db.session)
    assert left <= 10 + 99  # purged at the hundredth revision, then more were logged
    assert db.session.get(CMDBChange, value - 10 - (value % 100)) is None


def test_another_worker_patches_what_one_committed(two_workers):  # noqa: F811
    from app.extensions import db

    first, second = two_workers
    _create(first, "erp-app-01")
    assert _names(second) == {"erp-app-01"}
    loads = graph_cache(second).loads
    _create(first, "erp-db-01", "database")
    assert _names(second) == {"erp-app-01", "erp-db-01"}
    assert graph_cache(second).loads == loads
    assert graph_cache(second).patches == 1
    with second.app_context():
        same_as_a_fresh_load(db, graph_cache(second).get(db.session))

"""The per-process graph cache: two applications on one database behave like two gunicorn
workers; each sees the other's committed changes, rebuilds only when the revision changed, and
never keeps a graph of rolled-back rows."""

from __future__ import annotations

import threading

import pytest

from app.cmdb import services
from app.cmdb.cache import graph_cache
from app.cmdb.models import CIClass
from tests.conftest import build_app, migrate


@pytest.fixture
def two_workers(fresh_database_url, tmp_path):
    first = build_app(fresh_database_url, tmp_path / "one")
    migrate(first)
    second = build_app(fresh_database_url, tmp_path / "two")
    yield first, second
    from app.extensions import db

    for app in (first, second):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _create(app, name, class_name="application"):
    from app.extensions import db

    with app.app_context():
        ci_class = db.session.scalar(db.select(CIClass).where(CIClass.name == class_name))
        ci = services.create_ci(actor=None, ci_class=ci_class, name=name)
        db.session.commit()
        return ci.id


def _names(app):
    from app.extensions import db

    with app.app_context():
        cmdb = graph_cache(app).get(db.session)
        return set(cmdb.index.names)


def test_each_worker_sees_the_others_changes_and_rebuilds_only_then(two_workers):
    from app.extensions import db

    first, second = two_workers
    assert _names(first) == set() == _names(second)
    _create(first, "erp-app-01")
    assert _names(second) == {"erp-app-01"}
    loads = graph_cache(second).loads
    assert _names(second) == {"erp-app-01"}  # same revision: no rebuild
    assert graph_cache(second).loads == loads
    db_id = _create(second, "erp-db-01", "database")
    assert _names(first) == {"erp-app-01", "erp-db-01"}
    with first.app_context():
        app_ci = db.session.get(services.ConfigurationItem, 1)
        services.relate(
            app_ci, db.session.get(services.ConfigurationItem, db_id), "depends_on", actor=None
        )
        db.session.commit()
    with second.app_context():
        result = services.impact_of_ci_names(["ERP-DB-01"])
        assert [a.name for a in result.affected] == ["erp-db-01", "erp-app-01"]


def test_a_rolled_back_change_leaves_no_stale_graph(two_workers):
    from app.extensions import db

    first, _ = two_workers
    _create(first, "kept")
    with first.app_context():
        ci_class = db.session.scalar(db.select(CIClass).where(CIClass.name == "server"))
        services.create_ci(actor=None, ci_class=ci_class, name="phantom")
        seen = set(graph_cache(first).get(db.session).index.names)
        assert seen == {"kept", "phantom"}  # the transaction sees its own change
        db.session.rollback()
    assert _names(first) == {"kept"}
    _create(first, "later")  # same revision number as the phantom's, another token
    assert _names(first) == {"kept", "later"}


def test_concurrent_threads_build_the_graph_once(two_workers):
    from app.extensions import db

    first, _ = two_workers
    _create(first, "one")
    cache = graph_cache(first)
    cache.clear()
    before = cache.loads
    barrier = threading.Barrier(4)
    seen = []

    def use():
        with first.app_context():
            barrier.wait()
            seen.append(cache.get(db.session))
            db.session.remove()

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.loads == before + 1
    assert len({id(g) for g in seen}) == 1


def test_the_networkx_graph_is_built_on_first_use_from_the_loaded_rows(two_workers, monkeypatch):
    import gc

    from app.cmdb import cache
    from app.cmdb.graph.vocabulary import ci_of
    from app.extensions import db

    first, _ = two_workers
    app_id = _create(first, "erp-app-01")
    db_id = _create(first, "ERP-DB-01", "database")
    _create(first, "erp-db-01", "server")  # the same name in another class
    with first.app_context():
        services.relate(
            db.session.get(services.ConfigurationItem, app_id),
            db.session.get(services.ConfigurationItem, db_id),
            "depends_on",
            actor=None,
        )
        db.session.commit()
        monkeypatch.setattr(cache, "FREEZE_FROM", 1)  # freeze even this small graph
        frozen = gc.get_freeze_count()
        cmdb = cache.load_graph(db.session)
        assert gc.get_freeze_count() > frozen
        assert gc.isenabled()
        assert app_id in cmdb
        assert "erp-app-01" not in cmdb
        assert len(cmdb.ids_for(["erp-db-01"])) == 2
        assert cmdb._graph is None  # impact questions never needed it
        graph = cmdb.graph
        assert cmdb.graph is graph
        assert ci_of(graph, db_id).name == "ERP-DB-01"
        assert list(graph.edges) == [(app_id, db_id)]
        assert graph.graph["spreads_to"] == {db_id: ((app_id, 1),)}

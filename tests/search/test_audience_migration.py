"""Migration b3e5d7a9c1f4 writes the audience of the articles already indexed into their
search documents (other sources keep none), on both databases; a downgrade drops it."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.conftest import build_app

BEFORE = "7d2f9c41e8a6"
ARTICLE = (
    "INSERT INTO kb_articles (id, number, title, body, keywords, language, audience,"
    " audience_group_id, owner_id, state, published_version, view_count, version, created_at,"
    " updated_at) VALUES (:i, :n, :n, '', '', 'en', :a, :g, 1, 'published', 1, 0, 1, :t, :t)"
)
DOCUMENT = (
    "INSERT INTO search_documents (source, source_id, kind, ref, language, title, body, notes,"
    " updated_at) VALUES (:s, :i, '', '', 'english', 'Printer', '', '', :t)"
)


def test_the_indexed_articles_get_their_audience(fresh_database_url, tmp_path):
    from app.extensions import db

    app = build_app(fresh_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade(revision=BEFORE)
        now = "2026-12-07 00:50:00+00:00"
        with db.engine.begin() as connection:
            run = connection.execute
            run(
                text(
                    "INSERT INTO users (id, username, display_name, is_active, source, version,"
                    " created_at, updated_at) VALUES (1, 'ann', 'Ann', true, 'local', 1, :t, :t)"
                ),
                {"t": now},
            )
            run(
                text(
                    "INSERT INTO groups (id, name, source, created_at, updated_at)"
                    " VALUES (7, 'Finance', 'local', :t, :t)"
                ),
                {"t": now},
            )
            for article, audience, group in (
                (1, "everyone", None),
                (2, "it_staff", None),
                (3, "group", 7),
            ):
                values = {"i": article, "n": f"KB{article:07d}", "a": audience, "g": group}
                run(text(ARTICLE), {**values, "t": now})
                run(text(DOCUMENT), {"s": "kb_article", "i": article, "t": now})
            run(text(DOCUMENT), {"s": "ticket", "i": 2, "t": now})
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT source, source_id, audience FROM search_documents")
            ).all()
        assert sorted(rows) == [
            ("kb_article", 1, "everyone"),
            ("kb_article", 2, "it_staff"),
            ("kb_article", 3, "group:7"),
            ("ticket", 2, ""),
        ]
        downgrade(revision=BEFORE)
        columns = {c["name"] for c in inspect(db.engine).get_columns("search_documents")}
        assert "title" in columns
        assert "audience" not in columns
        db.engine.dispose()

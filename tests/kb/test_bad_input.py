"""Bad input to the article forms: clear field errors, nothing saved, nothing executed, no 500."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.cmdb.graph.vocabulary import Lifecycle
from app.errors import Invalid
from app.kb import services
from app.kb.models import Article
from app.kb.services import FILE_MAX
from tests.kb.helpers import sign_in_as

FIELDS = {"body": "Some text.", "language": "en", "audience": "everyone"}


def count(db: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(Article))


def test_a_huge_title_is_a_field_error(client: Any, db: Any, people: Any) -> None:
    sign_in_as(client, "author")
    response = client.post("/kb/new", {**FIELDS, "title": "x" * 10_000})
    assert response.status_code == 422
    assert "at most 200" in response.get_data(as_text=True)
    assert count(db) == 0


def test_nul_bytes_are_removed_not_stored(client: Any, db: Any, people: Any) -> None:
    sign_in_as(client, "author")
    response = client.post("/kb/new", {**FIELDS, "title": "Null\x00 byte", "body": "a\x00b"})
    assert response.status_code == 302
    article = db.session.scalar(select(Article))
    assert article.title == "Null byte"
    assert article.body == "ab"


def test_missing_fields_and_unknown_choices(client: Any, db: Any, people: Any) -> None:
    sign_in_as(client, "author")
    response = client.post(
        "/kb/new", {"title": "", "body": "", "language": "xx", "audience": "group"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give the article a title." in page
    assert "Write the article&#39;s text." in page
    assert "Choose a language from the list." in page
    assert "Choose the group that may read the article." in page
    assert count(db) == 0


def test_a_retired_ci_cannot_be_linked(client: Any, db: Any, people: Any, make_ci: Any) -> None:
    make_ci("old-fax-server", "application", status=Lifecycle.RETIRED)
    sign_in_as(client, "author")
    response = client.post(
        "/kb/new", {**FIELDS, "title": "Faxing", "cis": "old-fax-server, no-such-ci"}
    )
    assert response.status_code == 422
    assert "No configuration item is named no-such-ci" in response.get_data(as_text=True)
    response = client.post("/kb/new", {**FIELDS, "title": "Faxing", "cis": "old-fax-server"})
    assert response.status_code == 422
    assert "old-fax-server is retired" in response.get_data(as_text=True)
    assert count(db) == 0


def test_script_in_markdown_is_shown_as_text(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    article = make_article("XSS", "<script>alert('x')</script>\n\n[go](javascript:alert(1))")
    sign_in_as(client, "emp")
    page = client.get(f"/kb/{article.number}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert 'href="javascript:' not in page


def test_unsupported_and_empty_files_are_refused(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    import io

    article = make_article(published=False)
    sign_in_as(client, "author")
    for name, data in (("evil.html", b"<script>"), ("empty.png", b""), ("x.svg", b"<svg/>")):
        response = client.post(
            f"/kb/{article.number}/files", {"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )  # fmt: skip
        assert response.status_code == 303
        follow = client.get(f"/kb/{article.number}/edit").get_data(as_text=True)
        assert "Attached." not in follow


def test_unknown_article_and_garbage_numbers_are_404(client: Any, db: Any, people: Any) -> None:
    sign_in_as(client, "emp")
    for number in ("KB9999999", "x" * 5000, "%00"):
        assert client.get(f"/kb/{number}").status_code == 404
    assert client.get("/kb/suggest?q=" + "%22 OR 1=1 -- " * 500).status_code == 200


def test_a_huge_image_is_refused_and_a_small_one_is_served(
    app: Any, client: Any, db: Any, people: Any, make_article: Any, monkeypatch: Any
) -> None:
    import io

    article = make_article(published=False)
    sign_in_as(client, "author")
    with pytest.raises(Invalid, match="larger than 10 MB"):  # the service's limit
        services.add_file(article, people.author, "huge.png", b"0" * (FILE_MAX + 1))
    db.session.rollback()
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)  # the request's limit
    response = client.post(
        f"/kb/{article.number}/files", {"file": (io.BytesIO(b"0" * 2000), "big.png")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 413
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 25 * 1024 * 1024)
    response = client.post(
        f"/kb/{article.number}/files", {"file": (io.BytesIO(b"\x89PNG small"), "shot.png")},
        content_type="multipart/form-data",
    )  # fmt: skip
    page = client.get(f"/kb/{article.number}/edit").get_data(as_text=True)
    assert "Attached. Use it in the text as ![shot.png](/kb/files/" in page

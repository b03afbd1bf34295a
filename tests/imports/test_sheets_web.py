"""The spreadsheet import pages end to end: upload → mapping guessed from the headers →
preview of the rows as they will be saved → dry run (a run with its report) → import (all or
nothing) → the run's page; refusals as 413/422 with the problems, never a 500; only
administrators, and only the uploader's own staged file."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.imports.models import ImportRun, RunState

PEOPLE = (
    "Login;Full name;Courriel;Department\n"
    "rita;Rita Ruiz;rita@example.org;IT\n"
    "sam;Sam Stone;sam@example.org;Sales\n"
)


def body(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def admin(client, make_user):
    make_user("sheetboss", roles=["admin"])
    client.login("sheetboss")
    return client


def upload(client, data: bytes, name: str = "people.csv", kind: str = "people"):
    return client.post("/admin/imports/sheets", {"kind": kind, "file": (io.BytesIO(data), name)})


def mapping_url(response) -> str:
    assert response.status_code == 302
    return response.headers["Location"]


def selected(page: str, field: str) -> str:
    """The option selected in a mapping select ("" when none is marked)."""
    select_html = re.search(rf'<select[^>]*name="map_{field}".*?</select>', page, re.S).group(0)
    found = re.search(
        r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select_html
    )
    return (found.group(1) or found.group(2) or "") if found else ""


def mapping(page: str, **changes: str) -> dict[str, str]:
    fields = dict.fromkeys(re.findall(r'name="(map_\w+)"', page), "")
    for name in fields:
        fields[name] = selected(page, name.removeprefix("map_"))
    fields.update({f"map_{k}": v for k, v in changes.items()})
    return fields


def people(db) -> list[str]:
    return sorted(
        db.session.scalars(select(User.username).where(User.username.in_(["rita", "sam"])))
    )


def test_upload_map_preview_dry_run_and_import(admin, db):
    index = body(admin.get("/admin/imports/"))
    assert "/admin/imports/sheets" in index
    url = mapping_url(upload(admin, PEOPLE.encode()))
    page = body(admin.get(url))
    assert selected(page, "username") == "0"
    assert selected(page, "display_name") == "1"
    assert selected(page, "email") == ""  # "Courriel" is not guessed: the admin chooses it
    form = mapping(page, email="2")
    preview = admin.post(url, {**form, "action": "preview"})
    assert preview.status_code == 200
    shown = body(preview)
    assert "Rita Ruiz" in shown
    assert "rita@example.org" in shown
    assert people(db) == []
    dry = admin.post(url, {**form, "action": "dry_run"})
    assert dry.status_code == 200
    assert "2 to create" in body(dry)
    assert people(db) == []
    done = admin.post(url, {**form, "action": "import"})
    assert done.status_code == 302
    run = db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()).limit(1))
    assert done.headers["Location"].endswith(f"/admin/imports/runs/{run.id}")
    assert run.state == RunState.FINISHED
    assert run.counts["rows_created"] == 2
    assert people(db) == ["rita", "sam"]
    rita = db.session.scalar(select(User).where(User.username == "rita"))
    assert rita.email == "rita@example.org"
    again = admin.post(url, {**form, "action": "import"})
    assert again.status_code == 404  # the staged file went with the import
    runs = body(admin.get("/admin/imports/"))
    assert "sheet-people" in runs


def test_a_dry_run_with_errors_lists_them_and_the_import_saves_nothing(admin, db):
    sheet = PEOPLE + "tom;Tom;not-mail;IT\nrita;Rita again;rita2@example.org;IT\n"
    url = mapping_url(upload(admin, sheet.encode()))
    form = mapping(body(admin.get(url)), email="2")
    dry = admin.post(url, {**form, "action": "dry_run"})
    assert dry.status_code == 422
    page = body(dry)
    assert "line 4" in page
    assert "not an email address" in page
    assert "already on line 2" in page
    done = admin.post(url, {**form, "action": "import"})
    assert done.status_code == 422
    assert "nothing was imported" in body(done)
    assert people(db) == []
    failed = db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()).limit(1))
    assert failed.state == RunState.FAILED
    assert not failed.dry_run


def test_a_required_field_unmapped_or_a_column_the_file_lacks_is_a_422(admin, db):
    url = mapping_url(upload(admin, PEOPLE.encode()))
    form = mapping(body(admin.get(url)))
    unmapped = admin.post(url, {**form, "map_username": "", "action": "dry_run"})
    assert unmapped.status_code == 422
    assert "“Username” is required" in body(unmapped)
    unknown = admin.post(url, {**form, "map_email": "9", "action": "preview"})
    assert unknown.status_code == 422
    assert "a column the file does not have" in body(unknown)
    assert admin.post(url, {**form, "action": "explode"}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_the_mapping_page_and_its_problems_read_in_swedish(admin, db):
    url = mapping_url(upload(admin, PEOPLE.encode()))
    swedish = {"Accept-Language": "sv"}
    page = body(admin.get(url, headers=swedish))
    assert "Koppla kolumnerna" in page
    assert "Användarnamn *" in page
    unmapped = admin.post(
        url, {**mapping(page), "map_username": "", "action": "dry_run"}, headers=swedish
    )
    assert unmapped.status_code == 422
    assert "”Användarnamn” krävs: välj dess kolumn." in body(unmapped)
    assert "Map the columns" in body(admin.get(url))


def test_unreadable_and_oversized_files_are_refused_with_the_reason(admin, app, monkeypatch):
    quote = upload(admin, b'username,title\nann,"Agent\nbob,Boss\n')
    assert quote.status_code == 422
    assert "Line 2: A quote opened on this line is never closed" in body(quote)
    truncated = upload(admin, b"PK\x03\x04not really", name="people.xlsx")
    assert truncated.status_code == 422
    assert "truncated" in body(truncated)
    monkeypatch.setitem(app.config, "SHEET_IMPORT_MAX_ROWS", 1)
    long = upload(admin, PEOPLE.encode())
    assert long.status_code == 413
    assert "people.csv has 2 rows; the page imports at most 1" in body(long)
    monkeypatch.setitem(app.config, "SHEET_IMPORT_MAX_BYTES", 20)
    big = upload(admin, PEOPLE.encode())
    assert big.status_code == 413
    assert "the limit is 20 bytes" in body(big)
    assert upload(admin, b"").status_code == 422


def test_only_administrators_and_only_the_uploader(admin, client, make_user):
    url = mapping_url(upload(admin, PEOPLE.encode()))
    assert admin.get(url.replace("/people/", "/planets/")).status_code == 404
    make_user("otheradmin", roles=["admin"])
    client.post("/logout")
    client.login("otheradmin")
    assert client.get(url).status_code == 404  # another admin's staged file
    make_user("agentonly", roles=["agent"])
    client.post("/logout")
    client.login("agentonly")
    assert client.get("/admin/imports/sheets").status_code == 403
    assert client.get(url).status_code == 403


def test_a_dry_runs_problems_read_in_each_readers_language(admin, db):
    """The report lines are stored as messages: a Swedish reader reads them (and where they
    point) in Swedish, an English reader in English, from the same run."""
    sheet = PEOPLE + "tom;Tom;not-mail;IT\nrita;Rita again;rita2@example.org;IT\n"
    url = mapping_url(upload(admin, sheet.encode()))
    form = mapping(body(admin.get(url)), email="2")
    swedish = {"Accept-Language": "sv"}
    dry = body(admin.post(url, {**form, "action": "dry_run"}, headers=swedish))
    assert ">rad 4<" in dry
    assert "”not-mail” är ingen e-postadress" in dry
    assert "Användarnamnet ”rita” finns redan på rad 2." in dry
    run = db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()).limit(1))
    english = body(admin.get(f"/admin/imports/runs/{run.id}"))
    assert ">line 4<" in english
    assert "The username “rita” is already on line 2." in english
    again = body(admin.get(f"/admin/imports/runs/{run.id}", headers=swedish))
    assert "Användarnamnet ”rita” finns redan på rad 2." in again


def test_an_unreadable_sheet_is_refused_in_the_readers_language(admin):
    broken = b'Login;Full name\nrita;"Rita Ruiz\nsam;Sam\n'
    swedish = admin.post(
        "/admin/imports/sheets",
        {"kind": "people", "file": (io.BytesIO(broken), "people.csv")},
        headers={"Accept-Language": "sv"},
    )
    assert swedish.status_code == 422
    assert "Ett citattecken som öppnas på den här raden stängs aldrig" in body(swedish)
    english = upload(admin, broken)
    assert english.status_code == 422
    assert "A quote opened on this line is never closed" in body(english)

"""CSV and XLSX exports of report tables (``app/exports.py``) and the chart macro's table view
(``_macros/charts.html``): what a person downloads and reads, on both databases' apps."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from app import exports
from app.errors import Invalid
from app.exports import Table

COLUMNS = ("Day", "Opened", "Resolved")


def sheet_cells(body: bytes) -> list[list[str]]:
    """The text of each row of an XLSX's first sheet (inline strings and numbers)."""
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    rows = re.findall(r"<row [^>]*>(.*?)</row>", xml)
    return [re.findall(r"<(?:t|v)>([^<]*)</(?:t|v)>", row) for row in rows]


class Counting:
    """An iterator over ``total`` rows that counts how many were taken."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.taken = 0

    def __iter__(self) -> Iterator[tuple[str, int, int]]:
        for n in range(self.total):
            self.taken += 1
            yield (f"2026-01-{n % 28 + 1:02d}", n, n // 2)


def test_a_million_row_csv_is_streamed_a_chunk_at_a_time(app: Any) -> None:
    rows = Counting(1_000_000)
    with app.test_request_context():
        response = exports.csv_response("opened per day", COLUMNS, rows)
        assert response.is_streamed
        assert response.headers["Content-Disposition"] == "attachment; filename=opened-per-day.csv"
        chunks = response.iter_encoded()
        header = next(chunks)
        first = next(chunks)
    assert header.decode("utf-8-sig") == "Day,Opened,Resolved\r\n"
    assert first.decode().splitlines()[0] == "2026-01-01,0,0"
    # Only the first chunk's rows were read from the million: the body is never built whole.
    assert rows.taken == exports.CSV_CHUNK_ROWS


def test_csv_cells_are_utc_iso_and_never_formulas() -> None:
    text = "".join(
        exports.csv_chunks(
            ("Ticket", "Opened at", "Due", "Breached", "Note"),
            [
                (
                    '=HYPERLINK("http://evil")',
                    datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
                    date(2026, 3, 2),
                    True,
                    None,
                ),
                ("+1 555", datetime(2026, 3, 1, 10, 0, tzinfo=UTC), None, False, "plain"),
            ],
        )
    )
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[1] == '"\'=HYPERLINK(""http://evil"")",2026-03-01T09:30:00+00:00,2026-03-02,yes,'
    assert lines[2] == "'+1 555,2026-03-01T10:00:00+00:00,,no,plain"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_with_no_rows_is_a_file_with_its_header(app: Any, fmt: str) -> None:
    with app.test_request_context():
        response = exports.export_response(fmt, "backlog", COLUMNS, iter(()))
        response.direct_passthrough = False
        body = response.get_data()
        response.close()
    assert response.status_code == 200
    if fmt == "csv":
        assert body.decode("utf-8-sig") == "Day,Opened,Resolved\r\n"
    else:
        assert response.mimetype == exports.XLSX_MIMETYPE
        assert sheet_cells(body) == [list(COLUMNS)]


def test_xlsx_holds_numbers_dates_and_text_as_typed(app: Any) -> None:
    rows = [("=cmd|' /C calc'!A0", 3, 1.5), (date(2026, 12, 1), None, 2)]
    with app.test_request_context():
        response = exports.export_response("XLSX", "weekly", COLUMNS, rows)
        response.direct_passthrough = False
        body = response.get_data()
        response.close()
    assert response.headers["Content-Disposition"].endswith("filename=weekly.xlsx")
    assert sheet_cells(body) == [list(COLUMNS), ["=cmd|' /C calc'!A0", "3", "1.5"], ["46357", "2"]]
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # text starting with "=" stays text, never a formula


def test_xlsx_refuses_more_rows_than_a_sheet_holds(app: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    with app.test_request_context(), pytest.raises(Invalid) as refused:
        exports.export_response("xlsx", "big", COLUMNS, Counting(10))
    assert "at most 3 rows: export CSV instead" in refused.value.message


@pytest.mark.parametrize("fmt", ["pdf", "", None])
def test_an_unknown_format_is_refused(fmt: str | None) -> None:
    with pytest.raises(Invalid) as refused:
        exports.check_format(fmt)
    assert refused.value.field_errors == {"format": [f"Exports are CSV or XLSX, not “{fmt}”."]}


def test_download_names_are_safe() -> None:
    assert exports.filename('../../etc/"passwd"', "csv") == "etc-passwd.csv"
    assert exports.filename("", "xlsx") == "export.xlsx"


def test_chart_data_has_a_dataset_per_series_column() -> None:
    table = Table("opened", "Opened and resolved", COLUMNS, [(date(2026, 1, 5), 4, None)])
    assert table.chart_data("line") == {
        "kind": "line",
        "title": "Opened and resolved",
        "labels": ["2026-01-05"],
        "datasets": [{"label": "Opened", "data": [4.0]}, {"label": "Resolved", "data": [None]}],
    }
    with pytest.raises(ValueError, match="unknown chart kind"):
        table.chart_data("pie3d")


def render_chart(app: Any, table: Table, export_url: str | None) -> str:
    with app.test_request_context():
        template = app.jinja_env.from_string(
            '{% from "_macros/charts.html" import chart %}{{ chart(table, "bar", export_url) }}'
        )
        return template.render(table=table, export_url=export_url)


def test_the_chart_macro_renders_its_table_view_and_downloads(app: Any) -> None:
    table = Table(
        "by-priority", "Opened by priority", ("Priority", "Opened"), [("P1", 2), ("P2", 7)]
    )
    html = render_chart(app, table, "/reports/overview?range=week")
    assert "<caption>Opened by priority</caption>" in html
    assert '<th scope="col" class="text-end">Opened</th>' in html
    assert '<th scope="row" class="fw-normal">P2</th><td class="text-end">7</td>' in html
    assert 'href="/reports/overview?range=week&amp;format=csv"' in html
    assert 'href="/reports/overview?range=week&amp;format=xlsx"' in html
    assert '<script type="application/json" data-chart-data>' in html
    assert "No rows" not in html


def test_a_chart_with_no_rows_says_so_and_still_offers_its_header_as_a_file(app: Any) -> None:
    table = Table("empty", "Opened by channel", ("Channel", "Opened"), [])
    html = render_chart(app, table, "/reports/x")
    assert "No rows for this range." in html
    assert "data-chart-data" not in html  # nothing to draw
    assert 'href="/reports/x?format=csv"' in html

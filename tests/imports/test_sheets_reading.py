"""Reading spreadsheets strictly and guessing their mapping (pure: no database): CSV with
its delimiter sniffed, a byte order mark, undecodable bytes and unclosed quotes named by
line; XLSX formulas, merged cells and dates; headers matched to fields in any spelling."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import pytest

from app.i18n.stored import english
from app.imports.sheets import fields, reading


def xlsx(rows: list[list[object]], merge: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_sniffed_and_a_bom_is_dropped(delimiter):
    text = delimiter.join(["Username", "E-mail"]) + "\r\nann" + delimiter + "ann@example.org\r\n"
    sheet = reading.read(b"\xef\xbb\xbf" + text.encode(), "people.csv")
    assert sheet.header == ["Username", "E-mail"]
    assert [(r.line, r.cells) for r in sheet.rows] == [(2, ("ann", "ann@example.org"))]


def test_an_unclosed_quote_is_an_error_on_the_line_where_its_row_starts():
    data = b'username,title\nann,Agent\nbob,"Network\ncid,Lead\ndan,Boss\n'
    with pytest.raises(reading.Unreadable) as refused:
        reading.read(data, "people.csv")
    (problem,) = refused.value.problems
    assert problem.where == "3"
    assert "never closed" in english(problem.message)


def test_undecodable_bytes_are_refused_with_their_line():
    with pytest.raises(reading.Unreadable) as refused:
        reading.read(b"username\nann\nb\xe9a\n", "people.csv")
    assert refused.value.problems[0].where == "3"
    assert "UTF-8" in english(refused.value.problems[0].message)


def test_csv_formulas_stay_text_and_the_exports_apostrophe_is_removed():
    sheet = reading.read(b"username,title\nann,'=boss\nbob,=1+2\n", "people.csv")
    assert [r.cells[1] for r in sheet.rows] == ["=boss", "=1+2"]


def test_a_csv_row_with_too_many_values_is_a_problem_of_its_line():
    sheet = reading.read(b"username,title\nann,Agent,extra\n", "people.csv")
    assert [(p.where, english(p.message)[:18]) for p in sheet.problems] == [
        ("2", "This line has 3 va")
    ]


def test_xlsx_dates_numbers_formulas_and_merged_cells():
    data = xlsx(
        [
            ["Username", "Start", "Desk"],
            ["ann", datetime(2026, 3, 1), 12.0],
            ["bob", datetime(2026, 3, 2, 9, 30), "=A2"],
            ["cid", "", ""],
        ],
        merge="A4:B4",
    )
    sheet = reading.read(data, "people.xlsx")
    assert sheet.fmt == "xlsx"
    assert sheet.rows[0].cells == ("ann", "2026-03-01", "12")
    assert sheet.rows[1].cells[1] == "2026-03-02 09:30"
    assert [(p.where, p.column) for p in sheet.problems] == [
        ("3", "C (Desk)"),
        ("4", "A (Username)"),
    ]
    assert "formula (=A2)" in english(sheet.problems[0].message)
    assert "merged" in english(sheet.problems[1].message)


@pytest.mark.parametrize(
    "data", [b"PK\x03\x04truncated", xlsx([["a"], ["b"]])[:300]], ids=["garbage", "truncated"]
)
def test_a_damaged_or_truncated_workbook_is_refused_whole(data):
    with pytest.raises(reading.Unreadable) as refused:
        reading.read(data, "people.xlsx")
    assert "XLSX" in english(refused.value.problems[0].message)


def test_a_workbook_whose_sheet_is_bad_xml_is_refused_whole():
    good = zipfile.ZipFile(io.BytesIO(xlsx([["Username"], ["ann"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bad:
        for info in good.infolist():
            data = good.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # the XML stops half way
            bad.writestr(info, data)
    with pytest.raises(reading.Unreadable) as refused:
        reading.read(out.getvalue(), "people.xlsx")
    assert "damaged" in english(refused.value.problems[0].message)


def test_headers_are_matched_whatever_their_case_accents_and_synonyms():
    header = ["LOGIN", " Full name ", "Courriel", "mail", "Téléphone", "Reports to", "Teams"]
    mapping = fields.guess_mapping("people", header)
    assert mapping["username"] == 0
    assert mapping["display_name"] == 1
    assert mapping["email"] == 3  # "Courriel" is no synonym; "mail" is
    assert mapping["phone"] == 4
    assert mapping["manager"] == 5
    assert mapping["groups"] == 6
    assert mapping["department"] is None
    incidents = fields.guess_mapping("incidents", ["Number", "Short description", "Caller"])
    assert (incidents["number"], incidents["title"], incidents["caller"]) == (0, 1, 2)


def test_a_required_field_left_out_and_a_column_the_file_lacks_are_mapping_problems():
    problems = fields.mapping_problems("people", {"username": None, "email": 7}, ["a", "b"])
    assert [label for label, _ in problems] == ["Username", "Email"]


def test_dates_are_iso_and_other_forms_are_refused_as_ambiguous():
    assert fields.parse_datetime("2026-03-12") == datetime(2026, 3, 12, tzinfo=UTC)
    assert fields.parse_datetime("2026-03-12T14:30+01:00") == datetime(
        2026, 3, 12, 13, 30, tzinfo=UTC
    )
    assert fields.parse_date("2026-03-12") == date(2026, 3, 12)
    for bad in ("12/03/2026", "March 12, 2026", "2026-02-30"):
        with pytest.raises(fields.BadValue):
            fields.parse_datetime(bad)

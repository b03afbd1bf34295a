"""Reading and writing CMDB import files (pure, no database): encodings, headers, malformed
CSV and JSON each give a specific error saying where; exports escape spreadsheet formulas and
read back unchanged."""

from __future__ import annotations

import codecs
import json

import pytest

from app.cmdb.transfer.format import FileError, guess_format, read, write_csv


def errors_of(data: bytes, fmt: str = "csv", kind: str | None = None) -> list[tuple[str, str]]:
    with pytest.raises(FileError) as caught:
        read(data, fmt=fmt, kind=kind)
    return [(e.where, e.column) for e in caught.value.errors]


def message_of(data: bytes, fmt: str = "csv", kind: str | None = None) -> str:
    with pytest.raises(FileError) as caught:
        read(data, fmt=fmt, kind=kind)
    return str(caught.value)


def test_a_bom_is_skipped_and_semicolons_and_quoted_newlines_are_read():
    text = 'Name;Class;Description\n"erp";application;"two\nlines; and ""quotes"""\n'
    parsed = read(codecs.BOM_UTF8 + text.encode(), fmt="csv")
    assert [dict(r.values) for r in parsed.cis] == [
        {"name": "erp", "class": "application", "description": 'two\nlines; and "quotes"'}
    ]
    assert parsed.cis[0].where == "2"


def test_line_numbers_count_physical_lines_and_blank_lines_are_skipped():
    data = b'name,class,description\na,server,"x\ny"\n\n,,\nb,server,z\n'
    parsed = read(data, fmt="csv")
    assert [(r.where, r.values["name"]) for r in parsed.cis] == [("2", "a"), ("6", "b")]


@pytest.mark.parametrize(
    ("data", "where", "words"),
    [
        (b"name,class\nserveur,caf\xe9\n", "2", "not UTF-8"),
        (codecs.BOM_UTF16_LE + "name,class\n".encode("utf-16-le"), "", "UTF-16"),
        (b"", "", "empty"),
        (b"  \n\n", "", "empty"),
        (b"name,class\n\x00\x00", "", "NUL"),
    ],
)
def test_bad_encodings_are_refused_with_a_specific_message(data, where, words):
    with pytest.raises(FileError) as caught:
        read(data, fmt="csv")
    assert caught.value.errors[0].where == where
    assert words in str(caught.value)


def test_every_header_problem_is_reported_at_once():
    found = errors_of(b"name,Name,,colour,attr:,attr:cpu_count\nx,y,z,w,v,u\n")
    assert found == [("1", "name"), ("1", "#3"), ("1", "colour"), ("1", "attr:"), ("1", "class")]
    assert "Unknown column “colour”" in message_of(b"name,class,colour\n")


def test_a_header_must_name_what_the_file_holds():
    assert "header" in message_of(b",,\na,b,c\n")
    assert errors_of(b"description\nx\n") == [("1", "name"), ("1", "class")]
    assert errors_of(b"source,target\na,b\n") == [("1", "type")]
    assert "Expected relations" in message_of(b"name,class\na,server\n", kind="relations")
    assert read(b"source_id,type,target_id\n1,runs_on,2\n", fmt="csv").relations


def test_rows_of_the_wrong_width_and_broken_quotes_say_where():
    assert errors_of(b"name,class\na,server\nb,server,extra\n") == [("3", "")]
    assert "3 values" in message_of(b"name,class\na,server\nb,server,extra\n")
    assert errors_of(b'name,class\na,server\n"b,server\n') == [("3", "")]


def test_an_unclosed_quote_is_refused_on_its_row_instead_of_swallowing_the_rest():
    data = b'name,class,description\na,server,"starts here\nb,server,x\nc,server,y\n'
    assert errors_of(data) == [("2", "")]
    assert "never closed" in message_of(data)
    # Open far enough from the end, it runs past a cell's limit first: same row, both causes.
    long = b'name,class,description\nok,server,x\na,server,"x\n' + b"b,server,y\n" * 20_000
    assert errors_of(long) == [("3", "")]
    assert "not closed" in message_of(long)
    assert "write each quote inside it twice" in message_of(b'name,class\na,"19" rack\n')


def test_a_csv_cell_holds_at_most_128_kib_and_the_error_says_so():
    limit = 128 * 1024
    fits = read(b"name,class,description\na,server," + b"x" * limit + b"\n", fmt="csv")
    assert len(fits.cis[0].values["description"]) == limit
    too_long = b"name,class,description\na,server,b\nc,server," + b"x" * (limit + 1) + b"\n"
    assert errors_of(too_long) == [("3", "")]
    assert "longer than 131,072 characters (128 KiB)" in message_of(too_long)


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ('{"cis": [\n {"name": "a",}\n]}', "2", "line 2, column"),
        ('"just a string"', "", "Give an object"),
        ('{"cis": [], "classes": []}', "", "Unknown key"),
        ('{"cis": {"name": "a"}}', "", "must be a list"),
        ("[" * 100_000 + "]" * 100_000, "", "nested too deeply"),
    ],
)
def test_malformed_json_is_refused_with_a_specific_message(text, where, words):
    with pytest.raises(FileError) as caught:
        read(text.encode(), fmt="json")
    assert caught.value.errors[0].where == where
    assert words in str(caught.value)


def test_json_items_are_checked_one_by_one_and_each_problem_named():
    data = {
        "cis": [
            {"name": "ok", "class": "server", "attributes": {"cpu_count": 4}},
            "not an object",
            {"name": "a", "class": "server", "colour": "red", "location": ["x"]},
            {"name": "b", "class": "server", "attributes": {"ram": {"gb": 4}}},
            {"class": "server", "attributes": "none"},
        ],
        "relations": [{"source": "a", "target": "b"}],
    }
    found = errors_of(json.dumps(data).encode(), "json")
    assert found == [
        ("cis #2", ""),
        ("cis #3", "colour"),
        ("cis #3", "location"),
        ("cis #4", "attributes.ram"),
        ("cis #5", "attributes"),
        ("cis #5", "name"),
        ("relations #1", "type"),
    ]


def test_a_json_list_takes_its_kind_from_its_items_or_the_option():
    items = [{"source": "a", "type": "runs_on", "target": "b"}]
    assert len(read(json.dumps(items).encode(), fmt="json").relations) == 1
    cis = read(b'[{"name": "a", "class": "server", "attributes": {"os": "Linux"}}]', fmt="json")
    assert cis.cis[0].values == {"name": "a", "class": "server", "attr:os": "Linux"}
    assert cis.cis[0].column("attr:os") == "attributes.os"
    assert "Expected configuration items" in message_of(
        b'{"relations": []}', fmt="json", kind="cis"
    )


def test_formulas_are_escaped_on_export_and_unescaped_on_import():
    values = ["=SUM(A1)", "+33 1 23", "-x", "@here", "'=quoted", "plain", "it's"]
    text = "".join(write_csv(["name", "class"], [{"name": v, "class": "server"} for v in values]))
    assert "'=SUM(A1)" in text
    assert "''=quoted" in text
    assert "\nit's," in text
    parsed = read(text.encode(), fmt="csv")
    assert [r.values["name"] for r in parsed.cis] == values


def test_csv_cells_are_text_booleans_are_yes_no_and_none_is_empty():
    rows = [{"name": "a", "class": None, "attr:x": True, "attr:y": 12, "attr:z": False}]
    text = "".join(write_csv(["name", "class", "attr:x", "attr:y", "attr:z"], rows))
    assert text.splitlines()[1] == "a,,yes,12,no"


def test_the_format_comes_from_the_name_or_the_first_character():
    assert guess_format("estate.JSON", b"name") == "json"
    assert guess_format("estate.csv", b"{") == "csv"
    assert guess_format("upload", codecs.BOM_UTF8 + b'  [{"name": 1}]') == "json"
    assert guess_format("upload", b"name,class") == "csv"
    assert "Unknown format" in message_of(b"x", fmt="xml")

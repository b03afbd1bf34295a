"""The CMDB's import and export files, CSV and JSON, as plain data (no Flask, no database).

A file holds configuration items, relations, or (JSON only) both::

    CSV, CIs:        name,class,status,...,owner,support_group,...,users_group,...,attr:tier
    CSV, relations:  source,source_class,type,target,target_class   (or source_id, target_id)
    JSON:            {"cis": [{"name": ..., "class": ..., "attributes": {...}}, ...],
                      "relations": [{"source": ..., "type": ..., "target": ...}, ...]}
                     or a bare list of either.

Reading gives :class:`Record` s (one per row or item, saying where it came from) or raises
:class:`FileError` listing what is wrong with the file as a whole (encoding, header, syntax).
Checking the values is the CMDB services' job, not this module's.

In CSV an empty cell is "no value" (it clears the field of an existing CI) and a column left
out of the header leaves the field as it is; in JSON the same goes for ``null`` and a missing
key. Text a spreadsheet would run as a formula (``=``, ``+``, ``-`` or ``@`` first) is written
with a leading apostrophe, which reading removes again: an export opened in a spreadsheet runs
nothing and still imports unchanged.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CI_COLUMNS = (
    "name", "class", "status", "environment", "criticality", "description", "owner",
    "support_group", "location", "asset_tag", "serial_number", "model", "warranty_end",
    "assigned_user", "users_count", "users_group", "min_up", "min_up_percent",
)  # fmt: skip
RELATION_COLUMNS = ("source", "source_class", "type", "target", "target_class")
RELATION_ID_COLUMNS = ("source_id", "target_id")
ATTR_PREFIX = "attr:"
KINDS = ("cis", "relations")
FORMATS = ("csv", "json")
MAX_ERRORS = 1000  # per file: a longer report ends with "and N more"
FORMULA = re.compile(r"^'*[=+\-@]")
DELIMITERS = (",", ";", "\t")
MAX_CELL = csv.field_size_limit()  # characters in one CSV cell: 131,072 (128 KiB)


@dataclass(frozen=True)
class RowError:
    """One problem: where (``"12"``: line 12 of a CSV file; ``"cis #3"``: the third CI of a
    JSON file), which column or key, and why, in words for the person who fixes the file."""

    where: str
    column: str
    message: str


class FileError(ValueError):
    """The file as a whole cannot be read; ``errors`` says where and why."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def file_error(message: str, where: str = "", column: str = "") -> FileError:
    return FileError([RowError(where, column, message)])


@dataclass(frozen=True)
class Record:
    """One row or item: ``values`` by column (attributes as ``attr:<name>``), each a string
    (CSV) or a JSON scalar."""

    kind: str
    fmt: str
    where: str
    values: Mapping[str, Any]

    def column(self, key: str) -> str:
        """How this file names ``key``: ``attr:x`` in CSV, ``attributes.x`` in JSON."""
        if self.fmt == "json" and key.startswith(ATTR_PREFIX):
            return "attributes." + key.removeprefix(ATTR_PREFIX)
        return key


@dataclass
class Parsed:
    cis: list[Record] = field(default_factory=list)
    relations: list[Record] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.cis) + len(self.relations)


# --- reading -------------------------------------------------------------------------------


def guess_format(filename: str, data: bytes) -> str:
    """``csv`` or ``json``: from the file's extension, else from its first character."""
    lower = (filename or "").lower()
    for fmt in FORMATS:
        if lower.endswith("." + fmt):
            return fmt
    start = data[:64].removeprefix(codecs.BOM_UTF8).lstrip()
    return "json" if start[:1] in (b"{", b"[") else "csv"


def decode(data: bytes) -> str:
    """The file's text: UTF-8, with or without a byte order mark.

    :raise FileError: empty, UTF-16, binary, or not UTF-8 (naming the line of the first bad
        byte).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise file_error("The file is UTF-16 text: save it as UTF-8 (“CSV UTF-8” in Excel).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise file_error(
            f"The file is not UTF-8 text (byte {error.start + 1}, on line {line}, is not): "
            "save it as UTF-8 (“CSV UTF-8” in Excel).",
            str(line),
        ) from None
    if "\x00" in text:
        raise file_error("This is not a text file (it contains NUL bytes).")
    if not text.strip():
        raise file_error("The file is empty.")
    return text


def read(data: bytes, *, fmt: str, kind: str | None = None) -> Parsed:
    """Parse an import file; ``kind`` (``cis`` or ``relations``) is checked when given, else
    read from the CSV header or the JSON keys.

    :raise FileError: see :func:`decode`; malformed CSV or JSON, a missing, unknown or
        repeated column, or a file of the other kind.
    """
    if fmt not in FORMATS:
        raise file_error(f"Unknown format “{fmt[:20]}”: use csv or json.")
    if kind is not None and kind not in KINDS:
        raise file_error(f"Unknown kind “{kind[:20]}”: use cis or relations.")
    text = decode(data)
    return _read_csv(text, kind) if fmt == "csv" else _read_json(text, kind)


def _read_csv(text: str, kind: str | None) -> Parsed:
    first = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 0  # the last line of the last row read: the next row starts on the line after
    try:
        header = [h.strip().lower() for h in next(reader)]
        kind = _check_header(header, kind)
        rows: list[Record] = []
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise file_error(
                    f"This line has {len(cells)} values but the header has {len(header)} "
                    "columns (a missing or extra separator, or an unclosed quote?).",
                    str(start),
                )
            values = {h: _unescape(c) for h, c in zip(header, cells, strict=True)}
            rows.append(Record(kind, "csv", str(start), values))
    except csv.Error as error:
        raise file_error(_csv_problem(str(error)), str(line + 1)) from None
    return Parsed(cis=rows) if kind == "cis" else Parsed(relations=rows)


def _csv_problem(error: str) -> str:
    """What Python's strict CSV reader refused, for the person who fixes the row it starts."""
    if "unexpected end of data" in error:
        return (
            "A quote opened in this row is never closed, so the rest of the file would be read "
            'as one value: add the closing quote (") or remove the opening one.'
        )
    if "field larger than field limit" in error:
        return (
            f"A value in this row is longer than {MAX_CELL:,} characters ({MAX_CELL // 1024} KiB), "
            "the most a CSV cell may hold (import longer values as JSON), or a quote opened in "
            "this row is not closed where it should be."
        )
    if "expected after" in error:
        return (
            "A quote closes in the middle of a value: put the whole value in quotes and write "
            'each quote inside it twice, e.g. "19"" rack".'
        )
    return f"Not valid CSV: {error}."


def _check_header(header: list[str], kind: str | None) -> str:
    """The kind of rows this header describes. :raise FileError: every problem of the header."""
    if not any(header):
        raise file_error("The first line must be a header naming the columns.", "1")
    found = "relations" if {"type", "target", "target_id"} & set(header) else "cis"
    errors: list[RowError] = []
    if kind is not None and kind != found:
        errors.append(
            RowError(
                "1", "", f"Expected {_describe(kind)}, but the header names {_describe(found)}."
            )
        )
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            errors.append(RowError("1", f"#{position}", "This column has no name."))
        elif name in seen:
            errors.append(RowError("1", name[:60], "This column is named twice."))
        elif not _known_column(name, found):
            errors.append(RowError("1", name[:60], _unknown_column(name, found)))
        seen.add(name)
    errors += [RowError("1", c, m) for c, m in _missing(seen, found)]
    if errors:
        raise FileError(errors)
    return found


def _read_json(text: str, kind: str | None) -> Parsed:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise file_error(
            f"Not valid JSON: {error.msg} (line {error.lineno}, column {error.colno}).",
            str(error.lineno),
        ) from None
    except RecursionError:
        raise file_error("Not valid JSON: nested too deeply.") from None
    if isinstance(data, list):
        looks = "relations" if data and isinstance(data[0], dict) and "type" in data[0] else "cis"
        data = {kind or looks: data}
    if not isinstance(data, dict):
        raise file_error('Give an object {"cis": [...], "relations": [...]} or a list.')
    for key in data:
        if key not in KINDS:
            raise file_error('Unknown key: use "cis" and "relations".', "", str(key)[:60])
        if kind is not None and key != kind:
            raise file_error(f"Expected {_describe(kind)} only, but the file has {key}.", "", key)
    parsed = Parsed()
    errors: list[RowError] = []
    for section in KINDS:
        items = data.get(section, [])
        if not isinstance(items, list):
            errors.append(RowError("", section, f"“{section}” must be a list."))
            continue
        for index, item in enumerate(items, start=1):
            where = f"{section} #{index}"
            try:
                values = _json_values(section, item, where)
            except FileError as error:
                errors.extend(error.errors)
                continue
            (parsed.cis if section == "cis" else parsed.relations).append(
                Record(section, "json", where, values)
            )
    if errors:
        raise FileError(errors[:MAX_ERRORS])
    return parsed


def _json_values(section: str, item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise file_error("Each item must be an object of fields.", where)
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    for key, value in item.items():
        if section == "cis" and key == "attributes":
            if not isinstance(value, dict):
                errors.append(RowError(where, key, "Give the attributes as {name: value}."))
                continue
            for name, attribute in value.items():
                if _scalar(attribute, errors, where, f"attributes.{name[:60]}"):
                    values[ATTR_PREFIX + name] = attribute
        elif not _known_column(key, section) or key.startswith(ATTR_PREFIX):
            errors.append(RowError(where, key[:60], _unknown_column(key, section)))
        elif _scalar(value, errors, where, key):
            values[key] = value
    errors += [RowError(where, c, m) for c, m in _missing(set(values), section)]
    if errors:
        raise FileError(errors)
    return values


def _scalar(value: Any, errors: list[RowError], where: str, column: str) -> bool:
    if isinstance(value, dict | list):
        errors.append(RowError(where, column, "Give a single value here, not a list or object."))
        return False
    return True


def _known_column(name: str, kind: str) -> bool:
    if kind == "relations":
        return name in RELATION_COLUMNS + RELATION_ID_COLUMNS
    return name in CI_COLUMNS or (name.startswith(ATTR_PREFIX) and len(name) > len(ATTR_PREFIX))


def _missing(present: set[str], kind: str) -> list[tuple[str, str]]:
    if kind == "cis":
        return [(c, f"“{c}” is required.") for c in ("name", "class") if c not in present]
    found = [
        (end, f"Give the {end} CI: “{end}” (its name) or “{end}_id”.")
        for end in ("source", "target")
        if end not in present and f"{end}_id" not in present
    ]
    if "type" not in present:
        found.append(("type", "The relation “type” is required."))
    return found


def _unknown_column(name: str, kind: str) -> str:
    if kind == "relations":
        known = ", ".join(RELATION_COLUMNS + RELATION_ID_COLUMNS)
    else:
        known = ", ".join(CI_COLUMNS) + " and attr:<attribute> (“attributes” in JSON)"
    return f"Unknown column “{name[:60]}”. The columns are {known}."


def _describe(kind: str) -> str:
    return "configuration items" if kind == "cis" else "relations"


def _unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and FORMULA.match(cell) else cell


def as_text(value: Any) -> str:
    """A cell or JSON value as stripped text (``None`` is empty)."""
    return "" if value is None else str(value).strip()


def describe_where(where: str) -> str:
    """``"12"`` → ``"line 12"``; a JSON item (``"cis #3"``) stays as it is."""
    return f"line {where}" if where.isdecimal() else where or "the file"


# --- writing -------------------------------------------------------------------------------


def write_csv(columns: Iterable[str], rows: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    """A CSV file of ``rows`` under ``columns``, a chunk of lines at a time (for streaming):
    ``None`` is an empty cell, booleans ``yes``/``no``; text a spreadsheet would run is
    escaped (see the module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = list(columns)
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_cell(row.get(c)) for c in columns])
        if count % 1000 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def write_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return "'" + value if FORMULA.match(value) else value
    return str(value)

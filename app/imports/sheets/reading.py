"""A spreadsheet (CSV or XLSX) read into a header and rows of text, strictly (pure).

Reading never guesses silently: what cannot be read exactly is a :class:`Problem` with its
line and column, for the person who fixes the file.

**CSV** is UTF-8 with or without a byte order mark (other bytes are refused with the line of
the first one), its delimiter sniffed among comma, semicolon and tab from the header line, and
parsed strictly: a quote opened and never closed is an error on the line where its row starts.
Text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) is kept as plain
text, never evaluated; the apostrophe that escapes it in the desk's own exports is removed,
and the desk's exports escape it again.

**XLSX** is read with openpyxl in read-only mode, formulas included (``data_only=False``): a
cell holding a formula is an error, since the value cached beside it was computed by whatever
program saved the file last and cannot be trusted (write the values: "Paste special → Values").
Merged cells are errors too (their value belongs to one row or column only). Date cells become
ISO dates (``2026-03-01``, or ``2026-03-01 09:30`` with a time); whole numbers lose their
``.0``. The first sheet is read; the first non-empty row is the header.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from xml.etree.ElementTree import ParseError, iterparse

from app.cmdb.transfer.format import FileError, decode
from app.i18n import N_
from app.i18n.stored import english, stored

FORMATS = ("csv", "xlsx")
DELIMITERS = (",", ";", "\t")
ESCAPED_FORMULA = re.compile(r"^'+[=+\-@]")
MAX_ROWS = 50_000
MAX_COLUMNS = 200
MAX_UNZIPPED = 200 * 1024 * 1024  # an XLSX whose parts unzip to more is refused (a zip bomb)
MERGE_TAG = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}mergeCell"

Text = str | dict[str, Any]


@dataclass(frozen=True)
class Problem:
    """``where``: the line (row number of the sheet, ``""`` for the file as a whole);
    ``column``: the header of the column (or its letter), ``message``: why."""

    where: str
    column: str
    message: Text  # English, or a stored message (app.i18n.stored) worded for each reader


@dataclass(frozen=True)
class Row:
    line: int
    cells: tuple[str, ...]

    def cell(self, index: int) -> str:
        return self.cells[index] if index < len(self.cells) else ""


@dataclass
class Sheet:
    """What a file holds: its header (stripped), its non-empty rows, and the problems met
    reading it (none: every cell was read exactly)."""

    fmt: str
    header: list[str]
    rows: list[Row]
    problems: list[Problem] = field(default_factory=list)


class Unreadable(ValueError):
    """The file as a whole cannot be read; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(english(p.message) for p in problems))
        self.problems = problems


def unreadable(message: Text, where: str = "") -> Unreadable:
    return Unreadable([Problem(where, "", message)])


def guess_format(filename: str, data: bytes) -> str:
    """``xlsx`` for a zip (or a name ending ``.xlsx``), else ``csv``."""
    if (filename or "").lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return "xlsx"
    return "csv"


def read(data: bytes, filename: str = "") -> Sheet:
    """Read a CSV or XLSX file (see the module docstring).

    :raise Unreadable: the file is empty, not UTF-8, not a spreadsheet, has no header, too
        many rows, or (CSV) a quote never closed.
    """
    fmt = guess_format(filename, data)
    sheet = read_xlsx(data) if fmt == "xlsx" else read_csv(data)
    if not any(sheet.header):
        raise unreadable(stored(N_("The first row must be a header naming the columns.")), "1")
    if len(sheet.rows) > MAX_ROWS:
        raise unreadable(stored(N_("The file has more than %(max)s rows: split it."), max=MAX_ROWS))
    return sheet


# --- CSV ---------------------------------------------------------------------------------


def read_csv(data: bytes) -> Sheet:
    try:
        text = decode(data)
    except FileError as error:
        raise Unreadable([Problem(e.where, "", e.message) for e in error.errors]) from None
    first = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 0  # the last line of the last row read: the next row starts on the line after
    rows: list[Row] = []
    try:
        header = [h.strip() for h in next(reader)]
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if any(c.strip() for c in cells):
                rows.append(Row(start, tuple(_unescape(c).strip() for c in cells)))
            if len(rows) > MAX_ROWS:
                break
    except csv.Error as error:
        raise unreadable(_csv_problem(str(error)), str(line + 1)) from None
    sheet = Sheet("csv", header, rows)
    for row in rows:
        if len(row.cells) != len(header):
            sheet.problems.append(
                Problem(
                    str(row.line),
                    "",
                    stored(
                        N_(
                            "This line has %(values)s values but the header has %(columns)s "
                            "columns (a missing or extra separator?)."
                        ),
                        values=len(row.cells),
                        columns=len(header),
                    ),
                )
            )
    return sheet


def _csv_problem(error: str) -> Text:
    if "unexpected end of data" in error:
        return stored(
            N_(
                "A quote opened on this line is never closed, so the rest of the file would be "
                'read as one value: add the closing quote (") or remove the opening one.'
            )
        )
    if "expected after" in error:
        return stored(
            N_(
                "A quote closes in the middle of a value: put the whole value in quotes and "
                'write each quote inside it twice, e.g. "19"" rack".'
            )
        )
    if "field larger than field limit" in error:
        return stored(N_("A value on this line is too long (a quote opened and not closed?)."))
    return stored(N_("Not valid CSV: %(error)s."), error=error)


def _unescape(cell: str) -> str:
    return cell[1:] if ESCAPED_FORMULA.match(cell) else cell


# --- XLSX --------------------------------------------------------------------------------


def read_xlsx(data: bytes) -> Sheet:
    with _open_zip(data) as archive:
        sheet, path = _first_sheet(data)
        sheet.problems += _merged(archive, path)
    sheet.problems = sorted(
        (_named(p, sheet.header) for p in sheet.problems),
        key=lambda p: (int(p.where) if p.where.isdigit() else 0, len(p.column), p.column),
    )
    return sheet


def _first_sheet(data: bytes) -> tuple[Sheet, str]:
    """The first sheet's rows (and cell problems), and its part's path in the archive."""
    from openpyxl import load_workbook  # only when an XLSX is read: a heavy import

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises whatever its parts raise on a damaged file
        raise unreadable(
            stored(
                N_(
                    "This XLSX file is damaged or not a workbook (save it again from the "
                    "spreadsheet program, or export it as CSV UTF-8)."
                )
            )
        ) from None
    try:
        if not book.worksheets:
            raise unreadable(stored(N_("The workbook has no sheet.")))
        worksheet = book.worksheets[0]
        try:
            sheet = _sheet_rows(worksheet.iter_rows())
        except Exception:  # a damaged part: zlib, XML or openpyxl's own errors
            raise unreadable(stored(N_("The first sheet of this XLSX file is damaged."))) from None
        return sheet, getattr(worksheet, "_worksheet_path", "")
    finally:
        book.close()


def _named(problem: Problem, header: list[str]) -> Problem:
    """``C`` → ``C (Desk)``: a column by its letter and its header."""
    position = _position(problem.column)
    if position is None or position >= len(header) or not header[position]:
        return problem
    return Problem(problem.where, f"{problem.column} ({header[position]})", problem.message)


def _position(letters: str) -> int | None:
    if not letters.isalpha() or not letters.isupper():
        return None
    position = 0
    for letter in letters:
        position = position * 26 + ord(letter) - 64
    return position - 1


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise unreadable(
            stored(
                N_(
                    "This is not an XLSX file, or it is truncated (save it again, or export it "
                    "as CSV UTF-8)."
                )
            )
        ) from None
    if unzipped > MAX_UNZIPPED:
        raise unreadable(stored(N_("This XLSX file unpacks to too much data to be a spreadsheet.")))
    return archive


def _merged(archive: zipfile.ZipFile, path: str) -> list[Problem]:
    """One problem per merged range of the sheet (read-only mode does not see them)."""
    problems: list[Problem] = []
    try:
        with archive.open(path.lstrip("/")) as part:
            for _, element in iterparse(part):
                if element.tag == MERGE_TAG:
                    cells = element.get("ref", "")
                    first = re.match(r"([A-Z]+)(\d+)", cells)
                    problems.append(
                        Problem(
                            first.group(2) if first else "",
                            first.group(1) if first else "",
                            stored(
                                N_(
                                    "Cells %(cells)s are merged: unmerge them and put the "
                                    "value in each cell it belongs to."
                                ),
                                cells=cells,
                            ),
                        )
                    )
                element.clear()
    except (KeyError, zipfile.BadZipFile, ParseError, OSError):
        return problems  # load_workbook read it; openpyxl will report real damage
    return problems


def _sheet_rows(cells_by_row: Iterator[tuple[Any, ...]]) -> Sheet:
    problems: list[Problem] = []
    header: list[str] | None = None
    rows: list[Row] = []
    for line, cells in enumerate(cells_by_row, start=1):
        if len(cells) > MAX_COLUMNS:
            cells = cells[:MAX_COLUMNS]
        texts = []
        for position, cell in enumerate(cells):
            text, problem = _cell_text(cell)
            if problem:
                letter = getattr(cell, "column_letter", "") or _letter(position)
                problems.append(Problem(str(line), letter, problem))
            texts.append(text)
        while texts and not texts[-1]:
            texts.pop()
        if header is None:
            if texts:
                header = [t.strip() for t in texts]
            continue
        if texts:
            rows.append(Row(line, tuple(texts)))
        if len(rows) > MAX_ROWS:
            break
    return Sheet("xlsx", header or [], rows, problems)


def _cell_text(cell: Any) -> tuple[str, Text]:
    """A cell as text, and the problem with it (``""``: none)."""
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", "") == "f" or (isinstance(value, str) and value[:1] == "="):
        formula = str(value)[:60]
        return "", stored(
            N_(
                "This cell holds a formula (%(formula)s): write its value instead (a "
                "formula's saved result cannot be trusted)."
            ),
            formula=formula,
        )
    if value is None:
        return "", ""
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat(), ""
        return value.strftime("%Y-%m-%d %H:%M"), ""
    if isinstance(value, date | time):
        return value.isoformat(), ""
    if isinstance(value, bool):
        return ("yes" if value else "no"), ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value)), ""
    return str(value).strip(), ""


def _letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters

"""CSV and XLSX exports of a table: a header and rows of plain values, from any iterator.

CSV is streamed: the response is a generator that writes a chunk of rows at a time, so a
million rows leave in constant memory (the caller passes a lazy iterator, e.g. a query run
with ``yield_per``; the generator keeps the request's context, hence its database session).
XLSX is built with XlsxWriter in ``constant_memory`` mode (each row is flushed to a temporary
file as it is written) into a temporary file that is then sent, so neither format holds the
whole table in memory. A table with no rows still gives a file with its header.

Instants are written in UTC (ISO 8601 in CSV, a date-time cell in XLSX); text that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``...) is neutralised in CSV and
always written as text in XLSX.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any

from flask import Response, send_file, stream_with_context
from flask_babel import gettext as _

from app.errors import Invalid
from app.i18n.formats import number

Cell = str | int | float | Decimal | date | datetime | bool | None
"""What a table's cell may hold."""

FORMATS = ("csv", "xlsx")
"""The export formats, as named in a ``format=`` query argument."""

CSV_CHUNK_ROWS = 1000
"""Rows written per chunk of a streamed CSV."""

XLSX_MAX_ROWS = 1_048_575
"""Data rows a worksheet holds below its header (Excel's limit is 1,048,576 rows)."""

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


CHART_KINDS = ("bar", "hbar", "stacked", "line", "doughnut")
"""What ``_macros/charts.html`` draws: vertical, horizontal or stacked bars, lines, a ring."""


@dataclass(frozen=True)
class Table:
    """A figure's table: what a chart draws, its accessible table view shows and an export
    downloads. The first column labels the rows (a day, a group, a priority); each further
    column is a series of numbers (``None`` where there is none).

    ``key`` names the table on its page (the element ids and the ``export=`` argument of its
    downloads): letters, digits and dashes."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[Cell]]

    def chart_data(self, kind: str = "bar") -> dict[str, Any]:
        """What ``static/js/charts.js`` draws (JSON-able): the kind, the row labels and one
        dataset per series column."""
        if kind not in CHART_KINDS:
            raise ValueError(f"unknown chart kind {kind!r}")
        return {
            "kind": kind,
            "title": self.title,
            "labels": [str(plain(row[0])) if row else "" for row in self.rows],
            "datasets": [
                {"label": str(title), "data": [_number(row, col) for row in self.rows]}
                for col, title in enumerate(self.columns)
                if col > 0
            ],
        }


def _number(row: Sequence[Cell], col: int) -> float | None:
    value = row[col] if col < len(row) else None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return float(value)


def check_format(value: str | None) -> str:
    """``value`` as an export format.

    :raise Invalid: it is not one of :data:`FORMATS` (field ``format``).
    """
    fmt = (value or "").strip().lower()
    if fmt not in FORMATS:
        raise Invalid({"format": _("Exports are CSV or XLSX, not “%(value)s”.", value=value)})
    return fmt


def filename(stem: str, fmt: str) -> str:
    """A safe download name: ``stem`` reduced to letters, digits, dots and dashes."""
    clean = UNSAFE_NAME.sub("-", stem).strip("-.") or "export"
    return f"{clean[:80]}.{fmt}"


def plain(value: Cell) -> str | int | float | Decimal:
    """One cell as text or a number: instants in UTC ISO 8601, dates ISO, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_text(value: Cell) -> str | int | float | Decimal:
    """One cell as CSV writes it: :func:`plain`, and text that a spreadsheet would run as a
    formula prefixed with an apostrophe."""
    text = plain(value)
    if isinstance(text, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def csv_chunks(
    columns: Sequence[str], rows: Iterable[Sequence[Cell]], *, chunk_rows: int = CSV_CHUNK_ROWS
) -> Iterator[str]:
    """The CSV text of the table, a chunk of ``chunk_rows`` rows at a time (the header first,
    with a byte-order mark so that spreadsheets read it as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_text(c) for c in columns])
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    for row in rows:
        writer.writerow([csv_text(value) for value in row])
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()


def csv_response(name: str, columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Response:
    """A streamed CSV download of the table (``name`` without extension)."""
    response = Response(
        stream_with_context(chunk.encode() for chunk in csv_chunks(columns, rows)),
        mimetype="text/csv",
    )
    response.headers.set("Content-Disposition", "attachment", filename=filename(name, "csv"))
    return response


def write_xlsx(
    target: IO[bytes],
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    sheet: str = "Report",
) -> int:
    """Write the table as an XLSX workbook into ``target``; returns the number of data rows.

    :raise Invalid: more rows than a worksheet holds (field ``format``; CSV has no limit).
    """
    import xlsxwriter  # here: only an XLSX download needs it (issue 20)

    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "remove_timezone": True})
    try:
        worksheet = workbook.add_worksheet(sheet[:31] or "Report")
        bold = workbook.add_format({"bold": True})
        instant = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        for col, title in enumerate(columns):
            worksheet.write_string(0, col, str(title), bold)
        count = 0
        for count, row in enumerate(rows, start=1):
            if count > XLSX_MAX_ROWS:
                raise Invalid(
                    {
                        "format": _(
                            "XLSX holds at most %(rows)s rows: export CSV instead.",
                            rows=number(XLSX_MAX_ROWS),
                        )
                    }
                )
            for col, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    worksheet.write_boolean(count, col, value)
                elif isinstance(value, datetime):
                    at = value.astimezone(UTC) if value.tzinfo else value
                    worksheet.write_datetime(count, col, at, instant)
                elif isinstance(value, date):
                    worksheet.write_datetime(count, col, value, day)
                elif isinstance(value, int | float | Decimal):
                    worksheet.write_number(count, col, float(value))
                else:
                    worksheet.write_string(count, col, str(value))
        worksheet.freeze_panes(1, 0)
    finally:
        workbook.close()
    return count


def xlsx_response(
    name: str, columns: Sequence[str], rows: Iterable[Sequence[Cell]], *, sheet: str = "Report"
) -> Response:
    """An XLSX download of the table, built in a temporary file before the response starts
    (so that a refusal is a clean 422, not a cut download).

    :raise Invalid: more rows than a worksheet holds.
    """
    target = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it once sent)
    try:
        write_xlsx(target, columns, rows, sheet=sheet)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return send_file(
        target, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename(name, "xlsx")
    )


def export_response(
    fmt: str | None, name: str, columns: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> Response:
    """The table as a download in ``fmt`` (``csv`` or ``xlsx``, as a query argument gives it).

    :raise Invalid: an unknown format, or too many rows for XLSX.
    """
    if check_format(fmt) == "xlsx":
        return xlsx_response(name, columns, rows)
    return csv_response(name, columns, rows)

"""Rows for openpyxl's write-only sheets, serialised in one step per row.

openpyxl does the workbook: its parts, the styles, the charts, each sheet's settings
before and after its rows, and the ZIP. Only the rows are written here, as text, straight
into the sheet's part. ``WriteOnlyWorksheet.append`` makes a cell object per value and
writes it element by element through lxml, about 8.5 µs a cell on this machine; a
100,000-response workbook has 1.8 million cells, and took 25 s. Handing lxml each row as
a string to parse still cost 4 s of a 10 s budget. Written as text, a cell costs about
1.3 µs (``docs/export-format.md`` has the figures).

What a row may hold, and how it is written:

- ``None`` and ``""``: no cell;
- ``bool``, ``int``, ``float``, ``Decimal``: a number (``bool`` as a boolean; not a
  number, or infinite: no cell);
- ``str``: always an inline string, never a formula, whatever it starts with; text a
  spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``) also gets the
  *quote prefix* style, so editing it keeps it text; characters XML cannot carry become
  U+FFFD;
- ``datetime`` (naive, local) and ``date``: a date serial with a date style;
- ``Formatted(number, number_format)``: the number with that number format (``SIGNED``
  writes a difference with its sign, ``+3`` and ``-2``, as the report does).

Styles (bold, wrapped, the number formats) are made through openpyxl's own cell styles,
so its stylesheet lists them. Every value is escaped here, so the part is well-formed
XML whatever the text. The hook uses openpyxl's internals (the sheet's ``_writer`` and
``_rows``, and ``WorksheetWriter.get_stream``), so ``pyproject.toml`` pins openpyxl to
3.1, and the tests reload every workbook with openpyxl and with LibreOffice.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import tostring

FORMULA_START = ("=", "+", "-", "@")
DATETIME_FORMAT = "dd-mm-yyyy hh:mm"
DATE_FORMAT = "dd-mm-yyyy"
#: A difference with its sign always shown: +3, -2, and 0 without one.
SIGNED = "+#,##0;-#,##0;0"
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
#: Characters XML 1.0 cannot carry.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Formatted(NamedTuple):
    """A number shown with its own number format (``SIGNED``)."""

    value: int | float | Decimal
    number_format: str


def _text(value: str) -> str:
    if _NOT_XML.search(value):
        value = _NOT_XML.sub("\ufffd", value)
    # Chained replaces: several times faster than str.translate for text that has none.
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


class _PlainFileWriter(WorksheetWriter):
    """openpyxl's sheet writer with a plain file under it: what openpyxl sends (the
    sheet's settings, before and after the rows) is serialised element by element; the
    rows are text a ``RowWriter`` writes to the file itself."""

    def get_stream(self):
        # The protocol of ``WorksheetWriter.get_stream``: an element is written; True
        # lends the stream to the row writer, which gives it back with None.
        with open(self.out, "wb") as out:
            out.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                + f'<worksheet xmlns="{SHEET_MAIN_NS}">'.encode()
            )
            try:
                while True:
                    item = yield
                    if item is True:
                        yield out
                    elif item is not None:
                        out.write(tostring(item))
            except GeneratorExit:
                pass
            out.write(b"</worksheet>")


class RowWriter:
    """Appends rows of plain values to a new write-only sheet; see the module's docstring."""

    def __init__(self, ws: WriteOnlyWorksheet, *, on_close=None):
        """``on_close()`` is called after the last row, while settings written after the
        rows (the filter, the print setup) can still change."""
        if ws._writer is not None:
            raise ValueError("this sheet is already being written another way")
        self.ws = ws
        self._on_close = on_close
        self.index = 0
        self._letters: list[str] = []
        self._styles: dict[tuple, str] = {}
        ws._writer = _PlainFileWriter(ws)
        ws._writer.write_top()
        self._out = ws._writer.xf.send(True)
        self._out.write(b"<sheetData>")
        ws._rows = self._until_closed()
        next(ws._rows)

    def _until_closed(self):
        """Stands where openpyxl keeps a sheet's row writer: it is closed when the sheet
        is, which ends the rows before openpyxl writes what follows them."""
        try:
            yield
        except GeneratorExit:
            if self._out.closed:  # a workbook dropped unsaved: nothing left to end
                return
            if self._on_close is not None:
                self._on_close()
            self._out.write(b"</sheetData>")
            self.ws._writer.xf.send(None)

    def _style(self, bold: bool, wrap: bool, number_format: str | None, quote: bool) -> str:
        """The ``s`` attribute for this combination, made once through an openpyxl cell
        so the workbook's stylesheet holds it ('' for the default style)."""
        key = (bold, wrap, number_format, quote)
        found = self._styles.get(key)
        if found is None:
            if not any(key):
                found = ""
            else:
                cell = WriteOnlyCell(self.ws)
                if bold:
                    cell.font = BOLD
                if wrap:
                    cell.alignment = WRAP
                if number_format:
                    cell.number_format = number_format
                if quote:
                    cell.quotePrefix = True
                found = f' s="{cell.style_id}"'
            self._styles[key] = found
        return found

    def _columns(self, count: int) -> list[str]:
        letters = self._letters
        while len(letters) < count:
            letters.append(get_column_letter(len(letters) + 1))
        return letters

    def append(self, values, *, bold: bool = False, wrap: bool = False) -> int:
        """Write one row; returns its number (1-based)."""
        self.index += 1
        number = self.index
        plain = self._style(bold, wrap, None, False)
        parts = [f'<row r="{number}">']
        letters = self._columns(len(values))
        for column, value in enumerate(values):
            if value is None:
                continue
            ref = f"{letters[column]}{number}"
            if isinstance(value, str):
                if not value:
                    continue
                style = (
                    self._style(bold, wrap, None, True)
                    if value.startswith(FORMULA_START)
                    else plain
                )
                space = ' xml:space="preserve"' if value != value.strip() else ""
                parts.append(
                    f'<c r="{ref}" t="inlineStr"{style}><is><t{space}>{_text(value)}</t></is></c>'
                )
            elif isinstance(value, bool):
                parts.append(f'<c r="{ref}" t="b"{plain}><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float, Decimal)):
                if not math.isfinite(value):
                    continue  # no spreadsheet number for it
                parts.append(f'<c r="{ref}"{plain}><v>{value}</v></c>')
            elif isinstance(value, Formatted):
                style = self._style(bold, wrap, value.number_format, False)
                parts.append(f'<c r="{ref}"{style}><v>{value.value}</v></c>')
            elif isinstance(value, (datetime, date)):
                if isinstance(value, datetime) and value.tzinfo is not None:
                    raise TypeError("spreadsheets know no time zones: pass a local, naive time")
                style = self._style(
                    bold,
                    wrap,
                    DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT,
                    False,
                )
                parts.append(f'<c r="{ref}"{style}><v>{to_excel(value)!r}</v></c>')
            else:
                raise TypeError(f"no cell for a {type(value).__name__}")
        parts.append("</row>")
        self._out.write("".join(parts).encode())
        return number

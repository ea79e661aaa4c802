"""CSV export that spreadsheets cannot turn into formulas.

A cell that a spreadsheet would read as a formula (it starts, possibly after
white space or control characters, with ``= + - @``, their full-width forms,
a dash, a tab or a line break) is prefixed with an apostrophe, OWASP's
advice for CSV injection; NUL characters are dropped. Every cell is quoted.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20\u2013\u2014\u2212")


def csv_safe(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value).replace("\x00", "")
    probe = text.lstrip(" \x0b\x0c\x1c\x1d\x1e\x1f\u00a0")
    if probe and (probe[0] in FORMULA_TRIGGERS or text[0] in FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV document line by line (for a streamed response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")

    def flush() -> str:
        data = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return data

    writer.writerow([csv_safe(h) for h in header])
    yield "\ufeff" + flush()  # BOM: spreadsheets then read the file as UTF-8
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
        yield flush()

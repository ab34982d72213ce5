"""Plain-text and HTML tables for results (terminal, ``print`` and notebooks)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

MAX_ROWS = 50
"""Rows shown before a table is cut short (the data stays complete on the object)."""


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 node``, ``4 nodes``: the noun agrees with the number."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def grouped_lines(samples: Sequence[int], lines: Sequence[str]) -> list[str]:
    """Calculation lines with a ``sample N`` heading before each sample's lines, when they
    come from more than one sample (one sample's lines need no label)."""
    if len(set(samples)) < 2:
        return list(lines)
    out: list[str] = []
    previous: int | None = None
    for sample, line in zip(samples, lines, strict=True):
        if sample != previous:
            out.append(f"sample {sample}:")
            previous = sample
        out.append(f"  {line}")
    return out


def number(value: Any, decimals: int = 4) -> str:
    """A value as a table cell: floats to ``decimals`` places, missing values blank."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{decimals}f}"
    return str(value)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    cells = [[number(c) for c in row] for row in _cut(rows)]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    numeric = [all(_is_number(r[i]) for r in rows[:MAX_ROWS]) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)]
    if len(rows) > MAX_ROWS:
        out.append(f"… {len(rows) - MAX_ROWS} more rows")
    return "\n".join(out)


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "") -> str:
    """An HTML table with an optional caption; cells escaped."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in _cut(rows))
    more = ""
    if len(rows) > MAX_ROWS:
        more = f"<tr><td colspan='{len(headers)}'>… {len(rows) - MAX_ROWS} more rows</td></tr>"
    cap = f"<caption style='text-align:left'>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}{more}</tbody></table>"


def html_lines(lines: Sequence[str]) -> str:
    """Calculation lines as a preformatted block."""
    shown = "\n".join(html.escape(line) for line in lines[:MAX_ROWS])
    if len(lines) > MAX_ROWS:
        shown += f"\n… {len(lines) - MAX_ROWS} more"
    return f"<pre>{shown}</pre>"


def _td(value: Any) -> str:
    style = " style='text-align:right'" if _is_number(value) else ""
    return f"<td{style}>{html.escape(number(value))}</td>"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cut(rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    return rows[:MAX_ROWS]

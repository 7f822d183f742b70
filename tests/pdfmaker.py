"""Make small ruled-table PDFs in tests, so layout tests build their inputs in code.

A table spec is a list of rows; each row a list of cells: a string, None for a place
covered by a spanning cell, or (text, rowspan, colspan).
"""

from __future__ import annotations

from pathlib import Path
from typing import Union

import pymupdf

CellSpec = Union[str, None, tuple[str, int, int]]
FONT = "china-s"


def draw_table(
    page: pymupdf.Page,
    rows: list[list[CellSpec]],
    widths: list[float],
    top: float,
    left: float = 40,
    row_height: float = 22,
    font_size: float = 8,
) -> float:
    """Draw a ruled table; returns the y of its bottom edge."""
    xs = [left]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [top + i * row_height for i in range(len(rows) + 1)]
    shape = page.new_shape()
    for r, row in enumerate(rows):
        for c, spec in enumerate(row):
            if spec is None:
                continue
            text, rs, cs = (spec, 1, 1) if isinstance(spec, str) else spec
            rect = pymupdf.Rect(xs[c], ys[r], xs[c + cs], ys[r + rs])
            shape.draw_rect(rect)
            if text:
                numeric = text.replace(",", "").replace(".", "").replace("-", "").isdigit()
                align = pymupdf.TEXT_ALIGN_RIGHT if numeric else pymupdf.TEXT_ALIGN_LEFT
                inner = rect + (2, 2, -2, -1)
                rc = page.insert_textbox(inner, text, fontname=FONT, fontsize=font_size, align=align)
                assert rc >= 0, f"text does not fit its cell: {text!r}"
    shape.finish(color=(0, 0, 0), width=0.6)
    shape.commit()
    return ys[-1]


def write_text(page: pymupdf.Page, x: float, y: float, text: str, size: float = 10) -> None:
    page.insert_text((x, y), text, fontname=FONT, fontsize=size)


def new_pdf() -> pymupdf.Document:
    return pymupdf.open()


def save(doc: pymupdf.Document, path: Path) -> Path:
    doc.save(path)
    return path

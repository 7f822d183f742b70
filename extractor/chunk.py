"""Tables and prose → chunks: the unit the model reads and the cache keys on.

A table chunk renders one logical table as tab-separated rows with row ids under its
title, unit and header; every cell keeps its page and box, so whatever the model
returns can be grounded back to a printed cell. Prose that holds indicators
("一、产出指标 (一) 数量指标 1. …") becomes a text chunk with the box it came from.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import BaseModel, Field

from extractor.layout.grid import Cell, Grid
from extractor.layout.headers import Column
from extractor.layout.tables import Table, text_lines
from extractor.normalize import normalize_name
from extractor.read.page import Page

Box = tuple[float, float, float, float]

# Prose indicator sections: at least two of the 一级指标 headings, or a numbered 二级指标.
_PROSE_MARKERS = re.compile(r"产出指标|效益指标|满意度指标|数量指标|质量指标|时效指标")


_AMOUNT = re.compile(r"^[\d,.\s]+$")


class ChunkCell(BaseModel):
    ref: str = Field(description="row id and column index, e.g. r3c2")
    page: int
    box: Box
    text: str


class Chunk(BaseModel):
    id: str
    kind: Literal["table", "text"]
    table_kind: str | None = None
    title: str = ""
    unit: str | None = None
    pages: list[int]
    context: str = Field(default="", description="e.g. the project a prose cell belongs to")
    text: str
    cells: list[ChunkCell] = Field(default_factory=list)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def _cell_text(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).strip()


def table_chunk(table: Table) -> Chunk:
    lines = [f"# {table.title or '(untitled table)'}"]
    if table.unit:
        lines.append(f"单位：{table.unit}")
    header = table.header
    if header.columns:
        lines.append("columns\t" + "\t".join(
            f"c{c.index}={c.key or '?'}" + (" (not shown)" if c.role == "other" else "") for c in header.columns))
    cells: list[ChunkCell] = []
    n = 0
    for part in table.parts:
        grid = part.grid
        hidden = {c.index for c in part.header.columns if c.role == "other"}  # row numbers, prose targets
        for row in range(part.header.header_rows, grid.n_rows):
            n += 1
            rid = f"r{n}"
            row_text = []
            for col in range(grid.n_cols):
                cell = grid.at(row, col)
                own = cell.row == row and cell.col == col and col not in hidden
                text = _cell_text(cell.text) if own else ""
                row_text.append(text)
                if own and text:
                    cells.append(ChunkCell(ref=f"{rid}c{col}", page=grid.page, box=cell.box, text=cell.text))
            if any(row_text):
                lines.append(rid + "\t" + "\t".join(row_text))
    if table.empty and n == 0:
        lines.append("(本表无数据)")
    return Chunk(
        id=table.id,
        kind="table",
        table_kind=table.kind,
        title=table.title,
        unit=table.unit,
        pages=table.pages,
        text="\n".join(lines),
        cells=cells,
    )


def _is_prose_indicators(text: str) -> bool:
    return len(set(_PROSE_MARKERS.findall(text))) >= 2 and len(text) >= 20


def _row_name(columns: tuple[Column, ...], grid: Grid, cell: Cell) -> str:
    """The project a prose cell belongs to: its row's cell under a 名称 header, else the
    shortest label left of it (the long ones are 绩效目标 prose, not names)."""
    named = [c.index for c in columns if "名称" in c.key and c.index < cell.col]
    if named:
        text = grid.at(cell.row, named[-1]).text
        if text.strip():
            return normalize_name(text)
    row = [c for c in grid.row_cells(cell.row) if c.col < cell.col and not c.empty
           and not _is_prose_indicators(c.text) and not _AMOUNT.match(c.text.strip())]
    return normalize_name(min((c.text for c in row), key=len, default=""))


def prose_chunks(tables: list[Table], pages: list[Page]) -> list[Chunk]:
    """Indicator prose inside table cells (one chunk per cell) and on free page text."""
    chunks: list[Chunk] = []
    for table in tables:
        for part in table.parts:
            grid = part.grid
            for cell in grid.cells:
                if len(cell.text) < 40 or not _is_prose_indicators(cell.text):
                    continue
                chunks.append(
                    Chunk(
                        id=f"{table.id}-p{grid.page}-r{cell.row}c{cell.col}",
                        kind="text",
                        table_kind="绩效目标表",
                        title=table.title,
                        pages=[grid.page],
                        context=_row_name(part.header.columns or table.header.columns, grid, cell),
                        text=cell.text,
                        cells=[ChunkCell(ref="text", page=grid.page, box=cell.box, text=cell.text)],
                    )
                )
    for page in pages:
        inside = [p.grid.box for t in tables for p in t.parts if p.grid.page == page.number]
        free = [w for w in page.words if not any(b[0] <= w.cx <= b[2] and b[1] <= w.cy <= b[3] for b in inside)]
        lines = text_lines(free)
        text = "\n".join(ln.text for ln in lines)
        if lines and _is_prose_indicators(text):
            box = (min(ln.x0 for ln in lines), min(ln.y0 for ln in lines),
                   max(ln.x1 for ln in lines), max(ln.y1 for ln in lines))
            chunks.append(
                Chunk(id=f"p{page.number}-text", kind="text", pages=[page.number], text=text,
                      cells=[ChunkCell(ref="text", page=page.number, box=box, text=text)])
            )
    return chunks


def make_chunks(tables: list[Table], pages: list[Page]) -> list[Chunk]:
    return [table_chunk(t) for t in tables] + prose_chunks(tables, pages)

"""Header rows of a grid, and each column's key (joined header path) and role.

Roles: `code` (类/款/项, 科目编码), `unitcode` (单位代码), `label` (row names), `amount`.
A row is body from the first row that holds a printed amount, a subject code or a
total label; everything above it is header. Column-number rows (`** 1 2 3`) are
header but add nothing to the keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from extractor.layout.grid import Cell, Grid
from extractor.normalize import is_amount, join_header, normalize_name
from extractor.vocabulary import (
    CODE_HEADERS,
    COLUMN_NUMBER,
    DEPARTMENT_LINE,
    TITLE_HINT,
    TOTAL_LABEL,
    UNIT_CODE_HEADERS,
    UNIT_LINE,
)

ROW_NUMBER_HEADERS = {"行次", "栏次", "行号", "序号"}
_ROW_NUMBERS = re.compile("(?:" + "|".join(ROW_NUMBER_HEADERS) + ")+")
Role = Literal["code", "unitcode", "label", "amount", "other"]

_PRINTED_AMOUNT = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$|^-?\d+\.\d+$")
_CODE = re.compile(r"^\d{3,7}$")
_CODE_PART = re.compile(r"^\d{2,7}$")


@dataclass(frozen=True, slots=True)
class Column:
    index: int
    key: str
    role: Role


@dataclass(frozen=True, slots=True)
class Header:
    header_rows: int
    columns: tuple[Column, ...]
    n_rows: int
    first_body_cell: int

    @property
    def body_rows(self) -> int:
        return self.n_rows - self.header_rows

    def continued(self, grid: Grid, repeated_rows: int = 0) -> Header:
        """This header applied to a continuation grid (which repeats `repeated_rows` of it)."""
        first = next((i for i, c in enumerate(grid.cells) if c.row >= repeated_rows), len(grid.cells))
        return replace(self, header_rows=repeated_rows, n_rows=grid.n_rows, first_body_cell=first)


def _clean(cell: Cell) -> str:
    return normalize_name(cell.text)


def _is_body_row(grid: Grid, row: int) -> bool:
    for cell in grid.row_cells(row):
        if cell.row != row:
            continue
        text = _clean(cell)
        if _PRINTED_AMOUNT.match(text) or _CODE.match(text):
            return True
    return False


def _is_empty_total_row(grid: Grid, row: int) -> bool:
    """'合计' alone at the left of a row: the body of a table printed without amounts."""
    own = [c for c in grid.row_cells(row) if c.row == row and not c.empty]
    # in the label area: the first non-empty cell, left of the middle (a sliver column may precede it)
    return (len(own) == 1 and bool(TOTAL_LABEL.match(_clean(own[0])))
            and own[0].col < max(1, grid.n_cols // 2))


def _is_number_row(grid: Grid, row: int) -> bool:
    """The row numbering the columns (栏次, 1 2 3 …, ** …): every cell a column number, or
    all but a quarter of four or more, the others two characters at most (a scan's `**`
    read `*水`)."""
    texts = [_clean(c) for c in grid.row_cells(row) if c.row == row and not c.empty]
    odd = [t for t in texts if not COLUMN_NUMBER.match(t)]
    return bool(texts) and (not odd or len(texts) >= 4 and 4 * len(odd) <= len(texts) and
                            all(len(t) <= 2 for t in odd))


def _looks_like_body(grid: Grid, row: int) -> bool:
    """A labelled row whose other cells are mostly empty: a body row with no amounts
    (因公出国(境)费 with nothing budgeted), not a header row, whose cells are all filled
    or covered by header cells spanning down."""
    own = [c for c in grid.row_cells(row) if c.row == row]
    if not own or own[0].empty or own[0].col != 0:
        return False
    return sum(c.empty for c in own) * 2 >= len(own)


def _header_rows(grid: Grid) -> int:
    for row in range(grid.n_rows):
        if _is_body_row(grid, row):
            while row > 1 and _looks_like_body(grid, row - 1):
                row -= 1
            return row
    # No amount anywhere: an empty table. Its body starts at a lone total row, else
    # the header ends at the first blank row.
    for row in range(grid.n_rows):
        if _is_empty_total_row(grid, row):
            return row
    printed = False
    for row in range(grid.n_rows):
        blank = all(c.empty for c in grid.row_cells(row))
        if blank and printed:
            return row
        printed = printed or not blank
    return grid.n_rows


def _key(grid: Grid, col: int, header_rows: int, skip: set[int]) -> str:
    parts: list[str] = []
    last = -1
    for row in range(header_rows):
        if row in skip:
            continue
        idx = grid.owner[row][col]
        if idx == last:
            continue
        last = idx
        text = grid.cells[idx].text
        if UNIT_LINE.search(text) or DEPARTMENT_LINE.search(text):
            continue
        parts.append(text)
    return join_header(parts)


def _role(grid: Grid, col: int, key: str, header_rows: int) -> Role:
    words = set(key.split("/"))
    if words & UNIT_CODE_HEADERS:
        return "unitcode"
    if words & CODE_HEADERS or any(w.endswith(("编码", "代码")) for w in words):
        return "code"
    if _ROW_NUMBERS.fullmatch(key.split("/")[-1]):  # 行次 1, 2, 3… (序号 printed thrice merged too)
        return "other"
    texts = [_clean(c) for c in grid.cells if c.row >= header_rows and c.col == col and not c.empty]
    amounts = sum(1 for t in texts if is_amount(t))
    labels = len(texts) - amounts
    if labels and labels >= amounts:
        return "label"
    if not texts and any(w in key for w in ("项目", "名称", "科目")) and "金额" not in key:
        return "label"
    return "amount"


def _is_caption_row(grid: Grid, row: int) -> bool:
    """A title or unit line drawn inside the grid (spreadsheet exports): not header text."""
    texts = [c.text for c in grid.row_cells(row) if c.row == row and not c.empty]
    return bool(texts) and all(
        UNIT_LINE.search(t) or DEPARTMENT_LINE.search(t) or TITLE_HINT.search(normalize_name(t)) for t in texts
    )


def caption_texts(grid: Grid, header_rows: int) -> list[str]:
    """Texts of the caption rows at the top of a grid, top to bottom."""
    return [c.text for r in range(header_rows) if _is_caption_row(grid, r)
            for c in grid.row_cells(r) if c.row == r and not c.empty]


def read_header(grid: Grid) -> Header:
    rows = _header_rows(grid)
    skip = {r for r in range(rows) if _is_number_row(grid, r) or _is_caption_row(grid, r)}
    columns = []
    for col in range(grid.n_cols):
        key = _key(grid, col, rows, skip)
        columns.append(Column(col, key, _role(grid, col, key, rows)))
    # A digits-only column just left of a label column holds codes even without a code header.
    for i, column in enumerate(columns[:-1]):
        if column.role == "amount" and columns[i + 1].role == "label":
            texts = [_clean(c) for c in grid.cells if c.row >= rows and c.col == column.index and not c.empty]
            if texts and all(_CODE_PART.match(t) for t in texts):
                columns[i] = replace(column, role="code")
    first = next((i for i, c in enumerate(grid.cells) if c.row >= rows), len(grid.cells))
    return Header(rows, tuple(columns), grid.n_rows, first)

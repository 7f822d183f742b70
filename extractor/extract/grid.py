"""The grid reader: recognised budget tables → line items, copied cell by cell.

Deterministic and exact: every value is a printed cell's text, normalised, with that
cell's page and box. A table side by side in halves (收支总表) gives one record per
half per row, left to right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from extractor.layout.grid import Cell, Grid
from extractor.layout.headers import Column, Header
from extractor.layout.tables import Part, Table
from extractor.normalize import fold_fullwidth, normalize_amount, normalize_name
from extractor.records import TABLE_KINDS, CellSource, LineItem, Provenance
from extractor.vocabulary import CODE_IN_LABEL, PRIMARY_CODE_HEADERS, PROJECT_AMOUNT_HEADER

_VALID_CODE_LENGTHS = (3, 5, 7)


@dataclass(frozen=True, slots=True)
class Half:
    codes: tuple[Column, ...]
    unitcodes: tuple[Column, ...]
    labels: tuple[Column, ...]
    amounts: tuple[Column, ...]


def halves(columns: tuple[Column, ...]) -> list[Half]:
    """Split columns into halves: a code or label column after an amount column starts one."""
    groups: list[list[Column]] = [[]]
    for col in columns:
        if col.role in ("code", "label") and any(c.role == "amount" for c in groups[-1]):
            groups.append([])
        groups[-1].append(col)
    return [
        Half(
            tuple(c for c in g if c.role == "code"),
            tuple(c for c in g if c.role == "unitcode"),
            tuple(c for c in g if c.role == "label"),
            tuple(c for c in g if c.role == "amount"),
        )
        for g in groups
        if g
    ]


def join_code(parts: list[str]) -> str:
    """Split code parts → one code: `204|06|01` → 2040601; `301|01|30101` → 30101."""
    code = ""
    for part in parts:
        if code and len(part) == 1:  # 款/项 are two digits; some tables print 02 as "2"
            part = "0" + part
        code = part if code and part.startswith(code) else code + part
    return code


def _source(cell: Cell, page: int) -> CellSource:
    return CellSource(page=page, box=cell.box, text=cell.text, read=cell.first_read)


class _CodeFill:
    """Split code columns whose prefix the layout leaves blank (款 row printed `|40|`)."""

    def __init__(self, n: int) -> None:
        self.last = [""] * n

    def fill(self, parts: list[str]) -> list[str]:
        first = next((i for i, p in enumerate(parts) if p), None)
        if first is None:
            return parts
        filled = [self.last[i] if i < first else p for i, p in enumerate(parts)]
        for i, p in enumerate(parts):
            if p:
                self.last[i] = p
                self.last[i + 1 :] = [""] * (len(self.last) - i - 1)
        return filled


def _label_pairs(grid: Grid, row: int, half: Half) -> list[tuple[Cell, Column]]:
    pairs: list[tuple[Cell, Column]] = []
    for col in half.labels:
        cell = grid.at(row, col.index)
        if not cell.empty and all(cell is not seen for seen, _ in pairs):
            pairs.append((cell, col))
    return pairs


def _label_cells(grid: Grid, row: int, half: Half) -> list[Cell]:
    return [cell for cell, _ in _label_pairs(grid, row, half)]


def split_code_label(text: str) -> tuple[str, str] | None:
    """`2010601-行政运行` / `[201]一般公共服务支出` → (code, name); None when the cell
    does not start with a subject code of 3, 5 or 7 digits."""
    for pattern in CODE_IN_LABEL:
        m = pattern.match(fold_fullwidth(text))
        if m and len(m.group(1)) in _VALID_CODE_LENGTHS:
            name = normalize_name(m.group(2))
            if name and not name.isdigit():
                return m.group(1), name
    return None


@dataclass(frozen=True, slots=True)
class _Labels:
    """A row's label cells read: its name, the code printed in a name cell, other codes."""

    name: str
    cells: list[Cell]
    code: str | None = None
    code_cell: Cell | None = None
    other_codes: dict[str, str] | None = None


def _read_labels(pairs: list[tuple[Cell, Column]]) -> _Labels:
    coded = [(cell, col, sc) for cell, col in pairs if (sc := split_code_label(cell.text))]
    if not coded:
        return _Labels("/".join(normalize_name(c.text) for c, _ in pairs), [c for c, _ in pairs])
    primary = next((x for pattern in PRIMARY_CODE_HEADERS for x in coded if pattern.search(x[1].key)), coded[0])
    names = [primary[2][1] if cell is primary[0] else normalize_name(cell.text)
             for cell, _ in pairs if cell is primary[0] or all(cell is not x[0] for x in coded)]
    others = {col.key: sc[0] for cell, col, sc in coded if cell is not primary[0]}
    return _Labels("/".join(names), [primary[0]], primary[2][0], primary[0], others or None)


def _row_items(table: Table, part: Part, row: int, half: Half, fill: _CodeFill) -> LineItem | None:
    grid: Grid = part.grid
    page = grid.page
    cells: dict[str, CellSource] = {}

    code_cells = [grid.at(row, c.index) for c in half.codes]
    parts = [normalize_name(c.text) if c.row == row or c.rowspan == 1 else "" for c in code_cells]
    # text in a code column that is no code ("合计" printed under 科目编码) names the row
    stray = [(c, p) for c, p in zip(code_cells, parts) if p and not p.isdigit()]
    parts = [p if p.isdigit() else "" for p in parts]
    parts = fill.fill(parts) if len(parts) > 1 else parts
    code = join_code(parts)
    for cell in code_cells:
        if not cell.empty:
            cells["code"] = _source(cell, page)
    for col in half.unitcodes:  # a 单位代码 column sometimes carries the full subject code
        cell = grid.at(row, col.index)
        text = normalize_name(cell.text)
        if text and not text.isdigit():
            stray.append((cell, text))  # "合计" printed under 单位编码
            continue
        candidate = join_code([code, text]) if text else code
        # Alone, a 3-digit 单位编码 (420) is a unit's number, not a 类 code.
        plausible = bool(half.codes) or len(candidate) == 7
        if plausible and len(candidate) in _VALID_CODE_LENGTHS and candidate.isdigit():
            if candidate != code:
                cells["code"] = _source(cell, page)
            code = candidate
    if len(code) not in _VALID_CODE_LENGTHS or not code.isdigit():
        code = ""

    labels = _read_labels(_label_pairs(grid, row, half))
    label_cells = labels.cells
    if not label_cells and stray:
        label_cells = [stray[0][0]]
        labels = _Labels(normalize_name(stray[0][0].text), label_cells)
    name = labels.name
    if label_cells:
        cells["name"] = CellSource(page=page, box=_union(c.box for c in label_cells),
                                   text="\n".join(c.text for c in label_cells))
    other_codes = labels.other_codes
    if labels.code and labels.code_cell is not None:
        if not code:
            code = labels.code
            cells["code"] = _source(labels.code_cell, page)
        elif labels.code != code:
            other_codes = {**(other_codes or {}), "name": labels.code}

    values: dict[str, str | None] = {}
    flags: list[str] = []
    for col in half.amounts:
        cell = grid.at(row, col.index)
        value = None
        if cell.row == row and cell.col == col.index and not cell.empty:
            try:
                value = normalize_amount(cell.text)
            except ValueError:
                flags.append(f"not_an_amount:{col.key}")
            cells[f"values.{col.key}"] = _source(cell, page)
        values.setdefault(col.key, value)
        if values[col.key] is None and value is not None:
            values[col.key] = value

    if not name and not code and all(v is None for v in values.values()):
        return None
    row_box = (grid.xs[0], grid.ys[row], grid.xs[-1], grid.ys[row + 1])
    kind = table.kind if table.kind in TABLE_KINDS else "其他"
    return LineItem(
        table=kind,  # type: ignore[arg-type]
        code=code or None,
        name=name,
        values=values,
        unit=table.unit or "万元",  # type: ignore[arg-type]
        page=page,
        provenance=Provenance(chunk_id=table.id, method="grid", page=page, box=row_box, cells=cells),
        flags=(flags + ([] if table.unit else ["unit_not_printed"])) or None,
        other_codes=other_codes,
    )


def _union(boxes) -> tuple[float, float, float, float]:
    boxes = list(boxes)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


_UNIT_IN_HEADER = re.compile(r"[(（](万元|元|千元)[)）]")


def project_amounts(table: Table) -> Table | None:
    """A 绩效目标表 printed as a project list (项目名称 | 金额(万元) | 绩效目标 | 绩效指标):
    the same table seen as a 项目支出表, prose columns set aside; None if it is not one."""
    columns = table.header.columns
    amounts = [c for c in columns if c.role == "amount" and PROJECT_AMOUNT_HEADER.search(c.key)]
    labels = [c for c in columns if c.role == "label"]
    named = [c for c in labels if "名称" in c.key]
    if not amounts or not named:
        return None
    # 二级预算单位名称 | 一级项目名称 | 预算数（万元）| 绩效目标 (深圳): the project's, not the unit's
    name_col = next((c for c in named if "项目" in c.key), named[0])
    unit = table.unit
    if unit is None:
        m = next((m for c in amounts if (m := _UNIT_IN_HEADER.search(c.key))), None)
        unit = m.group(1) if m else None

    def view(header: Header) -> Header:
        cols = tuple(c if c.role != "label" or c.index == name_col.index else replace(c, role="other")
                     for c in header.columns)
        return replace(header, columns=cols)

    parts = [Part(p.grid, view(p.header)) for p in table.parts]
    return replace(table, kind="项目支出表", unit=unit, parts=parts)


def unreadable(table: Table) -> list[str]:
    """Why the grid reader will not read this table (it goes to the model instead)."""
    reasons = []
    if table.kind is None:
        reasons.append("title names no known table kind")
    if table.empty:
        return reasons
    columns = table.header.columns
    if not any(c.role == "amount" for c in columns):
        reasons.append("no amount column")
    blank = [f"c{c.index}" for c in columns if c.role == "amount" and not c.key]
    if blank:
        reasons.append(f"amount columns without a header: {', '.join(blank)}")
    if table.unit is None:
        reasons.append("no unit line")
    return reasons


def read_line_items(table: Table) -> list[LineItem]:
    """Every body row of a recognised budget table, in reading order (none if printed empty)."""
    items: list[LineItem] = []
    if table.empty:
        return items
    hs = halves(table.header.columns)
    fills = [_CodeFill(len(h.codes)) for h in hs]
    for part in table.parts:
        part_halves = halves(part.header.columns) if part.header.columns != table.header.columns else hs
        for row in range(part.header.header_rows, part.grid.n_rows):
            row_items: list[tuple[LineItem, list[Cell]]] = []
            for half, fill in zip(part_halves, fills):
                item = _row_items(table, part, row, half, fill)
                if item is None:
                    continue
                labels = _label_cells(part.grid, row, half)
                if row_items and labels and labels == row_items[-1][1]:
                    # One label spanning two halves: the row is the half its amounts are in.
                    if all(v is None for v in row_items[-1][0].values.values()):
                        row_items.pop()
                    else:
                        continue
                row_items.append((item, labels))
            items.extend(item for item, _ in row_items)
    return items

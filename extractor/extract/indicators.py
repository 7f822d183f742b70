"""The grid reader for 绩效目标表: indicator tables and form blocks → indicators.

The indicator block starts at the row naming 一级指标 / 二级指标 / 三级指标; columns
are mapped by their header words (vocabulary below); 一级/二级 and the project are
filled down from merged or blank cells. Targets run together (`≥96%`) are split.
"""

from __future__ import annotations

import re

from extractor.extract.targets import direction_of, operator_of, parse_target
from extractor.layout.grid import Cell, Grid
from extractor.layout.tables import Table
from extractor.normalize import normalize_amount, normalize_name
from extractor.records import CellSource, Indicator, Provenance

# Header word → field, tried in order; the first field whose words a header contains wins.
FIELD_HEADERS: list[tuple[str, tuple[str, ...]]] = [
    ("level1", ("一级指标",)),
    ("level2", ("二级指标",)),
    ("name", ("三级指标", "指标名称", "绩效指标名称")),
    ("operator", ("指标性质", "运算符", "符号", "指标值类型", "值类型")),
    ("unit", ("度量单位", "计量单位", "指标单位")),
    ("weight", ("权重", "分值")),
    ("direction", ("方向",)),
    ("value", ("指标值", "目标值", "指标内容", "年度指标值")),
    ("project", ("项目名称",)),
]
_PROJECT_LABEL = re.compile(r"^(项目名称|项目|项目支出名称|项目全称)$")


def _field(header: str) -> str | None:
    for name, words in FIELD_HEADERS:
        if any(w in header for w in words):
            return name
    return None


def _header_row(grid: Grid) -> int | None:
    return next((row for row in range(grid.n_rows) if _is_header_row(grid, row)), None)


def _columns(grid: Grid, row: int) -> dict[str, int]:
    fields: dict[str, int] = {}
    for col in range(grid.n_cols):
        cell = grid.at(row, col)
        if cell.col != col:
            continue
        name = _field(normalize_name(cell.text))
        if name and name not in fields:
            fields[name] = col
    return fields


def _row_project(grid: Grid, row: int) -> str | None:
    """'项目名称 | (blank span) | 乡村振兴工作队经费': the first text right of the label."""
    cells = grid.row_cells(row)
    for i, cell in enumerate(cells[:-1]):
        if cell.row == row and _PROJECT_LABEL.match(normalize_name(cell.text)):
            value = next((c for c in cells[i + 1:] if not c.empty and c is not cell), None)
            return normalize_name(value.text) if value is not None else None
    return None


def _form_project(grid: Grid, before: int) -> str | None:
    """A form's '项目名称 | …' field above the indicator block (the last one above it)."""
    found = None
    for row in range(before):
        found = _row_project(grid, row) or found
    return found


def _is_header_row(grid: Grid, row: int) -> bool:
    joined = "|".join(normalize_name(c.text) for c in grid.row_cells(row))
    return "一级指标" in joined and ("二级指标" in joined or "三级指标" in joined)


def _title_project(title: str) -> str | None:
    m = re.search(r"(?:\d{4}年)?(?:度)?(.+?)(?:项目)?(?:支出)?绩效目标(?:申报)?表", normalize_name(title))
    name = m.group(1) if m else ""
    if len(name) < 3 or "部门" in name or "项目支出" in name or name.endswith("项目"):
        return None
    return name


def _scope(table: Table) -> str:
    t = normalize_name(table.title)
    return "部门整体" if ("整体" in t or "部门绩效" in t) else "项目"


def is_indicator_table(table: Table) -> bool:
    """A 绩效目标表 by title, or any table holding an 一级/二级/三级指标 header row."""
    return table.kind == "绩效目标表" or (
        table.kind is None and any(_header_row(p.grid) is not None for p in table.parts)
    )


def read_indicators(table: Table) -> list[Indicator]:
    scope = _scope(table)
    out: list[Indicator] = []
    columns: dict[str, int] | None = None
    project: str | None = None if scope == "部门整体" else _title_project(table.title)
    level1 = level2 = None
    for part in table.parts:
        grid = part.grid
        header = _header_row(grid)
        start = 0
        if header is not None:
            columns = _columns(grid, header)
            start = header + 1
            if scope == "项目":
                project = _form_project(grid, header) or project
        if not columns or "name" not in columns:
            continue
        for row in range(start, grid.n_rows):
            if scope == "项目" and (named := _row_project(grid, row)):
                project, level1, level2 = named, None, None  # the next form starts here
                continue
            if _is_header_row(grid, row):
                columns = _columns(grid, row)
                continue
            if "name" not in columns:
                continue
            cells: dict[str, Cell] = {f: grid.at(row, c) for f, c in columns.items()}
            text = {f: normalize_name(c.text) for f, c in cells.items()}
            if scope == "项目" and "project" in cells and text["project"]:
                project = text["project"]
            if text.get("level1"):
                level1, level2 = text["level1"], None
            if text.get("level2"):
                level2 = text["level2"]
            if not text["name"] or cells["name"].row != row:
                continue
            target = parse_target(cells["value"].text if "value" in cells else None)
            operator = operator_of(text.get("operator")) or target.operator
            unit = text.get("unit") or target.unit
            value = target.value
            if text.get("operator") == "定性" and "value" in cells:
                value = normalize_name(cells["value"].text) or None
            weight = None
            flags: list[str] = []
            if text.get("weight"):
                try:
                    weight = normalize_amount(text["weight"])
                except ValueError:
                    flags.append("weight_not_a_number")
            page = grid.page
            sources = {f: CellSource(page=page, box=c.box, text=c.text) for f, c in cells.items() if not c.empty}
            out.append(
                Indicator(
                    scope=scope,  # type: ignore[arg-type]
                    project=project if scope == "项目" else None,
                    level1=level1,
                    level2=level2,
                    name=text["name"],
                    operator=operator,  # type: ignore[arg-type]
                    value=value,
                    unit=unit,
                    weight=weight,
                    direction=direction_of(text.get("direction")),  # type: ignore[arg-type]
                    page=page,
                    provenance=Provenance(
                        chunk_id=table.id, method="grid", page=page,
                        box=(grid.xs[0], grid.ys[row], grid.xs[-1], grid.ys[row + 1]), cells=sources,
                    ),
                    flags=flags or None,
                )
            )
    return out

"""The grid reader for 绩效目标表: indicator tables and form blocks → indicators.

The indicator block starts at the row naming 一级指标 / 二级指标 / 三级指标 (columns
mapped by their header words, vocabulary below), or, in a 申报表 form printed without
that header, at the row labelled 绩效指标 (cells then read left to right). A cell that
names a taxonomy level (产出指标, 数量指标, …) is a level wherever the form put it;
一级/二级 and the project are filled down from merged or blank cells; a 一级指标 that
is not printed is taken from the taxonomy and flagged. Targets run together (`≥96%`)
are split. The form's own fields (项目名称, 资金, 立项依据, …) and its signature row
are not indicators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from extractor.extract.targets import direction_of, operator_of, parse_target
from extractor.layout.grid import Cell, Grid
from extractor.layout.tables import Table
from extractor.normalize import normalize_amount, normalize_name, one_char_apart
from extractor.records import CellSource, Indicator, Provenance
from extractor.vocabulary import indicator_level, level1_of, split_levels, taxonomy_term

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
# Labels of the form's indicator block and of header cells: never a level or a name.
_LABELS = {"绩效指标", "年度绩效指标", "一级指标", "二级指标", "三级指标", "指标值", "指标名称", "绩效指标名称"}
LABEL_COLUMN = {"绩效指标", "年度绩效指标"}  # a form's label column (garbled forms print names there)
# The form's signature row ends its indicator block.
_FOOTER = re.compile(r"^(负责人|经办人|联系电话|填报日期|填报人|审核人|单位负责人)[:：]"
                     r"|^(总分值|总分|评价总分|评价等级|自评得分|综合评分)")  # a 自评表's scoring rows
# '203001-江油市司法局' in a project column is the budget unit, not a project.
_UNIT_NAME = re.compile(r"^\d{3,}[-－—]")
# Columns read as one indicator's description; "label" is a form's 绩效指标 column, where
# garbled forms print names too.
_DESCRIPTORS = ("label", "level1", "level2", "name", "value")
_SECOND = ("level2", "name", "value")


def field_of_header(header: str) -> str | None:
    """The indicator field a header cell names (三级指标 → name, 指标性质 → operator …)."""
    return _field(normalize_name(header))


def _field(header: str) -> str | None:
    for name, words in FIELD_HEADERS:
        if any(w in header for w in words):
            return name
    # OCR slips one character of a header ("二级招标"): the one header word it is one off
    near = {name for name, words in FIELD_HEADERS for w in words if len(w) >= 4 and one_char_apart(header, w)}
    return near.pop() if len(near) == 1 else None


def indicator_header_row(grid: Grid) -> int | None:
    """The row naming the indicator columns (一级/二级/三级指标, or 指标名称 + 指标值 + …)."""
    return next((row for row in range(grid.n_rows) if _is_header_row(grid, row)), None)


_header_row = indicator_header_row


def _columns(grid: Grid, row: int) -> dict[str, int]:
    fields: dict[str, int] = {}
    for col in range(grid.n_cols):
        cell = grid.at(row, col)
        if cell.col != col:
            continue
        text = normalize_name(cell.text)
        name = _field(text) or ("label" if text in LABEL_COLUMN else None)
        if name and name not in fields:
            fields[name] = col
        elif name in _SECOND and "value" in fields and col > fields["value"] and f"{name}#2" not in fields:
            fields[f"{name}#2"] = col  # a form's second group of indicators, right of the first
    if "name" not in fields and "label" in fields and "value" in fields:
        fields["name"] = fields.pop("label")  # 活动 | 绩效指标 | 指标性质 | 指标值: names under 绩效指标
    return fields


def _row_project(grid: Grid, row: int) -> str | None:
    """'项目名称 | (blank span) | 乡村振兴工作队经费': the first text right of the label."""
    cells = grid.row_cells(row)
    for i, cell in enumerate(cells[:-1]):
        if cell.row == row and _PROJECT_LABEL.match(normalize_name(cell.text)):
            value = next((c for c in cells[i + 1:] if not c.empty and c is not cell), None)
            return normalize_name(value.text) if value is not None else None
    return None


def _spilled_text(grid: Grid) -> str | None:
    """A continuation page's first row that finishes the last row of the page before: no
    label, one text cell."""
    if grid.n_rows == 0:
        return None
    cells = [c for c in grid.row_cells(0) if not c.empty]
    if len(cells) != 1 or cells[0].col == 0 or cells[0].rowspan != 1:
        return None
    return normalize_name(cells[0].text)


def _form_project(grid: Grid, before: int) -> str | None:
    """A form's '项目名称 | …' field above the indicator block (the last one above it)."""
    found = None
    for row in range(before):
        found = _row_project(grid, row) or found
    return found


def _is_header_row(grid: Grid, row: int) -> bool:
    """一级/二级/三级指标, or a header without levels that names the indicator and its target
    (重庆: 指标名称 | 指标性质 | 指标值 | 计量单位 | 指标权重(%) | 是否核心)."""
    joined = "|".join(normalize_name(c.text) for c in grid.row_cells(row))
    if "一级指标" in joined and ("二级指标" in joined or "三级指标" in joined):
        return True
    texts = [normalize_name(c.text) for c in grid.row_cells(row) if c.row == row and not c.empty]
    fields = {f for t in texts if len(t) <= 12 and (f := _field(t))}
    if "绩效指标" in texts and "value" in fields:  # 北京 部门整体: 活动 | 绩效指标 | 指标性质 | 指标值 | 度量单位
        return len(fields & {"operator", "unit", "weight"}) >= 2
    return "name" in fields and "value" in fields and len(fields & {"operator", "unit", "weight"}) >= 1


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


@dataclass(slots=True)
class _Row:
    """What one grid row says: levels it sets, and the indicator it prints (if any)."""

    level1: Cell | None = None
    level2: Cell | None = None
    name: Cell | None = None
    value: Cell | None = None
    footer: bool = False
    columns: dict[str, int] | None = None  # the header's columns, as this row prints them


def _text(cell: Cell) -> str:
    """A cell's text; a taxonomy term misread by OCR by one character is read as the term
    (the printed reading stays in the record's provenance)."""
    text = normalize_name(cell.text)
    if cell.words and all(w.ocr for w in cell.words) and indicator_level(text) is None:
        return taxonomy_term(text) or text
    return text


def _own_cells(grid: Grid, row: int) -> list[Cell]:
    """Non-empty cells that start in this row (merged cells from above were read there)."""
    return [c for c in grid.row_cells(row) if c.row == row and not c.empty]


def _starts_block(grid: Grid, row: int) -> bool:
    """'绩效指标 | 产出指标 | 数量指标 | …': the label beside a taxonomy level."""
    texts = [normalize_name(c.text) for c in _own_cells(grid, row)]
    return "绩效指标" in texts and any(indicator_level(t) is not None for t in texts)


def _has_cost_child(cells: list[Cell]) -> bool:
    return any(level1_of(normalize_name(c.text)) == "成本指标" for c in cells)


def _level(text: str, cells: list[Cell]) -> int | None:
    level = indicator_level(text)
    if level is not None and text.startswith("成本") and _has_cost_child(cells):
        return 1  # the newer template's 一级 成本指标 (经济/社会/生态环境成本指标 beside it)
    return level


def _shifted(cells: list[Cell], columns: dict[str, int] | None) -> dict[str, int] | None:
    """A row printed left of its header (its 一级 under the label column): columns moved with it."""
    if not columns or "level1" not in columns:
        return columns
    for cell in cells:
        level = _level(_text(cell), cells)
        if level is None:
            continue
        shift = columns["level1"] - cell.col if level == 1 else 0
        return {f: col - shift for f, col in columns.items() if col >= shift} if shift > 0 else columns
    return columns


def _classify(grid: Grid, row: int, columns: dict[str, int] | None) -> _Row:
    cells = _own_cells(grid, row)
    out = _Row()
    if any(_FOOTER.match(normalize_name(c.text)) for c in cells):
        out.footer = True
        return out
    columns = out.columns = _shifted(cells, columns)
    field_of = {col: f for f, col in (columns or {}).items()}
    if columns:
        cells = [c for c in cells if field_of.get(c.col) in _DESCRIPTORS]
    rest: list[Cell] = []
    has_value = any(field_of.get(c.col) == "value" for c in cells)
    for cell in cells:
        text = _text(cell)
        if text in _LABELS:
            continue
        level = _level(text, cells)
        column = field_of.get(cell.col)
        if level is not None and column == "name" and has_value:
            level = None  # a 三级 named like its 二级 (服务对象满意度指标 | ≥95%) is still a name
        if level is not None and column == "level2":
            level = 2  # printed as a 二级 (even a 一级 word): kept as printed
        if level is not None and not (rest and columns is None):
            if level == 1 and out.level1 is None and out.level2 is None:
                out.level1 = cell
            elif level == 2 and out.level2 is None:
                out.level2 = cell
            continue
        if level is not None:
            continue  # past the name of a form read left to right: its right half repeats levels
        rest.append(cell)
    if not rest:
        return out
    if not columns:
        out.name = rest[0]
        out.value = rest[1] if len(rest) > 1 else None
        return out
    by_field = {field_of[c.col]: c for c in rest}
    name, value = by_field.get("name"), by_field.get("value")
    stray = [c for c in rest if field_of[c.col] in ("label", "level1", "level2")]
    if name is not None and value is None and stray and stray[0].rowspan == 1:
        name, value = stray[0], name  # shifted left: the name under a level, the target under 三级
        stray = []
    elif name is None and stray:
        name, stray = stray[0], stray[1:]  # printed in a level column, 三级 left blank
    named = normalize_name(name.text) if name is not None else None
    stray = [c for c in stray if normalize_name(c.text) != named]  # the name printed twice
    for cell in stray:  # a level outside the taxonomy, in its column
        if field_of[cell.col] == "level1" and out.level1 is None:
            out.level1 = cell
        elif field_of[cell.col] == "level2" and out.level2 is None:
            out.level2 = cell
    out.name, out.value = name, value
    return out


# A layout's indicator roles → the reader's fields ("target": a value cell holding ≥96% whole).
ROLE_FIELDS = {"project": "project", "level1": "level1", "level2": "level2", "name": "name",
               "operator": "operator", "value": "value", "target": "value", "unit": "unit", "weight": "weight",
               "direction": "direction"}


def mapped_fields(roles: list[str]) -> dict[str, int]:
    """Column of each indicator field under a layout's roles (the first column of a role)."""
    out: dict[str, int] = {}
    for col, role in enumerate(roles):
        f = ROLE_FIELDS.get(role)
        if f and f not in out:
            out[f] = col
    return out


def read_indicators(table: Table, fields: dict[str, int] | None = None) -> list[Indicator]:
    """Every indicator of a 绩效目标表; `fields` (from a stored layout or the model's mapping)
    names the columns of a table whose header the rules do not recognise."""
    scope = _scope(table)
    out: list[Indicator] = []
    columns: dict[str, int] | None = None
    in_block = False  # the block starts at its header, or at a form's 绩效指标 row
    project: str | None = None if scope == "部门整体" else _title_project(table.title)
    level1 = level2 = None
    level2_right: str | None = None
    carried: dict[str, CellSource] = {}  # where the filled-down 一级/二级 were printed
    rows: list[_Place] = []
    named_last = False  # the page before ended on the 项目名称 row: its name may go on here
    for part in table.parts:
        grid = part.grid
        if named_last and project and (more := _spilled_text(grid)):
            project += more  # '…提升补助资' | (page break) | '金'
        named_last = False
        header = _header_row(grid)
        start = read_here = 0
        level2_until: int | None = None  # the last row of this page's merged 二级 cell
        if header is not None:
            columns, in_block = _columns(grid, header), True
            start = header + 1
            if scope == "项目":
                project = _form_project(grid, header) or project
        elif fields and "name" in fields:
            columns, in_block = dict(fields), True
            start = part.header.header_rows
        for row in range(start, grid.n_rows):
            if scope == "项目" and (named := _row_project(grid, row)):
                project, level1, level2, level2_right = named, None, None, None  # the next form starts here
                carried = {}
                columns, in_block = None, False
                named_last = row == grid.n_rows - 1
                continue
            if _is_header_row(grid, row):
                columns, in_block = _columns(grid, row), True
                continue
            if not in_block:
                if _starts_block(grid, row):
                    in_block = True  # a form without a 一级/二级/三级指标 header
                else:
                    continue
            if columns is not None and "name" not in columns:
                continue
            seen = _classify(grid, row, columns)
            if seen.footer:
                in_block = False
                continue
            printed = cue = loose = False
            if columns and "project" in columns and scope == "项目":
                cell = grid.at(row, columns["project"])
                text = normalize_name(cell.text)
                if text and not _UNIT_NAME.match(text):
                    project, printed = text, cell.row == row
                # a blank name cell of its own (no merged span says whose row it is)
                loose = not printed and cell.rowspan == 1 and (not text or bool(_UNIT_NAME.match(text)))
                # (text atop a page, before its first indicator, continues the page before)
                cue = loose and read_here > 0 and _attribute_starts(grid, row, columns)
            if seen.level1 is not None:
                level1, level2 = _text(seen.level1), None
                carried = {"level1": _source(grid, seen.level1)}
            if seen.level2 is not None:
                level2 = _text(seen.level2)
                carried["level2"] = _source(grid, seen.level2)
                level2_until = seen.level2.row + seen.level2.rowspan - 1 if seen.level2.rowspan > 1 else None
                if seen.level1 is None and columns and seen.level2.col == columns.get("level1"):
                    level1 = None  # a 二级 printed where the 一级 goes: its 一级 is not printed
                    carried.pop("level1", None)
            elif level2_until is not None and row > level2_until and _blank_own(grid, row, seen.columns, "level2"):
                level2 = level2_until = None  # a merged 二级 ended; this row prints none
                carried.pop("level2", None)
            if seen.name is not None:
                out.append(_indicator(table, grid, row, scope, project, level1, level2, seen, seen.columns, carried))
                rows.append(_Place(printed, cue, loose))
                read_here += 1
            if columns and "name#2" in columns:
                right = _second(grid, row, columns)
                if right.level2 is not None:
                    level2_right = _text(right.level2)
                if right.name is not None and right.value is not None:
                    # its 一级 is the taxonomy's for its 二级 (the row's own 一级 when unknown)
                    parent = None if level1_of(level2_right or "") else level1
                    out.append(_indicator(table, grid, row, scope, project, parent, level2_right, right, None))
                    rows.append(_Place(False, False, False))
    return settle_boundaries(out, rows)


@dataclass(frozen=True, slots=True)
class _Place:
    printed: bool  # the row prints its project's name
    cue: bool  # the row starts a project's own text (金额, 年度目标) under a blank name
    loose: bool  # the row's name cell is blank and its own: it may belong to either neighbour


def _attribute_starts(grid: Grid, row: int, columns: dict[str, int]) -> bool:
    """Does a project column other than its name (金额, 年度目标…) start its text on this row?"""
    first_level = min((columns[f] for f in ("level1", "level2", "name") if f in columns), default=grid.n_cols)
    mapped = set(columns.values())
    return any(
        (cell := grid.at(row, col)).row == row and cell.col == col and not cell.empty
        for col in range(columns["project"] + 1, first_level) if col not in mapped
    )


def _weight_sum(inds: list[Indicator]) -> Decimal | None:
    if not inds or any(i.weight is None for i in inds):
        return None
    return sum((Decimal(i.weight) for i in inds if i.weight is not None), Decimal(0))


def settle_boundaries(inds: list[Indicator], places: list[_Place]) -> list[Indicator]:
    """Rows printed between two projects' names with their project cell blank (merged cells
    drawn as separate rows, the name centred in its span) belong to either project.

    Each project's weights sum to 100 where weights are printed: the one split that makes
    both sums 100 (when they were not) wins; else the row where the next project's own text
    starts (its 年度目标), if no sum held. Moved rows are flagged `project_from_neighbours`.
    (Making just one side hold was tried: with documents whose weights are often off, some
    split does so by chance; it moved 8 right rows in sample 000.)
    """
    starts = [i for i, p in enumerate(places) if p.printed]
    moves: list[tuple[list[int], str | None]] = []
    for left, right in zip(starts, starts[1:]):
        if inds[right].project == inds[left].project:
            continue
        a = [i for i in range(left, right) if inds[i].project == inds[left].project]
        end = next((i for i in range(right + 1, len(inds)) if places[i].printed), len(inds))
        b = [i for i in range(right, end) if inds[i].project == inds[right].project]
        movable = []  # the loose rows just above the next name, nearest first
        for i in reversed(a[1:]):
            if not places[i].loose:
                break
            movable.append(i)
        sa, sb = _weight_sum([inds[i] for i in a]), _weight_sum([inds[i] for i in b])
        held = (sa == 100, sb == 100)
        best: int | None = None
        if sa is not None and sb is not None and not all(held):
            sums = {k: (_weight_sum([inds[i] for i in a[: len(a) - k]]),
                        _weight_sum([inds[i] for i in movable[:k]] + [inds[i] for i in b]))
                    for k in range(1, len(movable) + 1)}
            both = [k for k, (x, y) in sums.items() if x == 100 and y == 100]
            best = both[0] if len(both) == 1 else None
        if best is None and not any(held):
            cued = [n + 1 for n, i in enumerate(movable) if places[i].cue]
            best = cued[-1] if cued else None
        moves.append((movable[: best or 0], inds[right].project))
    out = list(inds)
    for moved, project in moves:
        for i in moved:
            out[i] = out[i].model_copy(update={
                "project": project, "flags": (out[i].flags or []) + ["project_from_neighbours"],
            })
    return out


def _source(grid: Grid, cell: Cell) -> CellSource:
    return CellSource(page=grid.page, box=cell.box, text=cell.text, read=cell.first_read)


def _blank_own(grid: Grid, row: int, columns: dict[str, int] | None, field: str) -> bool:
    if not columns or field not in columns:
        return False
    cell = grid.at(row, columns[field])
    return cell.row == row and cell.empty


def _second(grid: Grid, row: int, columns: dict[str, int]) -> _Row:
    """The second indicator a two-group form prints on this row (二级 | 三级 | 指标值)."""
    out = _Row()
    for f in _SECOND:
        col = columns.get(f"{f}#2")
        cell = grid.at(row, col) if col is not None else None
        if cell is None or cell.row != row or cell.empty or normalize_name(cell.text) in _LABELS:
            continue
        setattr(out, f, cell)
    if out.name is not None and indicator_level(normalize_name(out.name.text)) is not None:
        out.name = None
    return out


def _indicator(table: Table, grid: Grid, row: int, scope: str, project: str | None,
               level1: str | None, level2: str | None, seen: _Row,
               columns: dict[str, int] | None, carried: dict[str, CellSource] | None = None) -> Indicator:
    assert seen.name is not None
    cells: dict[str, Cell] = {"name": seen.name}
    if seen.value is not None:
        cells["value"] = seen.value
    for f in ("operator", "unit", "weight", "direction"):
        if columns and f in columns:
            cells[f] = grid.at(row, columns[f])
    if seen.level1 is not None:
        cells["level1"] = seen.level1
    if seen.level2 is not None:
        cells["level2"] = seen.level2
    text = {f: _text(c) for f, c in cells.items()}
    flags: list[str] = []
    if seen.level1 is None and seen.level2 is None and (run := split_levels(text["name"])):
        level1, level2, text["name"] = run  # levels printed run together before the name
    if level1 is None and level2 is not None and (parent := level1_of(level2)):
        level1 = parent
        flags.append("level1_from_taxonomy")
    target = parse_target(cells["value"].text if "value" in cells else None)
    operator = operator_of(text.get("operator")) or target.operator
    unit = text.get("unit") or target.unit
    value = target.value
    if text.get("operator") == "定性" and "value" in cells:
        value = normalize_name(cells["value"].text) or None
    weight = None
    if text.get("weight"):
        try:
            weight = normalize_amount(text["weight"])
        except ValueError:
            flags.append("weight_not_a_number")
    page = grid.page
    sources = {f: _source(grid, c) for f, c in cells.items() if not c.empty}
    for f, src in (carried or {}).items():  # filled down from a merged or earlier cell
        if f not in sources and (taxonomy_term(src.text) or normalize_name(src.text)) in {level1, level2}:
            sources[f] = src
    return Indicator(
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

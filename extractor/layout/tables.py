"""Grids → logical tables: title, kind, unit, department and year from the text around
each grid; header rows found; tables continued on the next page stitched into one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractor.layout.grid import Grid, find_grids, on_columns
from extractor.layout.headers import Header, caption_texts, read_header
from extractor.normalize import is_amount, normalize_name
from extractor.read.page import Page, Word
from extractor.vocabulary import DEPARTMENT_LINE, EMPTY_TABLE, TITLE_HINT, TOTAL_LABEL, UNIT_LINE, YEAR, table_kind


@dataclass(slots=True)
class Line:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(slots=True)
class Part:
    """One page's piece of a logical table: its grid and where its body starts."""

    grid: Grid
    header: Header


@dataclass(slots=True)
class Table:
    id: str
    kind: str | None  # the contract's table kind, 绩效目标表, or None (unrecognised)
    title: str
    unit: str | None
    department: str | None
    year: int | None
    parts: list[Part]
    context: list[Line] = field(default_factory=list)  # text lines above the table
    empty: bool = False  # printed as "本表无数据" or with no body rows

    @property
    def pages(self) -> list[int]:
        return sorted({p.grid.page for p in self.parts})

    @property
    def header(self) -> Header:
        return self.parts[0].header


def text_lines(words: list[Word]) -> list[Line]:
    """Words grouped into lines (same baseline band), left to right, top to bottom."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        for line in reversed(lines[-3:]):
            ref = line[0]
            if abs(w.cy - ref.cy) <= 0.5 * max(2.0, min(w.y1 - w.y0, ref.y1 - ref.y0)):
                line.append(w)
                break
        else:
            lines.append([w])
    out = []
    for line in lines:
        line.sort(key=lambda w: w.x0)
        out.append(Line(" ".join(w.text for w in line), min(w.x0 for w in line), min(w.y0 for w in line),
                        max(w.x1 for w in line), max(w.y1 for w in line)))
    return out


def _inside(w: Word, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= w.cx <= box[2] and box[1] <= w.cy <= box[3]


def _title(context: list[Line]) -> tuple[str, str | None]:
    """The nearest line above that names a table kind (else the nearest title-like line)."""
    for line in reversed(context):
        kind = table_kind(line.text)
        if kind and TITLE_HINT.search(re.sub(r"\s+", "", line.text)):
            return line.text.strip(), kind
    for line in reversed(context):
        if TITLE_HINT.search(re.sub(r"\s+", "", line.text)):
            # a titled table of no standard kind is still a budget table: 其他
            return line.text.strip(), table_kind(line.text) or "其他"
    return "", None


def _first(pattern: re.Pattern[str], lines: list[Line]) -> str | None:
    for line in lines:
        m = pattern.search(line.text)
        if m:
            return m.group(1)
    return None


def page_tables(page: Page, start_index: int = 0) -> list[Table]:
    """The ruled tables of one page, each with the text between it and what is above it."""
    grids = find_grids(page.number, page.rules, page.words)
    # tables side by side (two pages on one sheet): each reads the text over its own columns
    grids.sort(key=lambda g: (_column(g, grids), g.box[1], g.box[0]))
    free = [w for w in page.words if not any(_inside(w, g.box) for g in grids)]
    tables: list[Table] = []
    side_by_side = any(_column(g, grids) for g in grids)
    for i, grid in enumerate(grids):
        span = [g for g in grids if _column(g, grids) == _column(grid, grids)]
        x_lo, x_hi = min(g.box[0] for g in span), max(g.box[2] for g in span)
        # the text over its own columns where tables stand side by side; else the page's
        # (a 单位：万元 printed right of a narrow table is still its unit)
        lines = text_lines([w for w in free if not side_by_side or x_lo - 30 <= w.cx <= x_hi + 30])
        top = max((g.box[3] for g in span if g.box[3] <= grid.box[1] + 1 and g is not grid), default=0.0)
        context = [ln for ln in lines if top - 1 <= ln.y1 and ln.y0 <= grid.box[1] + 1]
        header = read_header(grid)
        captions = [Line(t, *grid.box) for t in caption_texts(grid, header.header_rows)]
        title, kind = _title(context)
        if not title and captions:  # a spreadsheet export draws its title inside the grid
            title, kind = _title(captions)
            context = context + captions
        inner = text_lines([w for c in grid.cells[: max(1, header.first_body_cell)] for w in c.words])
        unit = _first(UNIT_LINE, context) or _first(UNIT_LINE, inner)
        nxt = [g for g in span if g.box[1] >= grid.box[3] - 1 and g is not grid]
        after = [ln for ln in lines if grid.box[3] - 1 <= ln.y0 and (not nxt or ln.y1 <= min(g.box[1] for g in nxt))]
        empty_note = any(EMPTY_TABLE.search(ln.text) for ln in context[-3:] + after[:3]) or any(
            EMPTY_TABLE.search(c.text) for c in grid.cells
        )
        has_amount = any(is_amount(c.text) for c in grid.cells[header.first_body_cell :] if not c.empty)
        year_text = _first(YEAR, context) or _first(YEAR, [Line(title, 0, 0, 0, 0)])
        tables.append(
            Table(
                id=f"p{page.number}-t{start_index + i + 1}",
                kind=kind,
                title=title,
                unit=unit,
                department=_first(DEPARTMENT_LINE, context + inner),
                year=int(year_text) if year_text else None,
                parts=[Part(grid, header)],
                context=context,
                empty=not has_amount and (empty_note or header.body_rows == 0 or _only_totals(grid, header)),
            )
        )
    return tables


def _column(grid: Grid, grids: list[Grid]) -> int:
    """0, or 1 for a grid wholly right of another grid of the page that does not overlap it
    horizontally (the right-hand page of a two-page sheet)."""
    return int(any(g.box[2] <= grid.box[0] for g in grids))


def _only_totals(grid: Grid, header: Header) -> bool:
    """An empty frame: no amount, and the body prints nothing but a 合计 label."""
    texts = [normalize_name(c.text) for c in grid.cells[header.first_body_cell:] if not c.empty]
    return all(TOTAL_LABEL.match(t) for t in texts)


def _continues(prev: Table, nxt: Table, prev_was_last: bool) -> bool:
    """Is `nxt` (first on its page) the continuation of `prev` (last on the page before)?"""
    if not prev_was_last or nxt.parts[0].grid.page != prev.parts[-1].grid.page + 1:
        return False
    a, b = prev.parts[-1].grid, nxt.parts[0].grid
    # columns alike, wherever the table sits (a two-page sheet prints it left, then right)
    same = a.n_cols == b.n_cols and all(abs((x - a.xs[0]) - (y - b.xs[0])) <= 4 for x, y in zip(a.xs, b.xs))
    # an indicator table continued with fewer rules drawn (西安 p50 → p51): columns a subset
    fewer = prev.kind == "绩效目标表" and b.n_cols < a.n_cols and on_columns(b, a.xs) is not None
    # a 绩效 form whose next page, untitled, rules its own columns (广州 部门整体申报表: the
    # budget and task block on p1, the indicator block on p2): the form goes on
    form = prev.kind == "绩效目标表" and nxt.kind is None and not nxt.title
    if not (same or fewer or form):
        return False
    if not nxt.title:
        return True
    return normalize_name(nxt.title) == normalize_name(prev.title)


def _row_texts(grid: Grid, row: int) -> list[str]:
    return [normalize_name(c.text) for c in grid.row_cells(row)]


def _repeated_header_rows(first: Part, grid: Grid) -> int:
    """How many leading rows of `grid` repeat the first page's header rows."""
    n = 0
    while n < first.header.header_rows and n < grid.n_rows and _same_row(_row_texts(grid, n), _row_texts(first.grid, n)):
        n += 1
    return n


def _same_row(a: list[str], b: list[str]) -> bool:
    """Rows that print the same texts; OCR may misread a character or two."""
    if len(a) != len(b):
        return False
    return sum(x == y for x, y in zip(a, b)) >= 0.75 * len(a)


def stitch(tables: list[Table]) -> list[Table]:
    """Merge tables continued across pages into one logical table."""
    out: list[Table] = []
    for i, t in enumerate(tables):
        if out:
            prev = out[-1]
            prev_last = i == 0 or tables[i - 1] is prev or tables[i - 1].parts[0].grid.page != t.parts[0].grid.page
            first_on_page = i == 0 or tables[i - 1].parts[-1].grid.page != t.parts[0].grid.page
            if first_on_page and prev_last and _continues(prev, t, True):
                part = t.parts[0]
                own = False  # a form's page with its own columns keeps its own header
                if part.grid.n_cols != prev.parts[-1].grid.n_cols:
                    grid = on_columns(part.grid, prev.parts[-1].grid.xs)
                    own = grid is None
                    part = part if grid is None else Part(grid, read_header(grid))
                if not own and part.header.columns != prev.header.columns:
                    # read the body with the first page's columns, past a repeated header
                    repeated = _repeated_header_rows(prev.parts[0], part.grid)
                    part = Part(part.grid, prev.header.continued(part.grid, repeated))
                prev.parts.append(part)
                prev.empty = prev.empty and t.empty
                continue
        out.append(t)
    return out


def find_tables(pages: list[Page]) -> list[Table]:
    tables: list[Table] = []
    for page in pages:
        tables.extend(page_tables(page, start_index=0))
    return stitch(tables)

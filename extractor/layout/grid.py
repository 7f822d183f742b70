"""Ruling lines + words → grids of cells with row/column spans and boxes.

A table is a connected set of ruling segments. Its distinct x's and y's give a base
grid; a missing (or mostly missing) segment between two base cells means they are one
merged cell. Words are placed by their centre. Pure functions, no PyMuPDF.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, replace

from extractor.normalize import paired_quotes
from extractor.read.page import Rule, Word

Box = tuple[float, float, float, float]

_SNAP = 1.5  # points: rules closer than this are one line
_JOIN = 2.5  # points: collinear segments with a smaller gap are one segment
_TOUCH = 3.0  # points: a horizontal and a vertical this close touch
_COVER = 0.5  # a boundary exists where rules cover at least this share of it
_MIN_TABLE_W, _MIN_TABLE_H = 50.0, 24.0  # points
_MIN_ROW_W = 200.0  # a one-row grid narrower than this is a boxed title or stamp, not a table
_SLIVER = 10.0  # points: an edge column narrower than this with no word is a frame, not a column
# A chart or drawing (a pie's arcs read as rules on a scan) makes a "grid" of hundreds of
# cells with a few labels: under this share of cells with text it is not a table. Real
# tables in the corpus, empty ones included, fill at least 12%; charts under 0.5%.
_MIN_FILL = 0.03


@dataclass(slots=True)
class Cell:
    row: int
    col: int
    rowspan: int
    colspan: int
    box: Box
    words: list[Word] = field(default_factory=list)
    text: str = ""

    @property
    def empty(self) -> bool:
        return not self.text.strip()

    @property
    def first_read(self) -> str | None:
        """The cell's text as OCR first read it, where a second look changed a word; else None."""
        if not any(w.first is not None for w in self.words):
            return None
        return _line_text([replace(w, text=w.first) if w.first is not None else w for w in self.words])


@dataclass(slots=True)
class Grid:
    page: int
    box: Box
    xs: list[float]
    ys: list[float]
    cells: list[Cell]
    # base (row, col) → index into cells
    owner: list[list[int]]

    @property
    def n_rows(self) -> int:
        return len(self.ys) - 1

    @property
    def n_cols(self) -> int:
        return len(self.xs) - 1

    def at(self, row: int, col: int) -> Cell:
        return self.cells[self.owner[row][col]]

    def row_cells(self, row: int) -> list[Cell]:
        """Distinct cells touching base row `row`, left to right."""
        seen: list[int] = []
        for idx in self.owner[row]:
            if not seen or seen[-1] != idx:
                seen.append(idx)
        return [self.cells[i] for i in seen]


@dataclass(frozen=True, slots=True)
class _Seg:
    pos: float  # y of a horizontal segment, x of a vertical one
    lo: float
    hi: float


def _cluster(values: list[float], tol: float) -> list[float]:
    """Sorted cluster centres of values closer than tol."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(c) / len(c) for c in out]


def _merge_segments(segs: list[_Seg]) -> list[_Seg]:
    """Collinear overlapping or nearly touching segments become one (gaps stay gaps)."""
    segs = sorted(segs, key=lambda s: (s.pos, s.lo))
    lines: list[list[_Seg]] = []
    for s in segs:
        if lines and abs(s.pos - lines[-1][0].pos) <= _SNAP:
            lines[-1].append(s)
        else:
            lines.append([s])
    out: list[_Seg] = []
    for line in lines:
        pos = sum(s.pos for s in line) / len(line)
        merged: list[list[float]] = []
        for s in sorted(line, key=lambda s: s.lo):
            if merged and s.lo <= merged[-1][1] + _JOIN:
                merged[-1][1] = max(merged[-1][1], s.hi)
            else:
                merged.append([s.lo, s.hi])
        out.extend(_Seg(pos, lo, hi) for lo, hi in merged)
    return out


def _components(hs: list[_Seg], vs: list[_Seg]) -> list[tuple[list[_Seg], list[_Seg]]]:
    """Groups of horizontal and vertical segments that touch each other."""
    parent = list(range(len(hs) + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if h.lo - _TOUCH <= v.pos <= h.hi + _TOUCH and v.lo - _TOUCH <= h.pos <= v.hi + _TOUCH:
                a, b = find(i), find(len(hs) + j)
                if a != b:
                    parent[a] = b
    groups: dict[int, tuple[list[_Seg], list[_Seg]]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(find(len(hs) + j), ([], []))[1].append(v)
    return list(groups.values())


def _covered(segs: list[_Seg], pos: float, lo: float, hi: float) -> bool:
    """Do segments at `pos` cover at least _COVER of [lo, hi]?"""
    span = hi - lo
    if span <= 0:
        return True
    got = 0.0
    for s in segs:
        if abs(s.pos - pos) <= _SNAP * 2:
            got += max(0.0, min(hi, s.hi) - max(lo, s.lo))
    return got >= _COVER * span


def _line_text(words: list[Word]) -> str:
    """Words of one cell in reading order: lines top to bottom, words left to right."""
    if not words:
        return ""
    words = sorted(words, key=lambda w: w.cy)
    lines: list[list[Word]] = [[words[0]]]
    for w in words[1:]:
        last = lines[-1][-1]
        if abs(w.cy - last.cy) <= max(2.0, 0.5 * min(w.y1 - w.y0, last.y1 - last.y0)):
            lines[-1].append(w)
        else:
            lines.append([w])
    return "\n".join(" ".join(w.text for w in sorted(line, key=lambda w: w.x0)) for line in lines)


def _bounding(lines: list[float], across: list[float], segs: list[_Seg]) -> list[float]:
    """`lines` less the inner ones that bound no cell: a line the rules cover between no
    two of the `across` lines (a piece of a rule, a stroke kept with it) would only cut
    every cell it crosses into rows or columns that hold nothing of their own."""
    inner = [p for p in lines[1:-1] if any(_covered(segs, p, a, b) for a, b in zip(across, across[1:]))]
    return [lines[0], *inner, lines[-1]]


def build_grid(page: int, xs: list[float], ys: list[float], hs: list[_Seg], vs: list[_Seg], words: list[Word]) -> Grid:
    ys = _bounding(ys, xs, hs)
    xs = _bounding(xs, ys, vs)
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for r in range(n_rows):
        for c in range(n_cols - 1):  # boundary between (r, c) and (r, c+1)
            if not _covered(vs, xs[c + 1], ys[r], ys[r + 1]):
                union(r * n_cols + c, r * n_cols + c + 1)
    for r in range(n_rows - 1):
        for c in range(n_cols):  # boundary between (r, c) and (r+1, c)
            if not _covered(hs, ys[r + 1], xs[c], xs[c + 1]):
                union(r * n_cols + c, (r + 1) * n_cols + c)

    spans: dict[int, list[int]] = {}  # root → [rmin, cmin, rmax, cmax]
    for r in range(n_rows):
        for c in range(n_cols):
            s = spans.setdefault(find(r * n_cols + c), [r, c, r, c])
            s[0], s[1], s[2], s[3] = min(s[0], r), min(s[1], c), max(s[2], r), max(s[3], c)
    order = sorted(spans, key=lambda k: (spans[k][0], spans[k][1]))
    index = {root: i for i, root in enumerate(order)}
    cells = [
        Cell(r0, c0, r1 - r0 + 1, c1 - c0 + 1, (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
        for r0, c0, r1, c1 in (spans[k] for k in order)
    ]
    owner = [[index[find(r * n_cols + c)] for c in range(n_cols)] for r in range(n_rows)]
    placed: list[tuple[Word, int, int]] = []
    for w in words:
        r = bisect_right(ys, w.cy) - 1
        c = bisect_right(xs, w.cx) - 1
        if 0 <= r < n_rows and 0 <= c < n_cols:
            placed.append((w, r, c))
    above: dict[tuple[int, int], list[Word]] = {}
    for w, r, c in placed:
        above.setdefault((r, c), []).append(w)
    for w, r, c in placed:
        if r > 0 and ys[r] - w.y0 >= 0.3 * (w.y1 - w.y0) and _continues_line(w, above.get((r - 1, c), [])):
            r -= 1  # a wrapped line clipped by the rule below its cell (its centre just crossed it)
        cells[owner[r][c]].words.append(w)
    for cell in cells:
        cell.text = _line_text(cell.words)
        if any(w.ocr for w in cell.words):  # a quote pair split over a cell's lines
            cell.text = paired_quotes(cell.text)
    return Grid(page, (xs[0], ys[0], xs[-1], ys[-1]), xs, ys, cells, owner)


def _continues_line(w: Word, upper: list[Word]) -> bool:
    """Is `w` the next line of text in the cell above: left-aligned with a line there and
    starting right under it?"""
    h = w.y1 - w.y0
    return any(abs(u.x0 - w.x0) <= 2.0 and 0 <= w.y0 - u.y1 <= 0.5 * h for u in upper)


def _edges(lo: float, hi: float, lines: list[float], near: float = 5.0) -> list[float]:
    return [e for e in (lo, hi) if not any(abs(e - p) <= near for p in lines)]


def _trim_edges(xs: list[float], words: list[Word]) -> list[float]:
    """Drop a sliver column at either edge that holds no word (a frame drawn a few points
    outside the table on some pages and not others), so a table's pages line up."""
    def blank(lo: float, hi: float) -> bool:
        return hi - lo < _SLIVER and not any(lo <= w.cx <= hi for w in words)

    while len(xs) > 3 and blank(xs[0], xs[1]):
        xs = xs[1:]
    while len(xs) > 3 and blank(xs[-2], xs[-1]):
        xs = xs[:-1]
    return xs


def _frames(rules: list[Rule]) -> list[tuple[Box, list[float], list[float], list[_Seg], list[_Seg]]]:
    """Each ruled frame of a page: its column and row boundaries and its segments."""
    hs = _merge_segments([_Seg((r.y0 + r.y1) / 2, r.x0, r.x1) for r in rules if r.horizontal])
    vs = _merge_segments([_Seg((r.x0 + r.x1) / 2, r.y0, r.y1) for r in rules if not r.horizontal])
    out = []
    for ch, cv in _components(hs, vs):
        if not ch or not cv:
            continue
        x_lo = min(min(s.lo for s in ch), min(s.pos for s in cv))
        x_hi = max(max(s.hi for s in ch), max(s.pos for s in cv))
        y_lo = min(min(s.pos for s in ch), min(s.lo for s in cv))
        y_hi = max(max(s.pos for s in ch), max(s.hi for s in cv))
        # The outer edges count as lines even where the table draws no border there
        # (unless a border is drawn within a few points: a scan's line overshoots).
        xs = _cluster([s.pos for s in cv] + _edges(x_lo, x_hi, [s.pos for s in cv]), _SNAP)
        ys = _cluster([s.pos for s in ch] + _edges(y_lo, y_hi, [s.pos for s in ch]), _SNAP)
        # Too small to be a table: the strokes of a big bold title on a scan form tiny "grids".
        if len(xs) < 2 or len(ys) < 2 or (x_hi - x_lo) < _MIN_TABLE_W or (y_hi - y_lo) < _MIN_TABLE_H:
            continue
        # One row is a table only with several columns (a table's last row alone on a page).
        if len(ys) == 2 and (len(xs) < 4 or (x_hi - x_lo) < _MIN_ROW_W):
            continue
        out.append(((x_lo, y_lo, x_hi, y_hi), xs, ys, ch, cv))
    return out


def find_grids(page: int, rules: list[Rule], words: list[Word]) -> list[Grid]:
    """Every ruled table on a page, top to bottom."""
    grids = []
    for (x_lo, y_lo, x_hi, y_hi), xs, ys, ch, cv in _frames(rules):
        inside = [w for w in words if x_lo <= w.cx <= x_hi and y_lo <= w.cy <= y_hi]
        xs = _trim_edges(xs, inside)
        grid = build_grid(page, xs, ys, ch, cv, inside)
        if sum(not c.empty for c in grid.cells) < _MIN_FILL * len(grid.cells):
            continue
        grids.append(grid)
    grids.sort(key=lambda g: (g.box[1], g.box[0]))
    return grids


def ruled_cells(rules: list[Rule]) -> list[tuple[Box, list[Box]]]:
    """Each ruled frame's box and the boxes of its cells (merged cells as one), before any
    text is placed: where a scanned page's OCR may read cell by cell."""
    out = []
    for _, xs, ys, ch, cv in _frames(rules):
        grid = build_grid(0, xs, ys, ch, cv, [])
        out.append((grid.box, [c.box for c in grid.cells]))
    return out


def on_columns(grid: Grid, xs: list[float], tol: float = 4.0) -> Grid | None:
    """The grid re-indexed on a finer set of column boundaries that contains all of its own
    (a table's continuation page that draws fewer vertical rules than its first page); None
    when one of its boundaries is not among `xs`."""
    index: list[int] = []
    for x in grid.xs:
        j = next((j for j, y in enumerate(xs) if abs(x - y) <= tol), None)
        if j is None:
            return None
        index.append(j)
    cells = [Cell(c.row, index[c.col], c.rowspan, index[c.col + c.colspan] - index[c.col], c.box, c.words, c.text)
             for c in grid.cells]
    owner = [[0] * (len(xs) - 1) for _ in range(grid.n_rows)]
    for n, c in enumerate(cells):
        for r in range(c.row, c.row + c.rowspan):
            for k in range(c.col, c.col + c.colspan):
                owner[r][k] = n
    covered = {(r, k) for c in cells for r in range(c.row, c.row + c.rowspan) for k in range(c.col, c.col + c.colspan)}
    extra: list[Cell] = []  # columns of `xs` outside this grid: empty cells
    for r in range(grid.n_rows):
        for k in range(len(xs) - 1):
            if (r, k) not in covered:
                extra.append(Cell(r, k, 1, 1, (xs[k], grid.ys[r], xs[k + 1], grid.ys[r + 1])))
                owner[r][k] = len(cells) + len(extra) - 1
    all_cells = cells + extra
    order = sorted(range(len(all_cells)), key=lambda n: (all_cells[n].row, all_cells[n].col))
    rank = {n: i for i, n in enumerate(order)}
    return Grid(grid.page, grid.box, list(xs), grid.ys, [all_cells[n] for n in order],
                [[rank[n] for n in row] for row in owner])

"""Finding the one typical misreading that explains a violated identity — or refusing to guess.

Violated identities that share cells form a component. A candidate fix is one
change (one cell, or one value moved to the neighbouring column) drawn from the
typical misreadings of the printed value. It is valid when every identity its
cells take part in holds afterwards, and it is applied only when it resolves its
whole component and no other valid candidate does: two equally good explanations
mean a person decides. Cells whose printed source text confirms the value are never
changed, and gaps of rounding size are never treated as misreadings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from extractor.records import ContractFile
from extractor.reconcile import misreadings as mr
from extractor.reconcile.cells import CellKey, Evidence, decimals, evidence, parse
from extractor.reconcile.models import IdentityKind, Misreading
from extractor.reconcile.spec import Workspace
from extractor.reconcile.tables import TableRun


@dataclass(frozen=True, slots=True)
class Fix:
    changes: tuple[tuple[CellKey, str | None], ...]
    kind: Misreading
    target: CellKey
    source: CellKey | None = None  # column shift: the cell the value is moved from


@dataclass(slots=True)
class Component:
    specs: list[int]
    cells: set[CellKey]
    rounding: bool  # every violation is rounding-sized
    candidates: list[Fix] = field(default_factory=list)  # valid fixes found (ambiguous when > 1)
    note: str | None = None  # why a unique-looking fix was still not applied


@dataclass(slots=True)
class Layout:
    """Where a cell's neighbours are: the adjacent columns of its row, the adjacent rows of its column."""

    doc: ContractFile
    run_of: dict[int, TableRun]
    as_printed: bool = False  # every value known to be as printed (hand-checked gold)
    _evidence: dict[CellKey, tuple[Evidence, str | None]] = field(default_factory=dict)

    @classmethod
    def of(cls, doc: ContractFile, runs: list[TableRun], as_printed: bool = False) -> "Layout":
        return cls(doc, {i: r for r in runs for i in r.rows}, as_printed)

    def evidence(self, key: CellKey) -> tuple[Evidence, str | None]:
        if self.as_printed:
            return "confirmed", None
        if key not in self._evidence:
            self._evidence[key] = evidence(self.doc, key)
        return self._evidence[key]

    def row_neighbours(self, key: CellKey) -> list[CellKey]:
        if key.coll != "L":
            return []
        headers = list(self.doc.line_items[key.index].values)
        pos = headers.index(key.field[7:])
        return [CellKey("L", key.index, f"values.{headers[p]}") for p in (pos - 1, pos + 1) if 0 <= p < len(headers)]

    def precision(self, key: CellKey) -> Counter[int]:
        """How many decimals the other figures of this table print (weights: the other weights)."""
        if key.coll != "L":
            return Counter(decimals(w) for i, ind in enumerate(self.doc.indicators)
                           if (w := ind.weight) is not None and i != key.index)
        header = key.field[7:]
        return Counter(
            decimals(v)
            for i in self.run_of[key.index].rows
            for h, v in self.doc.line_items[i].values.items()
            if v is not None and (i, h) != (key.index, header)
        )

    def column_neighbours(self, key: CellKey) -> set[str]:
        if key.coll != "L":
            return set()
        header = key.field[7:]
        rows = [i for i in self.run_of[key.index].rows if header in self.doc.line_items[i].values]
        pos = rows.index(key.index)
        out = set()
        for p in (pos - 1, pos + 1):
            if 0 <= p < len(rows) and (v := self.doc.line_items[rows[p]].values[header]) is not None:
                out.add(v)
        return out


def _fixable(layout: Layout, key: CellKey) -> bool:
    return layout.evidence(key)[0] != "confirmed"


def candidates(ws: Workspace, layout: Layout, key: CellKey) -> list[Fix]:
    """Every typical misreading that could have produced this cell's printed value."""
    old = ws.cells[key].printed
    seen = layout.precision(key)
    places = seen.most_common(1)[0][0] if seen else (decimals(old) if old else 0)
    # One candidate per value ("1117.660000" with the point moved and "1117.66" ÷10000 are
    # one fix), and only strings printed with a precision the table uses: a misreading
    # changes what was read, not how the table prints.
    by_value: dict[object, tuple[str, Misreading]] = {parse(old): (old or "", Misreading.source_text)}

    def add(values: set[str], kind: Misreading) -> None:
        for v in sorted(values):
            if seen and decimals(v) not in seen and kind is not Misreading.source_text:
                continue
            by_value.setdefault(parse(v), (v, kind))

    ev, text = layout.evidence(key)
    if ev == "contradicted" and text is not None and text != old:
        add({text}, Misreading.source_text)
    if old is not None:
        add(mr.digit_confusions(old), Misreading.digit_confusion)
        add(mr.transpositions(old), Misreading.transposition)
        add(mr.scale_slips(old, places), Misreading.scale)
        add(mr.decimal_points(old), Misreading.decimal_point)
        add(mr.fused_splits(old, layout.column_neighbours(key)), Misreading.fused_rows)
    out = [Fix(((key, v),), kind, key) for d, (v, kind) in by_value.items() if d != parse(old)]
    for other in layout.row_neighbours(key):
        if not _fixable(layout, other) or other not in ws.cells:
            continue
        theirs = ws.cells[other].printed
        if old is None and theirs is not None:  # the value landed one column off: move it back here
            out.append(Fix(((key, theirs), (other, None)), Misreading.column_shift, key, other))
        elif old is not None and theirs is None:  # this value belongs one column over
            out.append(Fix(((other, old), (key, None)), Misreading.column_shift, other, key))
    return out


def components(ws: Workspace) -> list[Component]:
    violated = [i for i, ev in enumerate(ws.evals) if not ev.holds]
    parent = {i: i for i in violated}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[CellKey, int] = {}
    for i in violated:
        for k in ws.specs[i].keys():
            if k in owner:
                parent[find(i)] = find(owner[k])
            else:
                owner[k] = i
    groups: dict[int, list[int]] = {}
    for i in violated:
        groups.setdefault(find(i), []).append(i)
    out = []
    for specs in groups.values():
        cells = {k for i in specs for k in ws.specs[i].keys()}
        out.append(Component(specs, cells, all(ws.evals[i].rounding_sized for i in specs)))
    return out


def choose(ws: Workspace, layout: Layout) -> tuple[list[Fix], list[Component]]:
    """The fixes to apply now, and every component.

    A fix is applied when it is the only valid one for its component and every cell it
    changes is checked by at least two identities (or the printed source text says so).
    """
    comps = components(ws)
    fixes: list[Fix] = []
    for comp in comps:
        if comp.rounding:
            continue
        need = {i for i in comp.specs if not ws.evals[i].rounding_sized}
        found: dict[tuple, tuple[Fix, Decimal]] = {}
        for key in sorted(comp.cells):
            if not _fixable(layout, key):
                continue
            for fix in candidates(ws, layout, key):
                sig = tuple(sorted(fix.changes, key=lambda c: c[0]))
                if sig in found:
                    continue
                ok, touched, gap = ws.after(dict(fix.changes))
                if ok and need <= touched:
                    found[sig] = (fix, gap)
        comp.candidates = [f for f, _ in found.values()]
        best = _unique(list(found.values()))
        if best is not None and best.kind is Misreading.column_shift and _mirrored(ws, best, need):
            comp.note = "the shift could as well be the other rows of its column shifted the other way"
            best = None
        if best is not None and best.kind is not Misreading.source_text and not all(
            len(ws.by_cell.get(k, ())) >= 2 for k, _ in best.changes
        ):
            # One equation balanced by one typical variant does not show which figure is
            # misread: two misreadings elsewhere (the same value misread the same way in two
            # linked cells) leave exactly this picture. Shown to a person, not applied.
            comp.note = "only one identity checks this figure: the fix would balance it but not prove it"
            best = None
        if best is not None:
            fixes.append(best)
    return fixes, comps


def _mirrored(ws: Workspace, fix: Fix, need: set[int]) -> bool:
    """Moving row r's value from column B back to A explains the sums; would moving, instead,
    the values of the other rows of its column sums from A to B (at most two moves, following
    the sums they break: 支出总计 ← 一、本年支出 ← 1、…) explain them as well? With a 合计
    row over two units, one shift in one unit and two shifts in the other rows look the
    same: then the data cannot tell, and a person decides."""
    dest, src = fix.target, fix.source
    if src is None:
        return False

    def column_rows(i: int) -> set[int] | None:
        spec = ws.specs[i]
        if spec.kind is IdentityKind.row_sum or any(k.field != dest.field for k in spec.keys()):
            return None  # only sums down one column (codes, 合计 rows, 收支总表 balances)
        return {k.index for k in spec.keys()}

    def move(q: int) -> dict[CellKey, str | None]:
        a, b = CellKey("L", q, dest.field), CellKey("L", q, src.field)
        if a in ws.cells and b in ws.cells and ws.cells[a].printed is not None and ws.cells[b].printed is None:
            return {a: None, b: ws.cells[a].printed}
        return {}

    for i in ws.by_cell.get(dest, ()):
        rows = column_rows(i)
        if rows is None:
            continue
        done, pending = {dest.index}, rows - {dest.index}
        moves: dict[CellKey, str | None] = {}
        while pending and len(moves) <= 4:
            for q in pending:
                moves.update(move(q))
            done |= pending
            if not moves or len(moves) > 4:
                break
            touched, failing = ws.failing(moves)
            if not failing:
                if need <= touched:
                    return True
                break
            pending = {q for f in failing if (r := column_rows(f)) for q in r} - done
    return False


def _unique(found: list[tuple[Fix, Decimal]]) -> Fix | None:
    """The one valid fix; or, among readings of the same cell that differ only within rounding
    (7.65 → 7.55 or 7.56), the one that makes its identities exact when no other does."""
    if len(found) == 1:
        return found[0][0]
    if not found or len({tuple(k for k, _ in f.changes) for f, _ in found}) != 1:
        return None
    exact = [f for f, gap in found if gap == 0]
    return exact[0] if len(exact) == 1 else None

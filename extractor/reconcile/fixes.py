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

from extractor.records import ContractFile
from extractor.reconcile import misreadings as mr
from extractor.reconcile.cells import CellKey, Evidence, decimals, evidence
from extractor.reconcile.models import Misreading
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


@dataclass(slots=True)
class Layout:
    """Where a cell's neighbours are: the adjacent columns of its row, the adjacent rows of its column."""

    doc: ContractFile
    run_of: dict[int, TableRun]
    _evidence: dict[CellKey, tuple[Evidence, str | None]] = field(default_factory=dict)

    @classmethod
    def of(cls, doc: ContractFile, runs: list[TableRun]) -> "Layout":
        return cls(doc, {i: r for r in runs for i in r.rows})

    def evidence(self, key: CellKey) -> tuple[Evidence, str | None]:
        if key not in self._evidence:
            self._evidence[key] = evidence(self.doc, key)
        return self._evidence[key]

    def row_neighbours(self, key: CellKey) -> list[CellKey]:
        if key.coll != "L":
            return []
        headers = list(self.doc.line_items[key.index].values)
        pos = headers.index(key.field[7:])
        return [CellKey("L", key.index, f"values.{headers[p]}") for p in (pos - 1, pos + 1) if 0 <= p < len(headers)]

    def column(self, key: CellKey) -> list[str]:
        """Printed values of the same column in the same table (nulls left out)."""
        if key.coll != "L":
            return []
        header = key.field[7:]
        run = self.run_of[key.index]
        return [v for i in run.rows if (v := self.doc.line_items[i].values.get(header)) is not None]

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
    out: list[Fix] = []
    seen: set[str | None] = {old}

    def add(values: set[str], kind: Misreading) -> None:
        for v in sorted(values):
            if v not in seen:
                seen.add(v)
                out.append(Fix(((key, v),), kind, key))

    ev, text = layout.evidence(key)
    if ev == "contradicted" and text != old:
        add({text} if text is not None else set(), Misreading.source_text)
    if old is not None:
        add(mr.digit_confusions(old), Misreading.digit_confusion)
        add(mr.transpositions(old), Misreading.transposition)
        add(mr.decimal_points(old), Misreading.decimal_point)
        places = Counter(decimals(v) for v in layout.column(key)).most_common(1)
        add(mr.scale_slips(old, places[0][0] if places else decimals(old)), Misreading.scale)
        add(mr.fused_splits(old, layout.column_neighbours(key)), Misreading.fused_rows)
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
    """The fixes to apply now (one per component, uniquely determined), and every component."""
    comps = components(ws)
    fixes: list[Fix] = []
    for comp in comps:
        if comp.rounding:
            continue
        need = set(comp.specs)
        found: dict[tuple, Fix] = {}
        for key in sorted(comp.cells):
            if not _fixable(layout, key):
                continue
            for fix in candidates(ws, layout, key):
                sig = tuple(sorted(fix.changes, key=lambda c: c[0]))
                if sig in found:
                    continue
                ok, touched = ws.holds_after(dict(fix.changes))
                if ok and need <= touched:
                    found[sig] = fix
        comp.candidates = list(found.values())
        if len(found) == 1:
            fixes.append(comp.candidates[0])
    return fixes, comps

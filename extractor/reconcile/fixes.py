"""Finding the typical misreadings that explain violated identities — or refusing to guess.

Violated identities that share cells form a component. A candidate fix is one
change (one cell, or one value moved to the neighbouring column) drawn from the
typical misreadings of the printed value. A repair is a set of fixes — one, else two,
else three, to different cells (joint.py) — after which every identity its cells take
part in holds and every violation of the component is touched; it is applied only when
no other repair of that size does so: two equally good explanations mean a person
decides. Every changed cell must be checked by two identities. When nothing explains the
whole component, a fix that alone makes every identity of its cell hold (two violations
at least) is applied, and what it leaves violated is a conflict (`_local`). Cells whose
printed source text confirms the value are never changed, nor is a cell changed twice,
and gaps of rounding size are never treated as misreadings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

from extractor.reconcile import misreadings as mr
from extractor.reconcile.cells import (
    Cell,
    CellKey,
    Evidence,
    decimals,
    evidence,
    half_unit,
    half_unit_at,
    parse,
    source_text,
    wan,
)
from extractor.reconcile.joint import Search, option
from extractor.reconcile.models import IdentityKind, Misreading
from extractor.reconcile.spec import Workspace
from extractor.reconcile.tables import TableRun
from extractor.records import ContractFile


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
    candidates: list[Fix] = field(default_factory=list)  # the fixes of every valid repair found
    repairs: list[tuple[Fix, ...]] = field(default_factory=list)  # valid repairs (ambiguous when > 1)
    note: str | None = None  # why a unique-looking fix was still not applied


@dataclass(slots=True)
class Layout:
    """Where a cell's neighbours are: the adjacent columns of its row, the adjacent rows of its column."""

    doc: ContractFile
    run_of: dict[int, TableRun]
    as_printed: bool = False  # every value known to be as printed (hand-checked gold)
    settled: frozenset[CellKey] = frozenset()  # cells a repair already changed: never changed again
    _evidence: dict[CellKey, tuple[Evidence, str | None]] = field(default_factory=dict)
    _places: dict[tuple[str, int], Counter[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, doc: ContractFile, runs: list[TableRun], as_printed: bool = False,
           settled: frozenset[CellKey] = frozenset()) -> "Layout":
        return cls(doc, {i: r for r in runs for i in r.rows}, as_printed, settled)

    def evidence(self, key: CellKey) -> tuple[Evidence, str | None]:
        if self.as_printed:
            return "confirmed", None
        if key not in self._evidence:
            self._evidence[key] = evidence(self.doc, key)
        return self._evidence[key]

    def text(self, key: CellKey) -> str | None:
        """The cell's printed text as read, amount or not (None when as printed or unknown)."""
        return None if self.as_printed else source_text(self.doc, key)

    def row_neighbours(self, key: CellKey) -> list[CellKey]:
        if key.coll != "L":
            return []
        headers = list(self.doc.line_items[key.index].values)
        pos = headers.index(key.field[7:])
        return [CellKey("L", key.index, f"values.{headers[p]}") for p in (pos - 1, pos + 1) if 0 <= p < len(headers)]

    def precision(self, key: CellKey, own: bool = False) -> Counter[int]:
        """How many decimals the other figures of this table print (weights: the other weights);
        zeros are left out ("0" says little about how a table prints its amounts). `own`:
        this figure counted too."""
        scope = ("I", -1) if key.coll != "L" else ("L", self.run_of[key.index].rows[0])
        if scope not in self._places:
            if key.coll != "L":
                printed = [ind.weight for ind in self.doc.indicators]
            else:
                printed = [v for i in self.run_of[key.index].rows for v in self.doc.line_items[i].values.values()]
            self._places[scope] = Counter(decimals(v) for v in printed if _nonzero(v))
        if own:
            return self._places[scope]
        seen = self._places[scope].copy()
        mine = self.doc.indicators[key.index].weight if key.coll != "L" else \
            self.doc.line_items[key.index].values.get(key.field[7:])
        if _nonzero(mine):
            seen[decimals(mine)] -= 1  # type: ignore[arg-type]
        return +seen

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


def _nonzero(printed: str | None) -> bool:
    value = parse(printed)
    return value is not None and value != 0


def _fixable(layout: Layout, key: CellKey) -> bool:
    return key not in layout.settled and layout.evidence(key)[0] != "confirmed"


def _reading(layout: Layout, key: CellKey) -> bool:
    """The figure may be a reading (OCR'd text, or no printed text to compare with)."""
    return layout.evidence(key)[0] in ("weak", "none")


def _odd(layout: Layout, key: CellKey, printed: str) -> set[int]:
    """The precisions its table prints, when this figure prints another one (else empty)."""
    places = decimals(printed)
    table = layout.precision(key, own=True)
    if table[places] >= 3 and 3 * (table[places] - 1) >= table.total() - 1:
        return set()  # the quick test: a precision at least two other figures of its table print
    allowed = allowed_places(layout.precision(key))
    return allowed if places not in allowed else set()


def table_tolerance(cells: dict[CellKey, Cell], layout: Layout) -> dict[CellKey, Cell]:
    """A figure read with a precision its table does not print is rounded as its table rounds.
    Fewer decimals ("1362.3" among x.xx: the last digit lost) is no figure rounded to one
    decimal: checked at the table's precision, the lost digit shows and does not widen the
    rounding bound of every sum it is in. More decimals ("201271.566": a digit read twice)
    is no figure exact to the tenth of a cent: its last digit is a slip, and taken as exact
    it would make a neighbour's fix look exact one cent off. Figures the text layer confirms
    (printed so) keep their own precision."""
    out = dict(cells)
    if layout.as_printed:
        return out
    for key, cell in cells.items():
        if not _nonzero(cell.printed):
            continue
        allowed = _odd(layout, key, cell.printed or "")
        if allowed and _reading(layout, key):
            places = decimals(cell.printed or "")
            finer = [p for p in allowed if p > places]
            out[key] = replace(cell, hu=half_unit_at(min(finer) if finer else max(allowed), cell.unit))
    return out


def allowed_places(seen: Counter[int]) -> set[int]:
    """The precisions a table prints: each printed by at least two other figures and a third
    of them (two lost points elsewhere in a small table do not make whole numbers one of its
    precisions), or the most common one. Empty: nothing to compare with, so any."""
    if not seen:
        return set()
    total = seen.total()
    common = {p for p, n in seen.items() if n >= 2 and n * 3 >= total}
    return common or {seen.most_common(1)[0][0]}


def candidates(ws: Workspace, layout: Layout, key: CellKey) -> list[Fix]:
    """Every typical misreading that could have produced this cell's printed value."""
    old = ws.cells[key].printed
    seen = layout.precision(key)
    allowed = allowed_places(seen)
    places = seen.most_common(1)[0][0] if seen else (decimals(old) if old else 0)
    # One candidate per value ("1117.660000" with the point moved and "1117.66" ÷10000 are
    # one fix), and only strings printed with a precision the table uses: a misreading
    # changes what was read, not how the table prints.
    by_value: dict[object, tuple[str, Misreading]] = {parse(old): (old or "", Misreading.source_text)}

    # A reading that changes the figure's precision moves it to the table's usual one: when
    # several lost points leave whole numbers among x.xx, they are the misreadings.
    usual = {p for p, n in seen.items() if n == max(seen.values())}

    def add(values: set[str], kind: Misreading) -> None:
        for v in sorted(values):
            if kind is not Misreading.source_text and allowed and (
                    decimals(v) not in allowed or (old is not None and decimals(v) != decimals(old)
                                                   and decimals(v) not in usual)):
                continue
            by_value.setdefault(parse(v), (v, kind))

    ev, text = layout.evidence(key)
    # The wider misreadings (a digit lost or read twice, separators read as points) only where
    # the figure may be a reading: OCR'd text, or no printed text to compare with.
    wide = _reading(layout, key)
    if ev == "contradicted" and text is not None and text != old:
        add({text}, Misreading.source_text)
    if old is not None:
        add(mr.digit_confusions(old), Misreading.digit_confusion)
        add(mr.transpositions(old), Misreading.transposition)
        add(mr.scale_slips(old, places), Misreading.scale)
    if wide:
        raw = layout.text(key)  # "1.097.073.43" is no amount: the value is empty, the text tells
        add(mr.separators(raw) if raw is not None else set(), Misreading.separator)
        add(mr.separators(old) if old is not None else set(), Misreading.separator)
    if old is not None:
        add(mr.decimal_points(old), Misreading.decimal_point)
        add(mr.fused_splits(old, layout.column_neighbours(key)), Misreading.fused_rows)
        if wide:
            add(mr.dropped_digits(old), Misreading.dropped_digit)
            add(mr.doubled_digits(old), Misreading.doubled_digit)
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


Repair = tuple[Fix, ...]  # one fix, or several applied together (one per misread cell)


def choose(ws: Workspace, layout: Layout) -> tuple[list[Repair], list[Component]]:
    """The repairs to apply now, and every component.

    A repair is the fewest fixes (one, else two, else three misread cells) that make every
    identity of the component hold. It is applied when it is the only one of that size and
    every cell it changes is checked by at least two identities (or the printed source text
    says so); a repair of several cells also needs each fix to explain a violation beyond
    rounding, and a pair no rival triple; a figure pinned only to within rounding must come
    out exact. When no repair explains the whole component, a single fix that makes every
    identity of its cell hold is still applied if its witnesses are beyond doubt and nothing
    else explains any of them: what stays violated shares no figure with them (`_local`).
    """
    comps = components(ws)
    needs = [{i for i in c.specs if not ws.evals[i].rounding_sized} for c in comps]
    need_of = {i: n for n, c in enumerate(comps) for i in c.specs}

    def explained(touched: set[int]) -> bool:
        """Every component the change touches is resolved: a value moved between columns can
        reach into a second component (its other column), and settle there only what its
        own cells are part of — the mirror of the true shift, one row down."""
        return all(needs[need_of[i]] <= touched for i in touched if i in need_of)

    out: list[Repair] = []
    for comp, need in zip(comps, needs):
        if comp.rounding:
            continue
        fixes: list[Fix] = []
        seen: set[tuple] = set()
        for key in sorted(comp.cells):
            if not _fixable(layout, key):
                continue
            for fix in candidates(ws, layout, key):
                sig = tuple(sorted(fix.changes, key=lambda c: c[0]))
                if sig not in seen:
                    seen.add(sig)
                    fixes.append(fix)
        # one fix for the whole component: the usual case, checked the quick way
        repairs: list[Repair] = [(f,) for f in fixes
                                 if (after := ws.after(dict(f.changes)))[0] and need <= after[1] and explained(after[1])]
        bigger: Callable[[], list[tuple[int, ...]] | None] | None = None
        if not repairs:
            options = [option(ws, f.changes) for f in fixes]
            # column shifts only alone: with other fixes, the mirrored explanation is not checked
            joinable = [f.kind is not Misreading.column_shift for f in fixes]
            search = Search(ws, options, need)
            found: list[tuple[int, ...]] | None = search.pairs(joinable)
            if found:
                bigger = partial(search.triples, joinable)
            else:
                found = search.triples(joinable)
            if found is None:
                comp.note = "too many combinations of misreadings fit: not guessing"
                continue
            if not found:
                out += _local(ws, comp, fixes, Search(ws, options, None), need)
                continue
            repairs = [tuple(fixes[n] for n in s) for s in found]
        _offer(comp, repairs)
        best = _unique(ws, comp.repairs)
        if best is not None and len(best) == 1 and best[0].kind is Misreading.column_shift \
                and _mirrored(ws, best[0], need):
            comp.note = "the shift could as well be the other rows of its column shifted the other way"
            best = None
        if best is not None and len(best) > 1 and not all(_explains(ws, f, need) for f in best):
            comp.note = "a part of the repair is rounding-sized or explains no violation: not proven"
            best = None
        if best is not None and bigger is not None:
            # Two slips that offset each other (0→6 here, 1→7 there: −6 and +6) can pass for one
            # misread figure between them: a repair of two figures is applied only when no
            # repair of three (other than it plus a figure changed within rounding) explains
            # the component as well. (A single fix is held to the rule it always had: fixes
            # of two figures that happen to offset are too common among the wide misreadings
            # — a digit put back anywhere — to refuse every single fix they mimic.)
            rivals = bigger()
            if rivals is None or any(not set(best) <= {fixes[n] for n in r} for r in rivals):
                _offer(comp, comp.repairs + [tuple(fixes[n] for n in r) for r in rivals or []])
                comp.note = f"as well explained by {len(best) + 1} misreadings that offset each other: not guessing"
                best = None
        if best is not None and not _pinned(ws, best, fixes):
            comp.note = "the arithmetic pins this figure only to within rounding: not guessing the last digit"
            best = None
        if best is not None and not _proven(ws, best):
            # One equation balanced by one typical variant does not show which figure is
            # misread: two misreadings elsewhere (the same value misread the same way in two
            # linked cells) leave exactly this picture. Shown to a person, not applied.
            comp.note = "only one identity checks this figure: the fix would balance it but not prove it"
            best = None
        if best is not None:
            out.append(best)
    return out + _odd_precision(ws, layout, comps), comps


def _odd_precision(ws: Workspace, layout: Layout, comps: list[Component]) -> list[Repair]:
    """Figures read with more decimals than their table prints ("8.999" among x.xx: a digit
    read twice), whose identities hold because the slip is rounding-sized. The one typical
    misreading with the table's precision that keeps every identity of the cell holding is
    applied (two identities at least, as always); none or several is no fix, and nothing is
    flagged: the value is within rounding of the truth. (Fewer decimals than the table
    prints are checked at the table's precision, see `table_tolerance`, and so show.)"""
    taken = {k for c in comps for k in c.cells}
    out: list[Repair] = []
    for key, cell in ws.cells.items():
        if key in taken or not _nonzero(cell.printed) or len(ws.by_cell.get(key, ())) < 2:
            continue
        if not _odd(layout, key, cell.printed or "") or not _fixable(layout, key) or not _reading(layout, key):
            continue
        fixes = [f for f in candidates(ws, layout, key) if f.kind is not Misreading.column_shift]
        found = Search(ws, [option(ws, f.changes) for f in fixes], set()).singles()
        if len(found) == 1:
            out.append((fixes[found[0][0]],))
    return out


def _offer(comp: Component, repairs: list[Repair]) -> None:
    comp.repairs = repairs
    comp.candidates = list(dict.fromkeys(f for r in repairs for f in r))


def _explains(ws: Workspace, fix: Fix, need: set[int], least: int = 1) -> bool:
    """The fix takes part in at least `least` violations beyond rounding, and changes more than
    rounding can hide: one amount printed rounded two ways is no misreading to repair."""
    touched = {i for k, _ in fix.changes for i in ws.by_cell.get(k, ())}
    slight = all(abs(wan(new, ws.cells[k].unit) - ws.cells[k].wan) <= ws.cells[k].hu + half_unit(new, ws.cells[k].unit)
                 for k, new in fix.changes)
    return len(touched & need) >= least and not slight


def _pinned(ws: Workspace, repair: Repair, fixes: list[Fix]) -> bool:
    """When a repaired figure has other readings within rounding of the chosen one (a lost
    last digit: 18.7 may be 18.71 … 18.79), the identities tell them apart only at the edge of
    their rounding bound, where a slip of rounding size elsewhere (hidden in a sum that still
    holds) tips the balance: such a repair must make its identities hold exactly."""
    near = False
    for f in repair:
        new = dict(f.changes)[f.target]
        cell = ws.cells[f.target]
        for g in fixes:
            other = dict(g.changes).get(f.target)
            if g is f or g.target != f.target or other is None or new is None:
                continue
            gap = abs(wan(other, cell.unit) - wan(new, cell.unit))
            near |= gap <= half_unit(other, cell.unit) + half_unit(new, cell.unit)
    return not near or ws.after({k: v for f in repair for k, v in f.changes})[2] == 0


def _proven(ws: Workspace, repair: Repair) -> bool:
    """Every changed cell is checked by at least two identities (the source text proves its own)."""
    return all(f.kind is Misreading.source_text or all(len(ws.by_cell.get(k, ())) >= 2 for k, _ in f.changes)
               for f in repair)


def _local(ws: Workspace, comp: Component, fixes: list[Fix], search: Search, need: set[int]) -> list[Repair]:
    """Single fixes that make every identity of their cell hold while the component as a whole
    stays violated (a scanned amount lost its point, and elsewhere a row label lost its
    numbering, so a balance identity sums the wrong rows).

    Applied only when no repair of up to three cells explains the whole component, and:
    - it makes two violations beyond rounding hold whose other figures take no part in any
      violation the fix leaves: witnesses nothing else casts doubt on (two neighbours misread
      the same way would otherwise pass for two proofs);
    - it is no change rounding could hide, and the cell's printed text does not count;
    - no other fix that leaves every identity of its cells holding touches any of its
      identities (else two explanations: a person decides).
    A second misreading inside a witness would need this one value to offset it in both
    witnesses at once; what stays violated shares no figure with the witnesses.
    """
    found = [n for (n,) in search.singles() if fixes[n].kind is not Misreading.column_shift]
    _offer(comp, [(fixes[n],) for n in found])
    out: list[Repair] = []
    for n in found:
        fix, touch = fixes[n], search.options[n].touch
        rivals = [(fixes[m],) for m in found if search.options[m].touch & touch]
        if _unique(ws, rivals) != (fix,):
            continue
        mine = {k for k, _ in fix.changes}
        doubtful = {k for i in comp.specs if i not in touch for k in ws.specs[i].keys()}
        witnesses = {i for i in need & touch if not (set(ws.specs[i].keys()) - mine) & doubtful}
        if _explains(ws, fix, witnesses, least=2):
            out.append((fix,))
    if out:
        comp.note = "fixed where the arithmetic pins it down; the rest is not explained by a typical misreading"
    return out


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


def _unique(ws: Workspace, found: list[Repair]) -> Repair | None:
    """The one valid repair; or, among readings of the same cells that differ only within
    rounding (7.65 → 7.55 or 7.56), the one that makes its identities exact when no other does."""
    if len(found) == 1:
        return found[0]
    if not found or len({tuple(sorted(k for f in r for k, _ in f.changes)) for r in found}) != 1:
        return None
    exact = [r for r in found if ws.after({k: v for f in r for k, v in f.changes})[2] == 0]
    return exact[0] if len(exact) == 1 else None

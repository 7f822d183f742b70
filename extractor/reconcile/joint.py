"""Repairs of several cells at once: the sets of single-cell fixes that make a component hold.

When two or three figures of one component are misread, no single fix explains it, but a
set of them can: one typical misreading per cell, every identity their cells take part in
holding afterwards. The search is exact and bounded. Identities are linear, so a fix is
summarised by how it moves each identity's residual (and its rounding tolerance); a set's
effect is the sum. Sets are grown one fix at a time, and the next fix is not tried blindly:
an identity the set still needs must hold once it is added, so it is looked up among the
fixes that move that identity's residual by the missing amount (a sorted index, a window
as wide as rounding allows), then the whole set is checked.

- A pair is found from either of its fixes: whatever the first leaves failing (or still
  untouched) must be repaired by the second, whose change to one such identity is then
  fixed to within rounding. Every pair is found.
- A triple is found from a first fix that makes at least one failing identity hold on its
  own (one of its cells' identities holds no other misread cell of the three), a second
  that makes one of the identities the first leaves failing hold, and a third looked up
  like the second of a pair. It is missed only when no fix of the three makes progress
  alone, or every identity each leaves failing contains both others. A missed triple
  leaves its component a conflict; as a missed rival of another triple it would need
  three figures that share every identity they are in (bench/reconcile_restore.py runs
  up to three slips in one table, and more in the stress runs, with no wrong repair).
  The search gives up (None) past a budget of steps rather than answer from a partial
  search.

Pure: values in, values out.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Decimal

from extractor.reconcile.cells import ZERO, CellKey, half_unit, wan
from extractor.reconcile.spec import Workspace

MAX_STEPS = 20000  # pairs looked at while searching for triples, per component


@dataclass(frozen=True, slots=True)
class Option:
    """One candidate fix and its effect: identity → (residual change, tolerance change)."""

    changes: tuple[tuple[CellKey, str | None], ...]
    cells: frozenset[CellKey]
    touch: frozenset[int]
    delta: dict[int, tuple[Decimal, Decimal]]


def option(ws: Workspace, changes: tuple[tuple[CellKey, str | None], ...]) -> Option:
    delta: dict[int, tuple[Decimal, Decimal]] = {}
    touch: set[int] = set()
    for k, new in changes:
        old = ws.cells[k]
        dw, dh = wan(new, old.unit) - old.wan, half_unit(new, old.unit) - old.hu
        for i in ws.by_cell.get(k, ()):
            touch.add(i)
            c = ws.specs[i].coefficient(k)
            if c:
                r, t = delta.get(i, (ZERO, ZERO))
                delta[i] = (r + c * dw, t + abs(c) * dh)
    return Option(changes, frozenset(k for k, _ in changes), frozenset(touch), delta)


def _merge(*deltas: dict[int, tuple[Decimal, Decimal]]) -> dict[int, tuple[Decimal, Decimal]]:
    out: dict[int, tuple[Decimal, Decimal]] = {}
    for d in deltas:
        for i, (r, t) in d.items():
            r0, t0 = out.get(i, (ZERO, ZERO))
            out[i] = (r0 + r, t0 + t)
    return out


class Search:
    """The sets of options (size ≤ 3) that leave every identity they touch holding and, when
    `need` is given, touch every identity in it."""

    def __init__(self, ws: Workspace, options: list[Option], need: set[int] | None) -> None:
        self.ws, self.options, self.need = ws, options, need
        by: dict[int, list[tuple[Decimal, int]]] = {}
        self.widen: dict[int, Decimal] = {}
        for n, o in enumerate(options):
            for i, (r, t) in o.delta.items():
                by.setdefault(i, []).append((r, n))
                self.widen[i] = max(self.widen.get(i, ZERO), t)
        self.index = {i: ([r for r, _ in sorted(v)], [n for _, n in sorted(v)]) for i, v in by.items()}

    def holds(self, i: int, d: tuple[Decimal, Decimal]) -> bool:
        ev = self.ws.evals[i]
        residual, tolerance = ev.residual + d[0], ev.tolerance + d[1]
        # the rule of Workspace.after: a published rounding gap may stay as it was
        slack = 2 * tolerance if (not ev.holds and ev.rounding_sized) else tolerance
        return abs(residual) <= slack

    def required(self, touch: frozenset[int] | set[int], delta: dict[int, tuple[Decimal, Decimal]]) -> set[int]:
        """What a set still needs: identities it touches that fail, and those of `need` it does not touch."""
        failing = {i for i in touch if not self.holds(i, delta.get(i, (ZERO, ZERO)))}
        return failing | (self.need - touch) if self.need is not None else failing

    def progress(self, o: Option) -> bool:
        """Does the option alone make some failing identity hold?"""
        return any(not self.ws.evals[i].holds and self.holds(i, o.delta.get(i, (ZERO, ZERO))) for i in o.touch)

    def lookup(self, i: int, delta: dict[int, tuple[Decimal, Decimal]]) -> list[int]:
        """Options that may make identity i hold on top of `delta` (a superset: checked after)."""
        if i not in self.index:
            return []
        r, t = delta.get(i, (ZERO, ZERO))
        ev = self.ws.evals[i]
        target = -(ev.residual + r)
        window = 2 * (ev.tolerance + max(t, ZERO) + self.widen[i])
        keys, ns = self.index[i]
        return ns[bisect_left(keys, target - window):bisect_right(keys, target + window)]

    def singles(self) -> list[tuple[int, ...]]:
        return [(n,) for n, o in enumerate(self.options) if not self.required(o.touch, o.delta)]

    def pairs(self, allowed: list[bool]) -> list[tuple[int, ...]]:
        found: set[tuple[int, ...]] = set()
        for a, oa in enumerate(self.options):
            if not allowed[a]:
                continue
            need = self.required(oa.touch, oa.delta)
            if not need:
                continue
            i = min(need, key=lambda j: len(self.index.get(j, ((), ()))[1]))
            for b in self.lookup(i, oa.delta):
                ob = self.options[b]
                if b == a or not allowed[b] or oa.cells & ob.cells or not need <= ob.touch:
                    continue
                if not self.required(oa.touch | ob.touch, _merge(oa.delta, ob.delta)):
                    found.add(tuple(sorted((a, b))))
        return sorted(found)

    def triples(self, allowed: list[bool]) -> list[tuple[int, ...]] | None:
        found: set[tuple[int, ...]] = set()
        steps = 0
        for a, oa in enumerate(self.options):
            if not allowed[a] or not self.progress(oa):
                continue
            need_a = self.required(oa.touch, oa.delta)
            for i in sorted(need_a):
                for b in self.lookup(i, oa.delta):
                    ob = self.options[b]
                    if b == a or not allowed[b] or oa.cells & ob.cells:
                        continue
                    steps += 1
                    if steps > MAX_STEPS:
                        return None
                    touch, delta = oa.touch | ob.touch, _merge(oa.delta, ob.delta)
                    need = self.required(touch, delta)
                    if not need or i in need:
                        continue
                    j = min(need, key=lambda x: len(self.index.get(x, ((), ()))[1]))
                    for c in self.lookup(j, delta):
                        oc = self.options[c]
                        if c in (a, b) or not allowed[c] or (oa.cells | ob.cells) & oc.cells or not need <= oc.touch:
                            continue
                        if not self.required(touch | oc.touch, _merge(delta, oc.delta)):
                            found.add(tuple(sorted((a, b, c))))
        return sorted(found)

"""Identities as the engine holds them: Σ lhs = Σ rhs over cells, and how to test one.

A spec is structure only (which cells, which kind); its truth is computed from the
current cell values, so a candidate fix can be tried by adjusting the residual
instead of re-evaluating the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from extractor.reconcile.cells import ZERO, Cell, CellKey, half_unit, wan
from extractor.reconcile.models import IdentityKind


@dataclass(frozen=True, slots=True)
class Spec:
    kind: IdentityKind
    tables: tuple[str, ...]
    description: str
    lhs: tuple[CellKey, ...]
    rhs: tuple[CellKey, ...]
    family: str  # identities made by one rule in one table: the unit the guard drops
    const: Decimal = ZERO  # a printed-nowhere constant on the left (weights: 100 = Σ)

    def keys(self) -> tuple[CellKey, ...]:
        return self.lhs + self.rhs

    def coefficient(self, key: CellKey) -> int:
        return self.lhs.count(key) - self.rhs.count(key)


@dataclass(frozen=True, slots=True)
class Check:
    """A non-arithmetic identity (indicator taxonomy, target coherence)."""

    kind: IdentityKind
    tables: tuple[str, ...]
    description: str
    keys: tuple[CellKey, ...]
    holds: bool
    detail: str
    family: str


@dataclass(slots=True)
class Eval:
    residual: Decimal  # Σ lhs − Σ rhs, 万元
    tolerance: Decimal
    vacuous: bool  # every cell empty and no constant: says nothing
    lhs: Decimal = ZERO
    rhs: Decimal = ZERO

    @property
    def holds(self) -> bool:
        return abs(self.residual) <= self.tolerance

    @property
    def rounding_sized(self) -> bool:
        """A gap a rounding chain can produce (twice the strict bound): never a misreading to fix."""
        return abs(self.residual) <= 2 * self.tolerance


@dataclass(slots=True)
class Workspace:
    """Specs with their current evaluation and an index cell → specs."""

    cells: dict[CellKey, Cell]
    specs: list[Spec]
    evals: list[Eval] = field(default_factory=list)
    by_cell: dict[CellKey, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.evals) != len(self.specs):
            self.evals = [evaluate(s, self.cells) for s in self.specs]
        for i, s in enumerate(self.specs):
            for k in set(s.keys()):
                self.by_cell.setdefault(k, []).append(i)

    def after(self, changes: dict[CellKey, str | None]) -> tuple[bool, set[int], Decimal]:
        """After the changes: does every spec touching a changed cell hold; which specs; Σ|residual|."""
        touched, failing, gap = self._after(changes, stop=True)
        return not failing, touched, gap

    def failing(self, changes: dict[CellKey, str | None]) -> tuple[set[int], set[int]]:
        """The specs touching the changed cells, and those that would not hold."""
        touched, failing, _ = self._after(changes, stop=False)
        return touched, failing

    def _after(self, changes: dict[CellKey, str | None], stop: bool) -> tuple[set[int], set[int], Decimal]:
        touched = {i for k in changes for i in self.by_cell.get(k, ())}
        failing: set[int] = set()
        gap = ZERO
        for i in touched:
            spec, ev = self.specs[i], self.evals[i]
            residual, tolerance = ev.residual, ev.tolerance
            for k, new in changes.items():
                c = spec.coefficient(k)
                if not c:
                    continue
                old = self.cells[k]
                residual += c * (wan(new, old.unit) - old.wan)
                tolerance += abs(c) * (half_unit(new, old.unit) - old.hu)
            # a published rounding gap in the same identity may stay as it was
            slack = 2 * tolerance if (not ev.holds and ev.rounding_sized) else tolerance
            if abs(residual) > slack:
                failing.add(i)
                if stop:
                    break
            gap += abs(residual)
        return touched, failing, gap


def evaluate(spec: Spec, cells: dict[CellKey, Cell]) -> Eval:
    lhs = sum((cells[k].wan for k in spec.lhs), ZERO) + spec.const
    rhs = sum((cells[k].wan for k in spec.rhs), ZERO)
    tol = sum((cells[k].hu for k in spec.keys()), ZERO)
    vacuous = spec.const == 0 and all(cells[k].printed is None for k in spec.keys())
    return Eval(lhs - rhs, tol, vacuous, lhs, rhs)

"""Every identity a document's structure asserts, with a guard against misread layouts.

The builders only look at structure (table kinds, codes, labels, header keys), with
one exception: cross-table scope, which needs the printed totals. The guard drops a
whole family (one rule in one table) when nearly all of its identities fail: that
says the headers or labels were not understood, not that every row was misread —
so the family is reported as skipped instead of producing a wall of false conflicts.
"""

from __future__ import annotations

from dataclasses import dataclass

from extractor.records import ContractFile
from extractor.reconcile.balance import balance
from extractor.reconcile.cells import Cell, CellKey
from extractor.reconcile.codes import code_hierarchy, table_totals
from extractor.reconcile.crosstable import cross_table
from extractor.reconcile.indicators import indicator_checks, weight_sums
from extractor.reconcile.rows import row_sums
from extractor.reconcile.spec import Check, Eval, Spec, evaluate
from extractor.reconcile.tables import TableRun

GUARD_MIN_VIOLATED = 3
GUARD_SHARE = 0.8


@dataclass(slots=True)
class Built:
    specs: list[Spec]
    evals: list[Eval]
    checks: list[Check]
    skipped: list[str]


def build(doc: ContractFile, runs: list[TableRun], cells: dict[CellKey, Cell]) -> Built:
    raw = (
        row_sums(doc, runs)
        + code_hierarchy(doc, runs)
        + table_totals(doc, runs)
        + balance(doc, runs)
        + cross_table(doc, runs, cells)
        + weight_sums(doc)
    )
    specs, seen = [], set()
    for s in raw:
        sig = (frozenset(s.lhs), tuple(sorted(s.rhs)), s.const)
        # an identity naming a cell the records do not hold (a header read differently on
        # one page) cannot be evaluated: it is not asserted (a real document crashed on one)
        if sig not in seen and s.keys() and all(k in cells for k in s.keys()):
            seen.add(sig)
            specs.append(s)
    evals = [evaluate(s, cells) for s in specs]
    dropped, skipped = guard(specs, evals)
    keep = [n for n, s in enumerate(specs) if s.family not in dropped]
    return Built([specs[n] for n in keep], [evals[n] for n in keep], indicator_checks(doc), skipped)


def guard(specs: list[Spec], evals: list[Eval]) -> tuple[set[str], list[str]]:
    """Families to drop (nearly all of their identities fail), and why."""
    tally: dict[str, list[int]] = {}
    for s, ev in zip(specs, evals):
        if ev.vacuous:
            continue
        t = tally.setdefault(s.family, [0, 0])
        t[0] += 1
        t[1] += not ev.holds
    dropped = {f for f, (n, bad) in tally.items() if bad >= GUARD_MIN_VIOLATED and bad >= GUARD_SHARE * n}
    skipped = [f"{f}: {tally[f][1]} of {tally[f][0]} fail — layout not understood, not asserted"
               for f in sorted(dropped)]
    return dropped, skipped

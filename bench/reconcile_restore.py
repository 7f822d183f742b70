"""How often the reconciler restores a misread cell, and how often it "fixes" something wrongly.

Seeded synthetic documents (extractor/reconcile/synthetic.py: every table adds up),
one cell misread per case in each typical way, then the same with two cells:

    python bench/reconcile_restore.py [--cases 2000] [--seed 1] [--workers 2]

restored: every corrupted cell is back to its exact printed string. wrong: a correction
that does not give back the original (the figure that must stay 0). flagged: not
restored, but every corrupted cell's record is marked conflict/inconsistent for a person;
(offered): of those, how many list the exact original as the fix to confirm (a figure
checked by one identity only, or two equally good fixes). missed: no identity noticed
the change (a last-digit 5↔6 is within rounding; a shift between two parts of one sum).
"""

from __future__ import annotations

import argparse
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from extractor.records import ContractFile
from extractor.reconcile import reconcile
from extractor.reconcile.cells import CellKey
from extractor.reconcile.synthetic import KINDS, Corruption, corrupt, document


@dataclass
class Row:
    cases: int = 0
    restored: int = 0
    wrong: int = 0
    flagged: int = 0
    offered: int = 0  # flagged, with the exact original offered as the fix to confirm
    missed: int = 0
    seconds: float = 0.0


def _value(doc: ContractFile, key: CellKey) -> str | None:
    return doc.line_items[key.index].values[key.field[7:]]


def judge(original: ContractFile, corrupted: ContractFile, corruptions: list[Corruption]) -> tuple[str, bool]:
    """(restored / wrong / flagged / missed, original offered) for one case."""
    result = reconcile(corrupted)
    fixed = result.document
    for c in result.corrections:
        if c.new != _value(original, CellKey("L", c.ref.index, c.ref.field)):
            return "wrong", False
        if c.moved_from and _value(original, CellKey("L", c.moved_from.index, c.moved_from.field)) is not None:
            return "wrong", False
    changes = [(k, orig) for c in corruptions for k, orig, _ in c.changes]
    left = [(k, orig) for k, orig in changes if _value(fixed, k) != orig]
    if not left:
        return "restored", False
    if {fixed.line_items[k.index].status.value for k, _ in left} <= {"conflict", "inconsistent"}:
        offered = {(x.ref.index, x.ref.field, x.new) for cf in result.conflicts for x in cf.candidates}
        return "flagged", all((k.index, k.field, orig) in offered for k, orig in left if orig is not None)
    return "missed", False


def run(kind: str, cases: int, seed: int, double: bool) -> Row:
    rng = random.Random(f"{seed}:{kind}:{double}")
    row = Row()
    start = time.perf_counter()
    while row.cases < cases:
        doc = document(rng, places=0 if kind == "fused_rows" else None)
        first = corrupt(doc, rng, kind)
        if first is None:
            continue
        bad, c1 = first
        corruptions = [c1]
        if double:
            second = corrupt(bad, rng, rng.choice(KINDS), avoid={k.index for k, _, _ in c1.changes})
            if second is None:
                continue
            bad, c2 = second
            corruptions.append(c2)
        outcome, offered = judge(doc, bad, corruptions)
        row.cases += 1
        row.offered += offered
        setattr(row, outcome, getattr(row, outcome) + 1)
    row.seconds = time.perf_counter() - start
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    jobs = [(k, args.cases, args.seed, False) for k in KINDS] + [("two cells: " + k, args.cases, args.seed, True)
                                                                  for k in KINDS]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(_job, jobs))
    print(f"{'corruption':<30}{'cases':>7}{'restored':>10}{'wrong':>7}{'flagged':>9}{'(offered)':>10}"
          f"{'missed':>8}{'ms/case':>9}")
    for (name, *_), r in zip(jobs, rows):
        print(f"{name:<30}{r.cases:>7}{r.restored:>10}{r.wrong:>7}{r.flagged:>9}{r.offered:>10}{r.missed:>8}"
              f"{1000 * r.seconds / max(1, r.cases):>9.1f}")
    total_wrong = sum(r.wrong for r in rows)
    print(f"\nwrong fixes in total: {total_wrong}")


def _job(job: tuple[str, int, int, bool]) -> Row:
    name, cases, seed, double = job
    return run(name.removeprefix("two cells: "), cases, seed, double)


if __name__ == "__main__":
    main()

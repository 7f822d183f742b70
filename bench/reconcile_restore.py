"""How often the reconciler restores a misread cell, and how often it "fixes" something wrongly.

Seeded synthetic documents (extractor/reconcile/synthetic.py: every table adds up),
one cell misread per case in each typical way and each OCR slip (the point lost or moved,
a digit lost or doubled, a thousands separator read as a point), then two cells (the first
of the row's kind, the second of any typical kind), then two and three OCR slips in one
document (anywhere, or all in one table: repairs of several cells at once), and a lost
point in a document where a row label also lost its numbering (a balance identity fails
for no misread figure):

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

from extractor.reconcile import reconcile
from extractor.reconcile.cells import CellKey
from extractor.reconcile.misreadings import valid
from extractor.reconcile.synthetic import KINDS, OCR_KINDS, Corruption, corrupt, document, misgroup
from extractor.records import ContractFile

SLIPS = ("digit_confusion", "transposition", *OCR_KINDS)  # what OCR does to one figure
PARTNER = {"收支总表": "支出总表", "财政拨款收支总表": "一般公共预算支出表"}


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


def _case(rng: random.Random, job: str) -> tuple[ContractFile, ContractFile, list[Corruption]] | None:
    """(original, misread copy, what was misread) for one case of a bench row, or None to draw again."""
    kind, _, how = job.partition(" / ")
    doc = document(rng, places=0 if kind == "fused_rows" else None)
    if how.startswith("slips"):  # "slips 3" or "slips 3 table": n OCR slips, on n different rows
        n = int(how.split()[1])
        tables = (rng.choice(sorted({x.table for x in doc.line_items})),) if how.endswith("table") else None
        bad, corruptions = doc, []
        for _ in range(n):
            made = corrupt(bad, rng, rng.choice(SLIPS), tables, avoid={k.index for c in corruptions
                                                                       for k, _, _ in c.changes})
            if made is None:
                return None
            bad, c = made
            corruptions.append(c)
        return doc, bad, corruptions
    if how == "misgrouped":  # a 收支总表 row label lost its numbering; a class total its point
        grouped = misgroup(doc, rng)
        if grouped is None:
            return None
        (i,) = [n for n, (a, b) in enumerate(zip(doc.line_items, grouped.line_items)) if a.name != b.name]
        table = PARTNER[doc.line_items[i].table]  # the class totals cross-checked with that table's items
        classes = [n for n, x in enumerate(grouped.line_items) if x.table == table and x.code and len(x.code) == 3
                   and not doc.line_items[i].name.endswith(x.name)]
        if not classes:
            return None
        n = rng.choice(classes)
        key = CellKey("L", n, f"values.{next(iter(grouped.line_items[n].values))}")
        old = grouped.line_items[n].values[key.field[7:]]
        if old is None or "." not in old or not valid(old.replace(".", "")):
            return None
        grouped.line_items[n].values[key.field[7:]] = old.replace(".", "")
        return doc, grouped, [Corruption(kind, ((key, old, old.replace(".", "")),))]
    first = corrupt(doc, rng, kind)
    if first is None:
        return None
    bad, c1 = first
    if how != "two":
        return doc, bad, [c1]
    second = corrupt(bad, rng, rng.choice(KINDS), avoid={k.index for k, _, _ in c1.changes})
    return None if second is None else (doc, second[0], [c1, second[1]])


def run(job: str, cases: int, seed: int) -> Row:
    # the old rows keep their seeds: "two" was drawn as `{seed}:{kind}:True`
    kind, _, how = job.partition(" / ")
    rng = random.Random(f"{seed}:{kind}:{how == 'two'}" if how in ("", "two") else f"{seed}:{job}")
    row = Row()
    start = time.perf_counter()
    while row.cases < cases:
        made = _case(rng, job)
        if made is None:
            continue
        doc, bad, corruptions = made
        outcome, offered = judge(doc, bad, corruptions)
        row.cases += 1
        row.offered += offered
        setattr(row, outcome, getattr(row, outcome) + 1)
    row.seconds = time.perf_counter() - start
    return row


JOBS = ([(k, k) for k in (*KINDS, *OCR_KINDS)]
        + [(f"two cells: {k}", f"{k} / two") for k in KINDS]
        + [(f"{n} OCR slips{where}", f"slip / slips {n}{suffix}") for n in (2, 3)
           for where, suffix in (("", ""), (", one table", " table"))]
        + [("lost point + misgrouped row", "lost_point / misgrouped")])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    jobs = [(job, args.cases, args.seed) for _, job in JOBS]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(_job, jobs))
    print(f"{'corruption':<30}{'cases':>7}{'restored':>10}{'wrong':>7}{'flagged':>9}{'(offered)':>10}"
          f"{'missed':>8}{'ms/case':>9}")
    for (name, _), r in zip(JOBS, rows):
        print(f"{name:<30}{r.cases:>7}{r.restored:>10}{r.wrong:>7}{r.flagged:>9}{r.offered:>10}{r.missed:>8}"
              f"{1000 * r.seconds / max(1, r.cases):>9.1f}")
    total_wrong = sum(r.wrong for r in rows)
    print(f"\nwrong fixes in total: {total_wrong}")


def _job(job: tuple[str, int, int]) -> Row:
    return run(*job)


if __name__ == "__main__":
    main()

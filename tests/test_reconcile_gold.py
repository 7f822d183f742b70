"""The reconciler on the hand-checked gold files: they are what was printed, so nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.records import Status, load_contract
from extractor.reconcile import reconcile

GOLD = Path(__file__).resolve().parents[1] / "eval" / "gold"
FILES = sorted(GOLD.glob("*.json"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_gold_is_never_corrected(path: Path) -> None:
    gold = load_contract(path)
    printed = reconcile(gold, as_printed=True)  # the gold as the truth: what holds in it
    result = reconcile(gold)  # the gold as if it were a run without provenance
    assert not result.corrections, [f"{c.ref.label}: {c.old} → {c.new}" for c in result.corrections]
    assert [x.values for x in result.document.line_items] == [x.values for x in gold.line_items]
    assert [x.weight for x in result.document.indicators] == [x.weight for x in gold.indicators]
    held = {i.description for i in printed.identities if i.holds}
    assert held <= {i.description for i in result.identities if i.holds}
    assert result.totals.identities > 0


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_gold_tables_add_up_or_are_published_inconsistencies(path: Path) -> None:
    """Every amount identity holds (within rounding) or is reported as printed so."""
    result = reconcile(load_contract(path), as_printed=True)
    assert not any(c.status == "conflict" for c in result.conflicts)
    assert all(x.status in (Status.ok, Status.inconsistent, Status.unchecked) for x in result.document.line_items)
    for ident in result.identities:
        if ident.holds and not ident.exact:  # a rounding gap: never more than the printed precision allows
            assert abs(ident.difference or 0) <= (ident.tolerance or 0)

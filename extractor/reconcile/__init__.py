"""The arithmetic reconciler: pure, deterministic, no model and no I/O.

    from extractor.reconcile import reconcile, report
    result = reconcile(contract_file)      # Reconciled: document copy + identities + fixes + conflicts
    print(report(result))                  # readable text (rich tables)
"""

from extractor.reconcile.engine import reconcile
from extractor.reconcile.models import (
    Candidate,
    CellRef,
    Conflict,
    Correction,
    Figure,
    Identity,
    IdentityKind,
    Misreading,
    Reconciled,
    Totals,
)
from extractor.reconcile.report import render, report

__all__ = [
    "Candidate", "CellRef", "Conflict", "Correction", "Figure", "Identity", "IdentityKind", "Misreading",
    "Reconciled", "Totals", "reconcile", "render", "report",
]

"""Row sums: in each row, the total column equals the sum of its part columns."""

from __future__ import annotations

from extractor.records import ContractFile
from extractor.reconcile.cells import value_key
from extractor.reconcile.columns import row_templates
from extractor.reconcile.models import IdentityKind
from extractor.reconcile.spec import Spec
from extractor.reconcile.tables import TableRun, label

SKIP_KINDS = {"其他"}  # an unknown table's columns may be anything


def row_sums(doc: ContractFile, runs: list[TableRun]) -> list[Spec]:
    specs: list[Spec] = []
    for run in runs:
        if run.kind in SKIP_KINDS:
            continue
        for i in run.rows:
            item = doc.line_items[i]
            for t in row_templates(tuple(item.values)):
                specs.append(
                    Spec(
                        kind=IdentityKind.row_sum,
                        tables=(run.name,),
                        description=f"{label(item)}: {t.label}",
                        lhs=(value_key(i, t.total),),
                        rhs=tuple(value_key(i, k) for k in t.parts),
                        family=f"{run.name}|row_sum|{t.label}",
                    )
                )
    return specs

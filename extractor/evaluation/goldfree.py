"""A score for documents nobody labelled: how much of the extraction the arithmetic confirms.

The share of tables, and of cells, whose arithmetic identities (row sums, code
hierarchy, totals, balances, cross-table figures, weights) all hold, as the
reconciler (`extractor.reconcile`) checks them on the values exactly as extracted.
Everything that touches the reconciler's API is in `_identities`, so a change there is
a one-function fix; if the reconciler is missing or raises, the figures are "n/a".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Identity kinds that are not arithmetic (indicator taxonomy and operator/value coherence).
NON_ARITHMETIC = {"taxonomy", "target"}


@dataclass
class Share:
    holding: int = 0
    checked: int = 0

    def add(self, other: "Share") -> None:
        self.holding += other.holding
        self.checked += other.checked

    @property
    def share(self) -> float | None:
        return self.holding / self.checked if self.checked else None

    def as_dict(self) -> dict[str, Any]:
        s = self.share
        return {"share": None if s is None else round(s, 6), "holding": self.holding, "checked": self.checked}


@dataclass
class GoldFree:
    """Per document (or pooled): tables and cells whose identities all hold."""

    tables: Share = field(default_factory=Share)
    cells: Share = field(default_factory=Share)
    by_table: dict[str, Share] = field(default_factory=dict)  # cells per table kind
    by_field: dict[str, Share] = field(default_factory=dict)  # cells per field label (as in Score.by_column)
    error: str | None = None  # why it is n/a

    def add(self, other: "GoldFree") -> None:
        self.tables.add(other.tables)
        self.cells.add(other.cells)
        for mine, theirs in ((self.by_table, other.by_table), (self.by_field, other.by_field)):
            for k, s in theirs.items():
                mine.setdefault(k, Share()).add(s)

    def as_dict(self) -> dict[str, Any]:
        if self.error:
            return {"error": self.error, "tables": None, "cells": None}
        return {"tables": self.tables.as_dict(), "cells": self.cells.as_dict()}


def _identities(doc: dict) -> list[tuple[list[str], bool, list[tuple[str, str, int, str]]]]:
    """The reconciler adapter: (tables, holds, cells) of each arithmetic identity.

    A cell is (table kind, collection, index, field). Values are checked as extracted
    (`as_printed=True`: the reconciler corrects nothing before the identities are read).
    """
    from extractor.reconcile import reconcile
    from extractor.records import ContractFile

    contract = ContractFile.model_validate(doc)
    try:
        result = reconcile(contract, as_printed=True)
    except TypeError:  # an API without the keyword
        result = reconcile(contract)
    out = []
    for ident in result.identities:
        if str(getattr(ident.kind, "value", ident.kind)) in NON_ARITHMETIC:
            continue
        cells = []
        for fig in ident.figures:
            if fig.ref is None:
                continue
            coll = fig.ref.collection
            table = contract.line_items[fig.ref.index].table if coll == "line_items" else "指标"
            cells.append((table, coll, fig.ref.index, fig.ref.field))
        out.append((list(ident.tables), bool(ident.holds), cells))
    return out


def gold_free(doc: dict) -> GoldFree:
    """Gold-free figures of one contract document (parsed JSON); never raises."""
    try:
        identities = _identities(doc)
    except Exception as exc:  # noqa: BLE001 - the reconciler is someone else's moving target
        return GoldFree(error=f"{type(exc).__name__}: {exc}"[:300])
    tables: dict[str, bool] = {}
    cells: dict[tuple, bool] = {}
    for ident_tables, holds, refs in identities:
        for t in ident_tables:
            tables[t] = tables.get(t, True) and holds
        for ref in refs:
            cells[ref] = cells.get(ref, True) and holds
    result = GoldFree(tables=Share(sum(tables.values()), len(tables)), cells=Share(sum(cells.values()), len(cells)))
    for (table, coll, _, fld), ok in cells.items():
        label = fld if coll == "line_items" else f"indicator.{fld}"
        for key, bucket in ((table, result.by_table), (label, result.by_field)):
            s = bucket.setdefault(key, Share())
            s.holding += ok
            s.checked += 1
    return result

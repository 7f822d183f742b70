"""The reconciler as a pipeline stage: mark OCR'd figures, reconcile, summarise for output.

Still pure: the caller passes in which pages were OCR'd and gets back the reconciled
copy plus a JSON-ready summary that goes beside the records in every output file.
"""

from __future__ import annotations

from typing import Any

from extractor.reconcile.engine import reconcile
from extractor.reconcile.models import Reconciled
from extractor.records import ContractFile


def mark_ocr(doc: ContractFile, ocr_pages: set[int]) -> ContractFile:
    """Tag the provenance of records printed on OCR'd pages: their source text is a reading,
    not the page itself, so it cannot confirm a figure as published (the reconciler may fix it)."""
    if not ocr_pages:
        return doc
    for record in [*doc.line_items, *doc.indicators]:
        prov = record.provenance
        if prov is not None and prov.page in ocr_pages:
            setattr(prov, "source", "ocr")
    return doc


def reconcile_document(doc: ContractFile, ocr_pages: set[int] | None = None) -> Reconciled:
    """Statuses on every record, the fixes the arithmetic pins down, the rest flagged."""
    return reconcile(mark_ocr(doc.model_copy(deep=True), ocr_pages or set()))


def violated_chunks(rec: Reconciled) -> dict[str, int]:
    """Chunk id → identities it takes part in that still fail (rounding gaps excluded)."""
    by_id = {i.id: i for i in rec.identities}
    rounding = {i for c in rec.conflicts if c.reason.startswith("rounding") for i in c.identities}
    out: dict[str, int] = {}
    for ident in by_id.values():
        if ident.holds or ident.id in rounding:
            continue
        chunks = set()
        for fig in ident.figures:
            if fig.ref is None:
                continue
            records = rec.document.line_items if fig.ref.collection == "line_items" else rec.document.indicators
            prov = records[fig.ref.index].provenance
            if prov is not None and prov.chunk_id:
                chunks.add(prov.chunk_id)
        for chunk in chunks:
            out[chunk] = out.get(chunk, 0) + 1
    return out


def summary(rec: Reconciled) -> dict[str, Any]:
    """What goes into the output file under `reconciliation`: totals, each fix with its
    proof, each conflict or published inconsistency with its figures."""
    by_id = {i.id: i for i in rec.identities}

    def identity(iid: str) -> dict[str, Any]:
        ident = by_id[iid]
        return {
            "id": iid, "kind": ident.kind.value, "tables": ident.tables, "description": ident.description,
            "difference": None if ident.difference is None else str(ident.difference),
            "figures": [{"cell": f.ref.label if f.ref else "const", "side": f.side, "printed": f.printed, "unit": f.unit}
                        for f in ident.figures],
        }

    return {
        "totals": rec.totals.model_dump(mode="json"),
        "corrections": [
            {"cell": c.ref.label, "collection": c.ref.collection, "index": c.ref.index, "field": c.ref.field,
             "old": c.old, "new": c.new, "misreading": c.kind.value,
             "proof": [identity(i) for i in c.identities]}
            for c in rec.corrections
        ],
        "conflicts": [
            {"status": c.status, "mismatch_wan": str(c.mismatch), "reason": c.reason,
             "cells": [r.label for r in c.refs],
             "refs": [{"collection": r.collection, "index": r.index, "field": r.field} for r in c.refs],
             "pages": sorted({_page(rec.document, r.collection, r.index) for r in c.refs} - {None}),
             "identities": [identity(i) for i in c.identities],
             "candidates": [f"{k.ref.label}: {k.old} → {k.new} ({k.kind.value})" for k in c.candidates]}
            for c in rec.conflicts
        ],
        "skipped": rec.skipped,
    }


def _page(doc: ContractFile, collection: str, index: int) -> int | None:
    records = doc.line_items if collection == "line_items" else doc.indicators
    return records[index].page

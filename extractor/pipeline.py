"""The composer: one document through the flow, and nothing else.

    read (PyMuPDF, OCR for scans) → layout (tables) → chunk → grid pass → the strategy's
    model steps → reconcile (and auto's re-read of failing tables) → typed output

`process` is the one function every executor runs (see `extractor.run`); each stage it
calls is its own module and imports nothing from here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from extractor import __version__
from extractor.audit import AuditInput, TableSeen, TextLine, audit
from extractor.chunk import make_chunks, table_chunk
from extractor.extract.document import Analysis, document_record
from extractor.extract.gridread import grid_read
from extractor.extract.llm.usage import Ledger
from extractor.extract.strategies import Model, Outcome, Step, Strategy, plan, read_step, read_steps, task_for
from extractor.layout.tables import Table, find_tables, text_lines
from extractor.layouts import LayoutBook
from extractor.output import (
    Extraction,
    OutputDocument,
    OutputInfo,
    PendingChunk,
    Reconciliation,
    Report,
    Reread,
)
from extractor.output import Usage as OutputUsage
from extractor.read.page import PdfDocument
from extractor.read.pdf import OcrOptions, read_pdf
from extractor.reconcile import Reconciled
from extractor.reconcile.stage import reconcile_document, violated_chunks
from extractor.reconcile.stage import summary as reconcile_summary
from extractor.records import ContractFile, LineItem
from extractor.vocabulary import EMPTY_TABLE


def analyse_pdf(pdf: PdfDocument) -> Analysis:
    tables = find_tables(pdf.pages)
    return Analysis(pdf, tables, make_chunks(tables, pdf.pages))


def analyse(path: Path, ocr: OcrOptions | None = None) -> Analysis:
    return analyse_pdf(read_pdf(path, ocr=ocr))


def extract(analysis: Analysis, strategy: Strategy, model: Model | None, book: LayoutBook | None = None) -> Outcome:
    """The grid pass, the strategy's model steps over what it left, then the reconciler.
    `book`: the stored layouts (a table whose header one knows is read with no model call)."""
    book = book if book is not None else (model.layouts if model else None)
    base, pending = grid_read(analysis, book)
    if strategy == "grid" or model is None:
        out = Outcome(base, pending)
    else:
        out = Outcome(base)
        keep_grid = strategy in ("auto", "both")
        items = list(base.line_items) if keep_grid else []
        indicators = list(base.indicators) if keep_grid else []
        read_steps(model, plan(analysis, strategy, pending), analysis.pdf.path.name, out, items, indicators)
        out.doc = ContractFile(document=document_record(analysis.pdf, analysis.tables),
                               line_items=items, indicators=indicators)
    ocr_pages = {p.number for p in analysis.pdf.pages if p.source == "ocr"}
    rec = reconcile_document(out.doc, ocr_pages)
    if strategy == "auto" and model is not None:
        rec = _reread_failing(analysis, model, out, rec, ocr_pages)
    out.doc, out.reconciled = rec.document, rec
    return out


def _reread_failing(analysis: Analysis, model: Model, out: Outcome, rec: Reconciled,
                    ocr_pages: set[int]) -> Reconciled:
    """auto: a grid-read budget table whose identities fail is read again by the model;
    the reading with fewer failing identities wins (the grid's on a tie)."""
    tables = {t.id: t for t in analysis.tables}
    for chunk_id, failing in violated_chunks(rec).items():
        table = tables.get(chunk_id)
        ours = [i for i in out.doc.line_items if i.provenance and i.provenance.chunk_id == chunk_id]
        if table is None or not ours or ours[0].provenance.method != "grid":  # type: ignore[union-attr]
            continue
        scratch = Outcome(out.doc)
        theirs: list[LineItem] = []
        chunk = table_chunk(table)
        read_step(model, Step(chunk, table, task_for(chunk, table)), analysis.pdf.path.name, scratch, theirs, [])
        if scratch.failures or not theirs:
            why = scratch.failures[0] if scratch.failures else "model returned no rows"
            out.rereads.append(Reread(chunk=chunk_id, pages=table.pages, grid_failing=failing, kept="grid", why=why))
            continue
        first = out.doc.line_items.index(ours[0])
        rest = [i for i in out.doc.line_items if not (i.provenance and i.provenance.chunk_id == chunk_id)]
        candidate = out.doc.model_copy(update={"line_items": rest[:first] + theirs + rest[first:]})
        other = reconcile_document(candidate, ocr_pages)
        model_failing = violated_chunks(other).get(chunk_id, 0)
        kept = "model" if model_failing < failing else "grid"
        if kept == "model":
            out.doc, rec = candidate, other
        out.rereads.append(Reread(chunk=chunk_id, pages=table.pages, grid_failing=failing,
                                  model_failing=model_failing, kept=kept))
    return rec


def _below(table: Table, pdf: PdfDocument) -> list[str]:
    """The three lines printed under the table's last grid (where 注：本表无数据 often is)."""
    grid = table.parts[-1].grid
    page = next((p for p in pdf.pages if p.number == grid.page), None)
    if page is None:
        return []
    words = [w for w in page.words if w.cy > grid.box[3]]
    return [ln.text for ln in text_lines(words)[:3]]


def _seen(table: Table, pdf: PdfDocument) -> TableSeen:
    cells = [c.text for p in table.parts for c in p.grid.cells if not c.empty]
    near = [ln.text for ln in table.context[-3:]] + cells + _below(table, pdf)
    note = next((t.strip() for t in near if EMPTY_TABLE.search(t)), None)
    title = next((ln for ln in reversed(table.context) if ln.text.replace(" ", "") == table.title.replace(" ", "")), None)
    return TableSeen(id=table.id, kind=table.kind, title=table.title, pages=table.pages, unit=table.unit,
                     year=table.year, department=table.department, empty=table.empty,
                     empty_note=note if table.empty else None,
                     headers=[c.key for c in table.header.columns if c.role == "amount"],
                     title_box=(title.x0, title.y0, title.x1, title.y1) if title else None,
                     box=table.parts[0].grid.box)


def outside_tables(analysis: Analysis) -> list[TextLine]:
    """The lines printed outside every table grid (titles, 目录, the narrative), in reading order."""
    boxes: dict[int, list[tuple[float, float, float, float]]] = {}
    for t in analysis.tables:
        for part in t.parts:
            boxes.setdefault(part.grid.page, []).append(part.grid.box)
    out = []
    for page in analysis.pdf.pages:
        inside = boxes.get(page.number, [])
        words = [w for w in page.words if not any(b[0] <= w.cx <= b[2] and b[1] <= w.cy <= b[3] for b in inside)]
        out += [TextLine(page=page.number, box=(ln.x0, ln.y0, ln.x1, ln.y1), text=ln.text) for ln in text_lines(words)]
    return out


def audit_input(analysis: Analysis, outcome: Outcome) -> AuditInput:
    rec = outcome.reconciled
    return AuditInput(document=outcome.doc.document, tables=[_seen(t, analysis.pdf) for t in analysis.tables],
                      line_items=outcome.doc.line_items, indicators=outcome.doc.indicators,
                      lines=outside_tables(analysis),
                      ocr_pages=[p.number for p in analysis.pdf.pages if p.source == "ocr"],
                      identities=rec.identities if rec else [], conflicts=rec.conflicts if rec else [],
                      corrections=rec.corrections if rec else [])


@dataclass
class Context:
    """What processing a document needs besides its path: the strategy, the model side (None
    for grid), the stored layouts, OCR options and the ledger the model's usage goes to."""

    strategy: Strategy
    model: Model | None
    book: LayoutBook | None
    ocr: OcrOptions
    ledger: Ledger


@dataclass
class Processed:
    """One document done: its typed output, and the analysis and outcome it was made from."""

    output: OutputDocument
    analysis: Analysis
    outcome: Outcome


def output_document(outcome: Outcome, analysis: Analysis, strategy: str, model: Model | None,
                    ledger: Ledger, seconds: float) -> OutputDocument:
    """The typed output: the contract's records with how they were made, what was left
    unread and the reconciliation."""
    used = ledger.documents.get(analysis.pdf.path.name)
    extraction = Extraction(
        version=__version__, strategy=strategy, model=model.describe() if model else None,
        pages=len(analysis.pdf.pages), ocr_pages=[p.number for p in analysis.pdf.pages if p.source == "ocr"],
        seconds=round(seconds, 2),
        usage=None if used is None else OutputUsage(
            prompt_tokens=used.prompt_tokens, completion_tokens=used.completion_tokens, calls=used.calls,
            reasks=used.reasks, cache_hits=used.cache_hits, ungrounded=used.ungrounded),
    )
    doc = outcome.doc
    return OutputDocument(
        document=OutputInfo(**doc.document.model_dump(), extraction=extraction),
        line_items=doc.line_items, indicators=doc.indicators,
        report=Report(pending=[PendingChunk(chunk=p.chunk_id, pages=p.pages, reasons=p.reasons) for p in outcome.pending],
                      failures=outcome.failures, disagreements=outcome.disagreements, mapped=outcome.mapped),
        reconciliation=None if outcome.reconciled is None else Reconciliation.model_validate(
            {**reconcile_summary(outcome.reconciled), "rereads": outcome.rereads}),
    )


def process(path: Path, ctx: Context, on_page: Callable[[int, bool], None] | None = None) -> Processed:
    """One PDF, end to end: read → layout → chunk → records → reconcile → typed output.
    Raises ReadError for a PDF that cannot be read; a model failure fails its chunk only."""
    start = time.monotonic()
    analysis = analyse_pdf(read_pdf(path, ocr=ctx.ocr, on_page=on_page))
    outcome = extract(analysis, ctx.strategy, ctx.model, ctx.book)
    output = output_document(outcome, analysis, ctx.strategy, ctx.model, ctx.ledger, time.monotonic() - start)
    output.audit = audit(audit_input(analysis, outcome))
    return Processed(output, analysis, outcome)


__all__ = ["Context", "Processed", "analyse", "audit_input", "analyse_pdf", "extract", "output_document", "process"]

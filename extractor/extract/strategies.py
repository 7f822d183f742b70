"""Strategies: which reader reads which chunk.

- grid: the grid reader alone; what it cannot read is reported, not guessed.
- llm:  every chunk through the model (tables transcribed, then grounded).
- auto: the grid where the table is recognised; the model for indicator prose and
        forms, unknown headers (the model maps them, the grid reads them) and tables
        the grid could not read.
- both: grid and model each read every budget table; disagreeing cells are flagged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from extractor.chunk import Chunk, table_chunk
from extractor.extract.grid import project_amounts, read_line_items, unreadable
from extractor.extract.indicators import is_indicator_table, read_indicators
from extractor.extract.llm import tasks
from extractor.extract.llm.client import LLMClient, LLMError
from extractor.extract.llm.prompts import Prompt
from extractor.extract.llm.usage import BudgetExceeded
from extractor.layout.tables import Table
from extractor.extract.indicators import mapped_fields
from extractor.extract.llm.responses import LayoutOut
from extractor.layouts import HeaderBlock, Layout, LayoutBook, apply_layout, header_block, problems
from extractor.normalize import normalize_name
from extractor.pipeline import Analysis, Pending, document_record, grid_read, stamp_layout, title_scope
from extractor.records import ContractFile, Document, Indicator, LineItem
from extractor.reconcile import Reconciled
from extractor.reconcile.stage import reconcile_document, violated_chunks

Strategy = Literal["grid", "llm", "auto", "both"]
STRATEGIES: tuple[str, ...] = ("grid", "llm", "auto", "both")


@dataclass
class Model:
    """The model side of a run: one client, the prompt version of each task."""

    client: LLMClient
    prompts: dict[str, Prompt]
    layouts: LayoutBook | None = None  # where accepted mappings are stored (None: not stored)

    def describe(self) -> dict[str, object]:
        return {**self.client.endpoint.describe(), "prompts": {t: p.id for t, p in self.prompts.items()}}


@dataclass
class Outcome:
    doc: ContractFile
    pending: list[Pending] = field(default_factory=list)  # left unread, with why
    failures: list[str] = field(default_factory=list)  # chunks the model failed on
    disagreements: list[str] = field(default_factory=list)  # `both`: grid vs model
    reconciled: Reconciled | None = None  # statuses, fixes and conflicts of `doc`
    rereads: list[dict[str, object]] = field(default_factory=list)  # auto: tables the model read again
    mapped: list[dict[str, object]] = field(default_factory=list)  # tables whose columns the model mapped


def _model_read(model: Model, chunk: Chunk, table: Table | None, document: str, out: Outcome,
                items: list[LineItem], indicators: list[Indicator], segment: bool = False) -> None:
    """Read one chunk with the model; a failure fails the chunk, not the document.
    `segment`: prose is segmented into printed spans (auto), not transcribed (llm)."""
    try:
        if segment and chunk.kind == "text":
            indicators.extend(tasks.segment(model.client, model.prompts["segment"], chunk, document,
                                            title_scope(chunk.title), chunk.context or None))
        elif chunk.kind == "text" or (table is not None and is_indicator_table(table)):
            title = table.title if table is not None else chunk.title
            got = tasks.indicators(model.client, model.prompts["indicators"], chunk, document,
                                   title_scope(title), chunk.context or None)
            indicators.extend(got.indicators)
        elif table is not None and (table.kind is None or unreadable(table)):
            _map_and_read(model, table, document, out, items, indicators)
        elif table is not None:
            items.extend(tasks.line_items(model.client, model.prompts["line_items"], chunk, table, document).line_items)
    except (LLMError, BudgetExceeded) as exc:
        out.failures.append(f"{chunk.id} (pages {', '.join(map(str, chunk.pages))}): {exc}")
        out.pending.append(Pending(chunk.id, chunk.pages, [str(exc)]))


MAPPING_TRIES = 2  # a mapping that fails its checks is asked once more, with the reasons


def mapping_problems(table: Table, block: HeaderBlock, answer: LayoutOut,
                     document: str) -> tuple[list[str], list[LineItem], list[Indicator]]:
    """Read the table under a proposed mapping and check it: amount columns hold amounts,
    indicator names are not header words, and every identity of what was read holds."""
    found = problems(table, answer.roles, answer.kind)
    if found:
        return found, [], []
    if answer.kind == "绩效目标表":
        fields = mapped_fields(answer.roles)
        if "name" not in fields:
            return ["no column is mapped to the indicator name"], [], []
        inds = read_indicators(table, fields)
        if not inds:
            return ["no indicator read under this mapping"], [], []
        headers = {normalize_name(k) for k in block.columns}
        if any(i.name in headers for i in inds):
            return ["a header row was read as an indicator: the header rows are wrong"], [], []
        return [], [], inds
    layout = Layout(signature=block.signature, columns=block.columns, kind=answer.kind, roles=answer.roles)
    mapped = apply_layout(table, layout)
    reasons = unreadable(mapped)
    if reasons:
        return reasons, [], []
    items = read_line_items(mapped)
    if not items:
        return ["no row read under this mapping"], [], []
    check = reconcile_document(ContractFile(document=Document(file=document, sha256="0" * 64), line_items=items), set())
    failing = check.totals.violated
    if failing:
        return [f"{failing} of {check.totals.identities} identities fail when read this way"], [], []
    return [], items, []


def _map_and_read(model: Model, table: Table, document: str, out: Outcome, items: list[LineItem],
                  indicators: list[Indicator]) -> None:
    """The model maps the table's columns from its header block; the grid reader reads every
    cell; a mapping that passes its checks is stored, so the next table with this header
    needs no call. Two tries, then the table is pending with the reasons."""
    block = header_block(table)
    n_cols = table.parts[0].grid.n_cols
    feedback: list[str] | None = None
    for _ in range(MAPPING_TRIES):
        answer = tasks.layout(model.client, model.prompts["layout"], block, n_cols, document, table.id, feedback)
        feedback, got_items, got_inds = mapping_problems(table, block, answer, document)
        if not feedback:
            layout = Layout(signature=block.signature, columns=block.columns, kind=answer.kind, roles=answer.roles,
                            source="model", note=f"{document} {table.id} p{table.pages[0]}")
            if model.layouts is not None:
                model.layouts.learn(layout)
            items.extend(stamp_layout(got_items, block.signature))
            indicators.extend(got_inds)
            out.mapped.append({"chunk": table.id, "pages": table.pages, "signature": block.signature,
                               "kind": answer.kind, "roles": answer.roles})
            return
    out.pending.append(Pending(table.id, table.pages, ["the model's column mapping failed its checks: "
                                                       + "; ".join(feedback or [])]))


def _compare(grid_items: list[LineItem], model_items: list[LineItem]) -> list[str]:
    """Flag grid records whose cells the model read differently; return the report lines."""
    def keyed(items: list[LineItem]) -> dict[tuple, LineItem]:
        seen: Counter[tuple] = Counter()
        out = {}
        for item in items:
            k = (item.table, item.code or "", item.name)
            out[k + (seen[k],)] = item
            seen[k] += 1
        return out

    report = []
    model_by_key = keyed(model_items)
    for key, item in keyed(grid_items).items():
        other = model_by_key.get(key)
        if other is None:
            report.append(f"p{item.page} {item.name or item.code}: the model did not return this row")
            continue
        for col, value in item.values.items():
            theirs = other.values.get(col)
            if theirs != value:
                item.flags = (item.flags or []) + [f"disagree:values.{col}"]
                report.append(f"p{item.page} {item.name or item.code} / {col}: grid {value!r}, model {theirs!r}")
    return report


def extract(analysis: Analysis, strategy: Strategy, model: Model | None, book: LayoutBook | None = None) -> Outcome:
    """Read every chunk with the strategy's readers, then reconcile the figures. `book`: the
    stored layouts (tables whose header one knows are read with no model call)."""
    out = _read(analysis, strategy, model, book if book is not None else (model.layouts if model else None))
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
        _model_read(model, table_chunk(table), table, analysis.pdf.path.name, scratch, theirs, [])
        entry: dict[str, object] = {"chunk": chunk_id, "pages": table.pages, "grid_failing": failing}
        if scratch.failures or not theirs:
            entry.update(kept="grid", why=scratch.failures[0] if scratch.failures else "model returned no rows")
            out.rereads.append(entry)
            continue
        first = out.doc.line_items.index(ours[0])
        rest = [i for i in out.doc.line_items if not (i.provenance and i.provenance.chunk_id == chunk_id)]
        candidate = out.doc.model_copy(update={"line_items": rest[:first] + theirs + rest[first:]})
        other = reconcile_document(candidate, ocr_pages)
        model_failing = violated_chunks(other).get(chunk_id, 0)
        entry["model_failing"] = model_failing
        if model_failing < failing:
            out.doc, rec = candidate, other
            entry["kept"] = "model"
        else:
            entry["kept"] = "grid"
        out.rereads.append(entry)
    return rec


def _read(analysis: Analysis, strategy: Strategy, model: Model | None, book: LayoutBook | None) -> Outcome:
    document = analysis.pdf.path.name
    base, pending = grid_read(analysis, book)
    if strategy == "grid" or model is None:
        return Outcome(base, pending)

    out = Outcome(base)
    tables = {t.id: t for t in analysis.tables}
    chunks = {c.id: c for c in analysis.chunks}
    items: list[LineItem] = []
    indicators: list[Indicator] = []
    if strategy == "auto":
        items, indicators = list(base.line_items), list(base.indicators)
        for p in pending:
            _model_read(model, chunks[p.chunk_id], tables.get(p.chunk_id), document, out, items, indicators,
                        segment=True)
    elif strategy == "llm":
        for chunk in analysis.chunks:
            table = tables.get(chunk.id)
            if table is not None and table.empty:
                continue
            if table is not None and is_indicator_table(table) and analysis.has_prose(table):
                # Its indicators are read from the prose chunks; what is left is the project list.
                view = project_amounts(table)
                if view is not None:
                    _model_read(model, table_chunk(view), view, document, out, items, indicators)
                continue
            _model_read(model, chunk, table, document, out, items, indicators)
    elif strategy == "both":
        items, indicators = list(base.line_items), list(base.indicators)
        for p in pending:
            _model_read(model, chunks[p.chunk_id], tables.get(p.chunk_id), document, out, items, indicators)
        for table in analysis.tables:
            if table.kind is None or is_indicator_table(table) or unreadable(table) or table.empty:
                continue
            theirs: list[LineItem] = []
            _model_read(model, table_chunk(table), table, document, out, theirs, [])
            ours = [i for i in items if i.provenance and i.provenance.chunk_id == table.id]
            out.disagreements += [f"{table.id}: {line}" for line in _compare(ours, theirs)]
    out.doc = ContractFile(document=document_record(analysis.pdf, analysis.tables),
                           line_items=items, indicators=indicators)
    return out


__all__ = ["STRATEGIES", "Model", "Outcome", "Strategy", "extract", "read_indicators"]
